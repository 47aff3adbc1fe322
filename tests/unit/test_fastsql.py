"""The performance layer itself (stts/fastsql.py and the pool): the cached statements are
what runs, in tests as in production, and they give the rows Peewee's own execution gives."""
import peewee
import pytest
from peewee import JOIN

from stts import fastsql
from stts.db import database, is_sqlite
from stts.models import AuditEvent, Company, LoginSession, User


@pytest.fixture
def production(app):
    """The application as it runs outside tests: no rebuild-and-compare on each call."""
    app.config["TESTING"] = False
    yield app
    app.config["TESTING"] = True


def _counting(build):
    calls = []

    def counted():
        calls.append(1)
        return build()
    return counted, calls


def _statements(monkeypatch):
    seen = []
    execute_sql = database.obj.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return execute_sql(sql, params, *args, **kwargs)
    monkeypatch.setattr(database.obj, "execute_sql", spy)
    return seen


def _users_of_company():
    return (User.select(User, Company).join(Company, JOIN.LEFT_OUTER)
            .where(User.username.startswith(fastsql.Param("start")))
            .order_by(User.username))


SHAPES = {
    "models": lambda: _users_of_company(),
    "dicts": lambda: _users_of_company().dicts(),
    "tuples": lambda: _users_of_company().tuples(),
    "namedtuples": lambda: _users_of_company().namedtuples(),
}


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_cached_statement_gives_the_rows_peewee_gives(production, monkeypatch, kind):
    """Built once, run many times with other values, and every row type (models with their
    joined model, dicts, tuples, namedtuples) equal to Peewee's own execution of the same
    query with the values written in. The first run matches nothing: the row plan worked
    out from its columns serves the runs that have rows."""
    build, calls = _counting(SHAPES[kind])
    seen = _statements(monkeypatch)
    planned = []  # the row plans worked out for the cached statement's runs
    resolve = peewee._resolve_model_columns
    monkeypatch.setattr(peewee, "_resolve_model_columns",
                        lambda *args: planned.append(args[0]) or resolve(*args))
    with production.test_request_context():
        for start in ("nobody", "stts", "op", "stts1", "nobody", "stts"):
            cached = list(fastsql.select(("test-rows", kind), build, start=start))
            cached_runs = len(planned)
            query = SHAPES[kind]()
            query._where = None  # the same query, its value written in, run by Peewee
            direct = list(query.where(User.username.startswith(start)))
            del planned[cached_runs:]  # Peewee's own run works its plan out every time
            if kind == "models":
                assert [(u.id, u.username, u.company and u.company.name) for u in cached] \
                    == [(u.id, u.username, u.company and u.company.name) for u in direct]
                assert all(isinstance(u, User) for u in cached)
            else:
                assert cached == direct
    assert len(calls) == 1, "the statement was built again"
    assert len(planned) == 1, "the cached statement's row plan was worked out again"
    cached_texts = [text for text in seen if text.count("LIKE") or text.count("GLOB")]
    assert len(set(cached_texts)) <= 2  # the cached text, and Peewee's own for the check


def test_testing_mode_runs_the_cached_statement_and_catches_a_lying_key(app, monkeypatch):
    """Under TESTING each call builds the query again only to compare its SQL: the statement
    executed is still the cached one (the same text object every time)."""
    def by_name():
        return User.select(User.id).where(User.username == fastsql.Param("name")).tuples()

    seen = _statements(monkeypatch)
    with app.test_request_context():
        fastsql.select("test-by-name", by_name, name="stts1.alpha")
        fastsql.select("test-by-name", by_name, name="stts1.beta")
        assert seen[0] is seen[1]
        with pytest.raises(AssertionError, match="changed shape"):
            fastsql.select("test-by-name", lambda: User.select(User.username).where(
                User.username == fastsql.Param("name")).tuples(), name="x")


