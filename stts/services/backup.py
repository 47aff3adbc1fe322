"""Online backups of the SQLite database (PostgreSQL installs use pg_dump / WAL archiving)."""
from __future__ import annotations

import sqlite3

from stts.db import database, is_sqlite


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    # Table names come from sqlite_master, never from input.
    return {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608 # nosec B608
            for table in tables}


def backup_sqlite(destination: str) -> dict[str, int]:
    """Copy the live database page by page while the app keeps running; verify the copy."""
    if not is_sqlite():
        raise RuntimeError("flask stts backup is for SQLite; back up PostgreSQL with pg_dump")
    source = sqlite3.connect(database.obj.database)
    target = sqlite3.connect(destination)
    try:
        source.backup(target, pages=1024)
        check = target.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise RuntimeError(f"backup failed its integrity check: {check}")
        return table_counts(target)
    finally:
        target.close()
        source.close()
