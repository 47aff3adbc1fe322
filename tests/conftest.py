"""Fixtures: a migrated database per test (SQLite file copy, or PostgreSQL truncation),
the app, a CSRF-aware client and login helpers.

Set STTS_TEST_DATABASE_URL=postgresql://... to run the whole suite on PostgreSQL; each
xdist worker then uses its own database, created and dropped here.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile

import psycopg2
import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

os.environ.setdefault("STTS_HUEY_IMMEDIATE", "1")
# Each test replaces the SQLite file or truncates PostgreSQL's tables, and some run several
# threads or processes: the tests open a connection per request, while the application
# keeps a pool by default (tests/unit/test_fastsql.py tests the pool itself).
os.environ["STTS_DATABASE_POOL_SIZE"] = "0"

# argon2id at its production cost (64 MiB, three passes) made a login most of a web test's
# time: the tests hash and verify with the cheapest argon2id parameters instead.
# tests/unit/test_passwords.py checks what the application itself uses.
from argon2 import PasswordHasher  # noqa: E402

import stts.logging as stts_logging  # noqa: E402
import stts.passwords as _passwords  # noqa: E402

_passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_passwords._DUMMY_HASH = _passwords._hasher.hash("not a password")

from stts.app import create_app  # noqa: E402
from stts.db import database  # noqa: E402
from stts.demo import DEMO_PASSWORD  # noqa: E402
from stts.ratelimit import limiter  # noqa: E402
from stts.worker import worker  # noqa: E402

PG_URL = os.environ.get("STTS_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("STTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> str:
    """The Redis server's URL; skip without one, and fail where it is required (CI sets
    STTS_REQUIRE_REDIS)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("STTS_REQUIRE_REDIS"):
            pytest.fail(f"Redis is required here and not reachable at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL
KEEP_TABLES = {"application", "schema_migration"}


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_admin(url: str):
    connection = psycopg2.connect(url)
    connection.autocommit = True
    return connection


@pytest.fixture(scope="session")
def db_template(tmp_path_factory):
    """A migrated, demo-seeded database built once per worker."""
    if PG_URL:
        base, _, name = PG_URL.rpartition("/")
        worker_db = f"{name}_{_worker_suffix()}"
        admin = _pg_admin(PG_URL)
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{worker_db}"')
            cursor.execute(f'CREATE DATABASE "{worker_db}"')
        url = f"{base}/{worker_db}"
        _prepare(url=url)
        yield {"DATABASE_URL": url}
        database.close() if not database.is_closed() else None
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (worker_db,),
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{worker_db}"')
        admin.close()
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        _prepare(path=str(path))
        yield {"SQLITE_PATH": str(path)}


def _prepare(url=None, path=None):
    config = {"TESTING": True}
    if url:
        config["DATABASE_URL"] = url
    else:
        config["SQLITE_PATH"] = path
    app = create_app(config)
    from stts.db import migrate
    from stts.demo import seed_demo

    with app.app_context():
        migrate()
        with database.connection_context():
            seed_demo()
            # Tests read English unless they choose a language (tests/web/test_i18n.py does).
            from stts.models import User

            User.update(language="en").execute()
    # Remember demo state for the PostgreSQL reset (rows to keep per table).
    if url:
        _snapshot_pg(url)
    if path:
        database.obj.close() if not database.is_closed() else None
        with database.obj.connection_context():
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


_PG_SNAPSHOT: dict[str, str] = {}


def _snapshot_pg(url):
    """Keep a copy of the seeded tables in a schema, to restore before each test."""
    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS seed CASCADE; CREATE SCHEMA seed")
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'CREATE TABLE seed."{table}" AS TABLE public."{table}"')
            _PG_SNAPSHOT[table] = table
    connection.close()


def _reset_pg(url):
    connection = psycopg2.connect(url)
    connection.autocommit = False
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [t for (t,) in cursor.fetchall() if t not in KEEP_TABLES]
        if tables:
            cursor.execute("TRUNCATE " + ", ".join(f'public."{t}"' for t in tables)
                           + " RESTART IDENTITY CASCADE")
        for table in tables:
            cursor.execute(f"SELECT to_regclass('seed.\"{table}\"')")
            if cursor.fetchone()[0]:
                cursor.execute(f'INSERT INTO public."{table}" SELECT * FROM seed."{table}"')
        # Sequences continue after the seeded ids.
        cursor.execute(
            "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
            "FROM information_schema.columns WHERE table_schema='public' "
            "AND column_default LIKE 'nextval%%'"
        )
        for table, column, sequence in cursor.fetchall():
            cursor.execute(
                f'SELECT setval(%s, COALESCE((SELECT MAX("{column}") FROM public."{table}"), 0) + 1, false)',
                (sequence,),
            )
    connection.commit()
    connection.close()


