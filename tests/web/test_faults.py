"""Faults (checklist 29): a gunicorn worker killed with SIGKILL in the
middle of a request leaves no half write, and the application serves again at once.

The app runs under gunicorn (the production settings of gunicorn.conf.py, one worker) in a
subprocess on the test's own database. A test-only WSGI module pauses the creation of a user
right before its last write — the user, their profile, applications and provisional password
are already written in the same transaction — and says so through a marker file; the test then
SIGKILLs that worker and checks the database holds nothing of the half-done creation. The same
request without the pause commits everything (the positive control).
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import sqlite3
import sys
import textwrap
import time
from urllib.parse import urlencode

import pytest

from bench import harness
from stts.db import database, is_sqlite
from stts.demo import DEMO_PASSWORD
from stts.models import AuditEvent, LoginSession, User, UserApplication, UserProfile

pytestmark = pytest.mark.slow

FAULT_WSGI = textwrap.dedent('''
    """Test-only WSGI entry: the app, with a pause inside one service transaction."""
    import os
    import time

    from stts.app import create_app
    import stts.services.users as users

    app = create_app()
    _record_event = users.record_event


    def _paused_record_event(action, **kwargs):
        after = kwargs.get("after") or {}
        if action == os.environ.get("STTS_FAULT_ACTION") and \
                str(after.get("username", "")).startswith("fault."):
            with open(os.environ["STTS_FAULT_MARKER"], "w") as handle:
                handle.write(str(os.getpid()))
            time.sleep(120)  # killed here, inside the transaction
        return _record_event(action, **kwargs)


    users.record_event = _paused_record_event
''')

NEW_USER = {"username": "fault.user", "username_confirm": "fault.user", "last_name": "Faute",
            "first_name": "Fanny", "national_number": "85.07.30-033.28",
            "email": "fanny@alpha.example.com", "language": "fr", "app_web": "y",
            "profile": "STTS2"}


@pytest.fixture
def server(app, db_config, tmp_path):
    """Start gunicorn on the test database; yields (port, marker path)."""
    module_dir = tmp_path / "faultapp"
    module_dir.mkdir()
    (module_dir / "fault_wsgi.py").write_text(FAULT_WSGI)
    marker = tmp_path / "paused"
    env = {"STTS_SECRET_KEY": "fault-secret", "STTS_AUDIT_HMAC_KEY": "test-audit-key",
           "STTS_AUDIT_CHAIN_KEY": "test-chain-key",
           "STTS_SESSION_COOKIE_SECURE": "false", "STTS_INSTANCE_PATH": str(tmp_path / "inst"),
           "STTS_FAULT_ACTION": "user.created", "STTS_FAULT_MARKER": str(marker),
           "STTS_WORKERS": "1", "STTS_HUEY_IMMEDIATE": "1",
           "PYTHONPATH": os.pathsep.join([str(module_dir), os.getcwd(),
                                          os.environ.get("PYTHONPATH", "")])}
    if "DATABASE_URL" in db_config:
        env["DATABASE_URL"] = db_config["DATABASE_URL"]
    else:
        env["STTS_SQLITE_PATH"] = db_config["SQLITE_PATH"]
    if not database.is_closed():
        database.close()  # the server is the only writer while it runs
    with harness.gunicorn("fault_wsgi:app", env, workers=1) as port:
        yield port, marker
    database.connect(reuse_if_open=True)


def _form_post(port, cookie, path, data):
    """GET the form for its CSRF token, then POST it; returns (connection, nothing read yet)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    page = response.read().decode()
    jar = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
    jar.update(dict(part.split("=", 1) for part in harness._cookies(response).split("; ")
                    if "=" in part))
    cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urlencode({**data, "csrf_token": token})
    connection.request("POST", path, body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    return connection


def _wait_for(marker, seconds=30):
    deadline = time.monotonic() + seconds
    while not (marker.exists() and marker.read_text()):
        assert time.monotonic() < deadline, "the request never reached the pause"
        time.sleep(0.05)
    return int(marker.read_text())


def _rows_of(username):
    database.connect(reuse_if_open=True)
    user = User.get_or_none(User.username == username)
    if user is None:
        return {"user": 0, "profile": 0, "applications": 0,
                "events": AuditEvent.select().where(AuditEvent.action == "user.created").count()}
    return {"user": 1,
            "profile": UserProfile.select().where(UserProfile.user == user.id).count(),
            "applications": UserApplication.select().where(
                UserApplication.user == user.id).count(),
            "events": AuditEvent.select().where(AuditEvent.action == "user.created").count()}


def test_sigkill_mid_request_leaves_no_half_write(server, db_config):
    port, marker = server
    events_before = _rows_of("nobody")["events"]
    database.close()
    cookie = harness.log_in(port, "lm.alpha", DEMO_PASSWORD)
    connection = _form_post(port, cookie, "/console/users/new", NEW_USER)
    worker = _wait_for(marker)
    os.kill(worker, signal.SIGKILL)
    # the client sees the connection drop, not a page
    with pytest.raises((http.client.HTTPException, OSError)):
        connection.getresponse().read()
    connection.close()

    # Nothing of the half-done creation is in the database.
    assert _rows_of("fault.user") == {"user": 0, "profile": 0, "applications": 0,
                                      "events": events_before}
    if is_sqlite():
        check = sqlite3.connect(db_config["SQLITE_PATH"])
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()
    database.close()

    # gunicorn starts a new worker; the same person carries on with the same session.
    deadline = time.monotonic() + 30
    while True:
        try:
            status = _status(port, "/console/users", cookie)
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert status == 200


def _status(port, path, cookie):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def test_the_same_request_without_the_fault_commits_everything(server, monkeypatch):
    """Positive control: the form, the pause hook and the checks are right."""
    port, marker = server
    cookie = harness.log_in(port, "lm.alpha", DEMO_PASSWORD)
    data = dict(NEW_USER, username="whole.user", username_confirm="whole.user")
    # Not a "fault." username: this request is not paused.
    connection = _form_post(port, cookie, "/console/users/new", data)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert not marker.exists()
    assert response.status == 201  # created: the page that shows the provisional password
    rows = _rows_of("whole.user")
    assert rows["user"] == 1 and rows["profile"] == 1 and rows["applications"] >= 1
    assert LoginSession.select().count() >= 1
    database.close()


def test_fault_module_is_test_only():
    """The pause hook lives only in this test's temporary module, never in the app."""
    assert "STTS_FAULT" not in open(os.path.join("stts", "services", "users.py")).read()
    assert sys.modules.get("fault_wsgi") is None
