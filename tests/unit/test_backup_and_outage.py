"""Backups restore with the same rows; a missing database gives a clear page."""
import sqlite3

from stts.app import create_app
from stts.db import database, is_sqlite
from stts.services.audit import record_event
from stts.services.backup import backup_sqlite, table_counts


def test_backup_restores_with_integrity_and_counts(app, tmp_path):
    if not is_sqlite():
        # PostgreSQL installs back up with pg_dump; the command says so instead of guessing.
        import pytest

        with pytest.raises(RuntimeError, match="pg_dump"):
            backup_sqlite(str(tmp_path / "x.sqlite3"))
        return
    record_event("test.before_backup", actor=None)
    destination = tmp_path / "backup.sqlite3"
    counts = backup_sqlite(str(destination))
    live = table_counts(sqlite3.connect(database.obj.database))
    assert counts == live and counts["user"] > 10 and counts["audit_event"] >= 1
    restored = sqlite3.connect(destination)
    assert restored.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The restored copy serves the application.
    copy_app = create_app({"TESTING": True, "SQLITE_PATH": str(destination),
                           "SECRET_KEY": "k", "AUDIT_HMAC_KEY": "a", "WTF_CSRF_ENABLED": False})
    client = copy_app.test_client()
    response = client.post("/login", data={"username": "stts1.alpha",
                                           "password": "Brussels tram 81 at dawn"})
    assert response.status_code == 302  # the restored users log in
    home = client.get("/home")
    assert home.status_code == 200 and "stts1.alpha" in home.get_data(as_text=True)


def test_backup_command(app, tmp_path):
    if not is_sqlite():
        return
    result = app.test_cli_runner().invoke(args=["stts", "backup", str(tmp_path / "b.sqlite3")])
    assert result.exit_code == 0 and "user=" in result.output


def test_unavailable_database_gives_a_clear_page_and_recovers(tmp_path):
    missing = tmp_path / "no-such-dir" / "stts.sqlite3"
    broken = create_app({"TESTING": True, "SQLITE_PATH": str(missing), "SECRET_KEY": "k",
                         "AUDIT_HMAC_KEY": "a", "PROPAGATE_EXCEPTIONS": False})
    client = broken.test_client()
    response = client.get("/login")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "incident" in body and "Traceback" not in body
    # The database comes back: the same process answers normally again.
    (tmp_path / "no-such-dir").mkdir()
    from stts.db import migrate

    with broken.app_context():
        migrate()
    assert client.get("/login").status_code == 200