def test_cached_insert_writes_what_model_create_writes(production):
    """``fastsql.create`` fills defaults and converts values like ``Model.create``."""
    values = dict(action="test.cached", company_id=3, prev_hash="0" * 64, hash="1" * 64)
    with production.test_request_context():
        made = fastsql.create(AuditEvent, **values)
        reference = AuditEvent.create(**values)
        ours, theirs = AuditEvent.get_by_id(made.id), AuditEvent.get_by_id(reference.id)
        for field in AuditEvent._meta.sorted_fields:
            if field.name not in ("id", "at"):
                assert getattr(ours, field.name) == getattr(theirs, field.name), field.name
        assert abs((ours.at - theirs.at).total_seconds()) < 60


def test_connections_are_pooled_by_default(app, tmp_path):
    """What ``make run`` starts keeps its connections open (no variable needed): two
    requests of one worker use one connection, and a transaction left open by a failed
    request is rolled back before the connection serves again."""
    from playhouse.pool import PooledDatabase

    from stts import config
    from stts.db import make_database

    assert config.DATABASE_POOL_SIZE >= 1
    pooled_config = {**app.config, "DATABASE_POOL_SIZE": config.DATABASE_POOL_SIZE}

    fake = type("App", (), {"config": pooled_config, "instance_path": str(tmp_path)})()
    pooled = make_database(fake)
    try:
        assert isinstance(pooled, PooledDatabase)
        pooled.connect()
        first = pooled.connection()
        pooled.execute_sql("BEGIN")
        pooled.close()  # handed back inside a transaction
        pooled.connect()
        assert pooled.connection() is first
        raw = pooled.connection()
        if is_sqlite():
            assert not raw.in_transaction
        else:
            import psycopg

            assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        pooled.execute_sql("SELECT 1")
        pooled.close()
    finally:
        pooled.close_all()


def test_postgresql_prepares_the_hot_statements_on_the_server(production):
    """On PostgreSQL, psycopg 3 prepares a statement on the server once its text has run
    ``prepare_threshold`` times on a connection: the cached SQL texts are parsed and planned
    once per pooled connection, without hand-written PREPARE."""
    if is_sqlite():
        pytest.skip("PostgreSQL only")
    import psycopg

    def by_token():
        return LoginSession.select(LoginSession.id).where(
            LoginSession.token_hash == fastsql.Param("token")).tuples()

    with production.test_request_context():
        connection = database.connection()
        assert isinstance(connection, psycopg.Connection)
        threshold = connection.prepare_threshold
        assert threshold is not None
        for index in range(threshold + 2):
            list(fastsql.select("test-prepared", by_token, token=f"t{index}"))
        prepared = database.execute_sql(
            "SELECT statement FROM pg_prepared_statements").fetchall()
        assert any("login_session" in text and "token_hash" in text for (text,) in prepared)


def test_a_pooled_connection_serves_any_thread(app, tmp_path):
    """gunicorn's threaded workers and the job consumer's threads take connections from one
    pool: a connection opened by one thread and handed back serves the next thread."""
    import threading

    from stts import config
    from stts.db import make_database

    pooled_config = {**app.config, "DATABASE_POOL_SIZE": config.DATABASE_POOL_SIZE}
    fake = type("App", (), {"config": pooled_config, "instance_path": str(tmp_path)})()
    pooled = make_database(fake)
    seen, errors = [], []

    def one_request():
        try:
            with pooled.connection_context():
                seen.append(id(pooled.connection()))
                pooled.execute_sql("SELECT 1")
        except Exception as error:  # noqa: BLE001 — the assertion below names it
            errors.append(error)

    try:
        one_request()  # opened by this thread, which lives on: the next threads differ
        for _ in range(2):
            worker = threading.Thread(target=one_request)
            worker.start()
            worker.join()
        assert errors == []
        assert len(set(seen)) == 1  # one connection, reused by three threads
    finally:
        pooled.close_all()