@pytest.fixture(scope="session")
def live_database(db_template, tmp_path_factory) -> dict:
    """The database the tests of one worker use: PostgreSQL's worker database, or one SQLite
    file that every test starts from a fresh copy of the template."""
    if PG_URL:
        return dict(db_template)
    return {"SQLITE_PATH": str(tmp_path_factory.mktemp("live") / "stts.sqlite3")}


@pytest.fixture
def db_config(db_template, live_database, session_app):
    """The test's database, reset to the migrated, demo-seeded template."""
    _close(session_app[0])
    if PG_URL:
        _reset_pg(db_template["DATABASE_URL"])
    else:
        path = live_database["SQLITE_PATH"]
        for suffix in ("-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        shutil.copyfile(db_template["SQLITE_PATH"], path)
    return dict(live_database)


@pytest.fixture(scope="session")
def session_app(live_database):
    """One application per worker: building it (and compiling its templates) for every test
    cost more than most tests. Each test gets it back as it was built (``app``)."""
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "AUDIT_HMAC_KEY": "test-audit-key",
        "AUDIT_CHAIN_KEY": "test-chain-key",
        # Generous limits for the suite; the abuse tests set their own (stts.ratelimit).
        "RATELIMIT_PUBLIC_GET": "100000 per minute",
        "RATELIMIT_PUBLIC_POST": "100000 per minute",
        "RATELIMIT_PER_ENTERPRISE": "100000 per minute",
        "PORTAL_FOLLOW_FAILURES": "100000 per hour",
        "RATELIMIT_LOOKUP": "100000 per minute",
        "RATELIMIT_STORAGE_URI": "sqlite-shared://" + os.path.join(
            tempfile.mkdtemp(prefix="stts-ratelimit-"), "ratelimit.sqlite"),
        "SESSION_COOKIE_SECURE": False,
        **live_database,
    })
    return application, dict(application.config)


@pytest.fixture
def app(session_app, db_config, tmp_path):
    """The application on a fresh copy of the database, with its configuration as built
    (a test may change it), its own instance folder and its own job queue."""
    application, config = session_app
    application.config.clear()
    application.config.update(config)
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    application.instance_path = str(instance)
    # A test that built an application of its own left the database proxy on it, and the
    # key of the logs' hashes (process-wide, as in a worker) on its own.
    database.initialize(application.extensions["stts_database"])
    stts_logging.set_key(application.config["AUDIT_HMAC_KEY"])
    worker.init_app(application)
    limiter.reset()
    with application.app_context():
        database.connect(reuse_if_open=True)
        yield application
    _close(application)


def _close(application) -> None:
    """Close the application's own connection (a test may have pointed the database proxy
    at an application of its own meanwhile)."""
    own = application.extensions["stts_database"]
    if not own.is_closed():
        own.close()
    if not database.is_closed():
        database.close()


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token with every unsafe request,
    as the browser does through the form field or htmx's X-CSRFToken header."""

    send_csrf = True
    accept_language: str | None = "en"  # None: send no Accept-Language header

    def _csrf_header(self):
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
            if raw is None:
                raw = os.urandom(20).hex()
                session["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def open(self, *args, **kwargs):
        if self.accept_language:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("Accept-Language", self.accept_language)
            kwargs["headers"] = headers
        method = (kwargs.get("method") or "GET").upper()
        if self.send_csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self._csrf_header())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = CSRFClient
    return app.test_client()


@pytest.fixture
def make_client(app):
    def factory():
        app.test_client_class = CSRFClient
        return app.test_client()

    return factory


def login(client, username: str, password: str = DEMO_PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
    return response


@pytest.fixture
def login_as(client):
    def do(username: str, password: str = DEMO_PASSWORD):
        login(client, username, password)
        return client

    return do


HX = {"HX-Request": "true"}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))
