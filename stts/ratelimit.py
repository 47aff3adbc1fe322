"""Rate limits on everything reachable without an account (and the first login): per client
address, and per enterprise number where a request names one. Answered by the translated 429
page with ``Retry-After`` (stts.errors).

The counters must hold across every worker of every node, so they never live in one process:
Redis when ``RATELIMIT_STORAGE_URI`` names it (several machines), otherwise a small SQLite
file in the instance folder that every gunicorn worker of the machine shares.
"""
from __future__ import annotations

import functools
import math
import os
import sqlite3
import time
from urllib.parse import urlparse

from flask import current_app, request
from flask_limiter import Limiter
from flask_login import current_user
from limits import parse
from limits.storage import Storage

from stts.identifiers import InvalidIdentifier, clean_enterprise_number


class SharedFileStorage(Storage):
    """Fixed-window counters in a SQLite file: one atomic UPSERT per hit, so the workers of
    one machine share every limit (``sqlite-shared:///path/to/file``)."""

    STORAGE_SCHEME = ["sqlite-shared"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = urlparse(uri).path
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, value INTEGER NOT NULL,"
                " expires_at REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._connect() as connection:
            row = connection.execute(
                "INSERT INTO hits (key, value, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET "
                " value = CASE WHEN hits.expires_at <= ? THEN excluded.value"
                "         ELSE hits.value + excluded.value END,"
                " expires_at = CASE WHEN hits.expires_at <= ? THEN excluded.expires_at"
                "         ELSE hits.expires_at END "
                "RETURNING value", (key, amount, now + expiry, now, now)).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        with self._connect() as connection:
            row = connection.execute("SELECT value FROM hits WHERE key = ? AND expires_at > ?",
                                     (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        with self._connect() as connection:
            row = connection.execute("SELECT expires_at FROM hits WHERE key = ?",
                                     (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            with self._connect() as connection:
                connection.execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        with self._connect() as connection:
            return connection.execute("DELETE FROM hits").rowcount

    def clear(self, key: str) -> None:
        with self._connect() as connection:
            connection.execute("DELETE FROM hits WHERE key = ?", (key,))


def client_address() -> str:
    return request.remote_addr or "unknown"


def _enterprise_number() -> str | None:
    raw = request.form.get("enterprise_number") if request.method == "POST" else None
    if not raw:
        return None
    try:
        return clean_enterprise_number(raw)
    except InvalidIdentifier:
        return None


def _enterprise_key() -> str:
    return f"enterprise:{_enterprise_number()}"


limiter = Limiter(key_func=client_address, strategy="fixed-window", headers_enabled=True)


def _user_key() -> str:
    return f"user:{current_user.get_id()}"


_lookup_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_LOOKUP"], scope="person-lookup", key_func=_user_key,
    methods=["POST"])


def lookup_limit(view):
    """Lookups of a person by national register number (the desk's lookup, and a request
    sent back with the lookup's answer), per logged-in user, one counter for both."""
    limited = _lookup_limit(view)
    limited.stts_rate_limited = True  # kept by the decorators above it (functools.wraps)
    return limited


# Reachable without being logged in in the ordinary sense: the first login is the step right
# after a provisional password.
EXTRA_LIMITED = {"auth.first_login"}


def storage_uri(app) -> str:
    return app.config.get("RATELIMIT_STORAGE_URI") or "sqlite-shared://" + os.path.join(
        app.instance_path, "ratelimit.sqlite")


def init_app(app) -> None:
    """After the blueprints: put the limits on every public view."""
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    limited = {endpoint for endpoint, view in app.view_functions.items()
               if getattr(view, "stts_rate_limited", False)}
    for endpoint, view in list(app.view_functions.items()):
        if endpoint == "static" or not (
                getattr(view, "stts_access", None) == "public" or endpoint in EXTRA_LIMITED):
            continue
        app.view_functions[endpoint] = _limited(view)
        limited.add(endpoint)
    app.extensions["stts_rate_limited"] = frozenset(limited)
    _scope_hooks(app, limited)


def _scope_hooks(app, endpoints) -> None:
    """Flask-Limiter's hooks (the check before the view, the headers after it, the
    context's reset) run only for ``endpoints``, those with limits. On every other request
    they found no limit after resolving the view's, the blueprint's and the default limits,
    and cost 4-9 % of a task inbox or a user search."""
    def scoped(hook, otherwise):
        @functools.wraps(hook)
        def run(*args):
            return hook(*args) if request.endpoint in endpoints else otherwise(*args)
        return run

    def ours(hook) -> bool:
        return getattr(hook, "__self__", None) is limiter or (
            isinstance(hook, functools.partial) and hook.args == (limiter,))

    for hooks, otherwise in ((app.before_request_funcs, lambda: None),
                             (app.after_request_funcs, lambda response: response),
                             (app.teardown_request_funcs, lambda error=None: None)):
        hooks[None] = [scoped(hook, otherwise) if ours(hook) else hook
                       for hook in hooks.get(None, [])]


_LIMITED: dict = {}


def _limited(view):
    """The view with its limits, built once per view function: the limiter registers limits
    by the function's name, so a second application must reuse them, not add them again."""
    if view in _LIMITED:
        return _LIMITED[view]
    limited = limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC_GET"],
                            methods=["GET", "HEAD"])(view)
    limited = limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC_POST"],
                            methods=["POST"])(limited)
    limited = limiter.limit(lambda: current_app.config["RATELIMIT_PER_ENTERPRISE"],
                            key_func=_enterprise_key, methods=["POST"],
                            exempt_when=lambda: _enterprise_number() is None)(limited)
    limited.stts_access = getattr(view, "stts_access", None)
    _LIMITED[view] = limited
    return limited


# --- counted failures --------------------------------------------------------------------
# Failures of one kind from one client address (wrong ticket numbers on the portal's
# follow-up), counted in the limiter's shared storage over the window of a setting such as
# "10 per hour". Counted, not each written to the audit trail; at the limit the address
# waits until the window ends.

def _failure_key(kind: str, setting: str):
    item = parse(current_app.config[setting])
    return item, item.key_for("failures", kind, client_address())


def count_failure(kind: str, setting: str) -> tuple[int, int]:
    """Count one failure; returns (failures in this window so far, the limit)."""
    item, key = _failure_key(kind, setting)
    return int(limiter.storage.incr(key, item.get_expiry())), item.amount


def failure_wait(kind: str, setting: str) -> int:
    """Seconds the client address must wait before trying ``kind`` again (0: it may)."""
    item, key = _failure_key(kind, setting)
    if limiter.storage.get(key) < item.amount:
        return 0
    return max(1, math.ceil(limiter.storage.get_expiry(key) - time.time()))
