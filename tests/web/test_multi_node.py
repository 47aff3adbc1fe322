"""Many machines: two app processes on different ports share one database and hold
no state of their own. What one node does — a lockout, a logout that revokes the session, a
task raised by a request — the other sees at once.

The nodes are real gunicorn processes (gunicorn.conf.py, one worker each) on the test's
database: the PostgreSQL test database in the PostgreSQL pass (STTS_TEST_DATABASE_URL), one
SQLite file otherwise — two processes on one file is the same question for the application.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from stts.db import database
from stts.demo import DEMO_PASSWORD
from stts.demo_dossiers import DEMO
from stts.models import Dossier, LoginThrottle, Task, User

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
LOGIN_PAGE = "/login"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _node(db_config: dict, instance: Path):
    port = _free_port()
    env = {**os.environ, "STTS_BIND": f"127.0.0.1:{port}", "STTS_WORKERS": "1",
           "STTS_ACCESS_LOG": "/dev/null", "STTS_INSTANCE_PATH": str(instance),
           "STTS_SECRET_KEY": "multi-node-secret", "STTS_AUDIT_HMAC_KEY": "test-audit-key",
           "STTS_AUDIT_CHAIN_KEY": "test-chain-key",
           "STTS_SESSION_COOKIE_SECURE": "false", "STTS_HUEY_IMMEDIATE": "true"}
    env.pop("DATABASE_URL", None)
    env.pop("STTS_SQLITE_PATH", None)
    if "DATABASE_URL" in db_config:
        env["DATABASE_URL"] = db_config["DATABASE_URL"]
    else:
        env["STTS_SQLITE_PATH"] = db_config["SQLITE_PATH"]
    process = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/login")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("node did not start: " + process.stderr.read().decode()[-2000:])
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Browser:
    """Cookies and CSRF tokens by hand, so one browser can talk to either node."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port, method, path, data=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Accept-Language": "en", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val and "max-age=0" not in value.lower() and "1970" not in value:
                    self.cookies[key] = val
                else:
                    self.cookies.pop(key, None)
        return response.status, text

    def get(self, port, path, **kwargs):
        return self.request(port, "GET", path, **kwargs)

    def token(self, port, path="/login") -> str:
        status, page = self.get(port, path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
            r'"X-CSRFToken": "([^"]+)"', page)
        assert match, f"no CSRF token on {path} ({status})"
        return match.group(1)

    def post(self, port, path, data, form_page=LOGIN_PAGE):
        """POST ``data`` with the CSRF token of the form on ``form_page``."""
        return self.request(port, "POST", path, data={"csrf_token": self.token(port, form_page),
                                                      **data})

    def log_in(self, port, username, password=DEMO_PASSWORD):
        return self.post(port, "/login", {"username": username, "password": password})[0]


@pytest.fixture
def nodes(app, db_config, tmp_path):
    if not database.is_closed():
        database.close()  # the nodes own the database while they run
    with _node(db_config, tmp_path / "a") as a, _node(db_config, tmp_path / "b") as b:
        yield a, b
    database.connect(reuse_if_open=True)


def test_a_lockout_on_one_node_holds_on_the_other(nodes):
    a, b = nodes
    attacker = Browser()
    for _ in range(5):
        assert attacker.log_in(a, "stts1.beta", "wrong password number") == 422
    # The right password from the same address, on the other node, is refused while it waits.
    assert Browser().log_in(b, "stts1.beta") == 422
    with database.connection_context():
        user = User.get(User.username == "stts1.beta")
        row = LoginThrottle.get((LoginThrottle.user == user.id)
                                & (LoginThrottle.source == "127.0.0.1"))
        assert row.lockouts == 1 and row.locked_until is not None
    assert Browser().log_in(b, "stts1.gamma") == 302  # the node itself is fine


def test_a_logout_on_one_node_ends_the_session_on_the_other(nodes):
    a, b = nodes
    browser = Browser()
    assert browser.log_in(a, "stts3.alpha") == 302
    assert browser.get(b, "/home")[0] == 200  # the session lives in the database
    stolen = dict(browser.cookies)
    status, _ = browser.post(a, "/logout", {}, form_page="/home")
    assert status == 302
    thief = Browser()
    thief.cookies = stolen
    assert thief.get(b, "/home")[0] == 401
    assert thief.get(a, "/home")[0] == 401


def test_a_task_raised_through_one_node_is_in_the_inbox_on_the_other(nodes):
    a, b = nodes
    sender = Browser()
    assert sender.log_in(a, "stts1.alpha") == 302
    status, _ = sender.post(a, "/desk/request", {"national_number": DEMO["eligible"],
                                                 "category": "AGE65"},
                            form_page="/desk/request")
    assert status == 303
    with database.connection_context():
        dossier = (Dossier.select().join(Dossier.beneficiary.rel_model)
                   .where(Dossier.beneficiary.rel_model.national_number == DEMO["eligible"])
                   .order_by(Dossier.id.desc()).first())
        assert dossier.state == "INCOMPLETE"
        task = Task.get(Task.dossier == dossier.id)
    handler = Browser()
    assert handler.log_in(b, "stts3.alpha") == 302
    status, inbox = handler.get(b, "/desk/tasks?type=ENTER_MISSING_DATA")
    assert status == 200
    assert f"/desk/tasks/{task.id}" in inbox or f"/desk/dossiers/{dossier.id}" in inbox
