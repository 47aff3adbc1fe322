"""The database: a late-bound proxy, per-request connections and the migration runner."""
from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import UTC, datetime

from peewee import DatabaseProxy, Model, PostgresqlDatabase, SqliteDatabase
from peewee import __exception_wrapper__ as peewee_exceptions
from playhouse.db_url import parse as parse_db_url
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

database = DatabaseProxy()
MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def utcnow() -> datetime:
    """Naive UTC timestamp: every stored time is UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class _PromptWriter:
    """SQLite: a write transaction waits for the write lock by trying again every few
    milliseconds. SQLite's own busy handler sleeps longer and longer between its tries (up
    to 100 ms), so a web request waiting behind the job worker's group of XML messages
    missed the short pause the worker leaves between groups (XML_GROUP_PAUSE) again and
    again, and a login under a batch took twice its time. Every other statement keeps the
    busy handler (readers never wait in WAL mode; a transaction that began holds the lock)."""

    STEP_LIMIT = 0.004  # seconds between two tries at most

    def begin(self, lock_type=None):
        lock_type = lock_type or self._lock_type
        if lock_type != "IMMEDIATE":
            return super().begin(lock_type)
        connection = self.connection()
        waited, step = 0.0, 0.0005
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    return None
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or waited >= self.timeout:
                        with peewee_exceptions:
                            raise
                time.sleep(step)
                waited += step
                step = min(step * 2, self.STEP_LIMIT)
        finally:
            connection.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")


class PromptSqliteDatabase(_PromptWriter, SqliteDatabase):
    pass


class PromptPooledSqliteDatabase(_PromptWriter, PooledSqliteDatabase):
    pass


def make_database(app):
    """Build the Peewee database named by the configuration.

    ``DATABASE_POOL_SIZE`` (2 by default: a worker's request thread needs one, see
    docs/deployment.md) keeps that many connections open per process instead of opening one
    per request; a connection given back inside a transaction is rolled back first; 0 opens
    one per request.

    PostgreSQL is reached through psycopg 3, which prepares a statement on the server once
    the same SQL text has run a few times on a connection (``prepare_threshold``) and then
    only binds values: with the pool and the SQL texts built once per shape
    (``stts.fastsql``), the hot reads are parsed and planned once per connection."""
    url = app.config.get("DATABASE_URL")
    pool = int(app.config.get("DATABASE_POOL_SIZE") or 0)
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            raise RuntimeError("DATABASE_URL must be a postgresql:// URL")
        params = parse_db_url(url)
        name = params.pop("database")
        if pool:
            return PooledPostgresqlDatabase(name, max_connections=pool, stale_timeout=300,
                                            autorollback=False, prefer_psycopg3=True,
                                            **params)
        return PostgresqlDatabase(name, autorollback=False, prefer_psycopg3=True, **params)
    path = app.config.get("SQLITE_PATH") or os.path.join(
        app.instance_path, app.config["SQLITE_FILENAME"]
    )
    sqlite_class = PromptPooledSqliteDatabase if pool else PromptSqliteDatabase
    return sqlite_class(
        path,
        pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": "full",
            "busy_timeout": app.config["SQLITE_BUSY_TIMEOUT_MS"],
        },
        timeout=app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000,
        # Every transaction takes the write lock up front: a deferred transaction that reads
        # and then writes can fail at once with SQLITE_BUSY under concurrent writers.
        lock_type="IMMEDIATE",
        # A pooled connection serves whichever thread takes it next (gunicorn's threaded
        # workers, the job consumer's threads); the pool gives it to one thread at a time.
        **({"max_connections": pool, "stale_timeout": 300, "check_same_thread": False}
           if pool else {}),
    )


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


# Rows ANALYZE reads per index: statistics good enough for the planner's choices, in a
# fraction of a second at a million dossiers.
ANALYSIS_LIMIT = 1000


def refresh_planner_statistics() -> bool:
    """SQLite keeps the statistics ANALYZE last took, however much the tables grew since: a
    table analysed when it held a handful of rows (the login sessions, the tasks of a fresh
    installation) is then read from end to end where its index would serve. This takes them
    again, approximately (``ANALYSIS_LIMIT``). PostgreSQL's autovacuum does the same on its
    own: nothing to do there. Returns whether statistics were taken."""
    if not is_sqlite():
        return False
    database.execute_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    database.execute_sql("ANALYZE")
    return True


@contextmanager
def group_commit():
    """Writes whose commit need not wait for the disk itself: they reach it with the next
    durable commit or within a fraction of a second, whichever comes first (a batched
    write), and a crash never leaves the database inconsistent (a crash-safe write). Only
    the last moment's such writes can be lost, and only by the machine (not the process)
    going down; both databases write their log in order, so a durable commit that follows
    carries every earlier one with it (the audit chain never has a gap).

    PostgreSQL: ``synchronous_commit = off`` for the transaction (its WAL writer flushes
    every ``wal_writer_delay``, 200 ms). SQLite in WAL mode: ``synchronous = NORMAL`` for
    the statement (the log is synced by the next FULL commit or at the checkpoint)."""
    if is_sqlite():
        if database.in_transaction():  # the enclosing commit decides
            yield
            return
        database.execute_sql("PRAGMA synchronous = NORMAL")
        try:
            yield
        finally:
            database.execute_sql("PRAGMA synchronous = FULL")
        return
    with database.atomic():
        database.execute_sql("SET LOCAL synchronous_commit = off")
        yield


def write_transaction():
    """A transaction for read-modify-write. On SQLite every transaction begins IMMEDIATE
    (see make_database), so concurrent writers queue on the lock instead of failing."""
    return database.atomic()


# The checks that read a total and then add to it (a storage quota): one lock space each.
SERIALIZED = {"portal-uploads": 1, "xml-storage": 2}


@contextmanager
def serialized(name: str, key: int = 0):
    """A write transaction that runs alone among those of the same ``name`` and ``key``, so
    that what it reads (a quota's total) cannot change before it writes. SQLite: every write
    transaction begins IMMEDIATE and so already runs alone. PostgreSQL: a transaction-scoped
    advisory lock on (``name``'s number, ``key``), released by the commit or the rollback."""
    with write_transaction():
        if not is_sqlite():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)",
                                 (SERIALIZED[name], key))
        yield


def init_app(app) -> None:
    app.extensions["stts_database"] = make_database(app)
    database.initialize(app.extensions["stts_database"])

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not database.is_closed():
            database.close()


def migration_runner() -> Runner:
    return Runner(database.obj, directory=MIGRATIONS_DIR)


def migrate() -> list[str]:
    """Apply pending numbered migrations; returns their names."""
    with database.connection_context():
        return migration_runner().up()
