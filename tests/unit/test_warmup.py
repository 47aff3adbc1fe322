"""The gunicorn master's warm-up (stts/warmup.py): every template compiled and every
language loaded before the workers fork, without a database statement (a connection must
never cross a fork)."""
import importlib.util
from pathlib import Path

from stts.db import database
from stts.i18n import _formatted_day, _formatted_moment
from stts.warmup import warm_up

ROOT = Path(__file__).resolve().parents[2]


def test_warm_up_compiles_every_template_and_loads_each_language(app, monkeypatch):
    statements = []
    real = type(database.obj).execute_sql
    monkeypatch.setattr(type(database.obj), "execute_sql",
                        lambda self, *args, **kwargs: statements.append(args) or real(
                            self, *args, **kwargs))
    app.jinja_env.cache.clear()
    _formatted_day.cache_clear()
    _formatted_moment.cache_clear()

    compiled = warm_up(app)

    names = app.jinja_env.list_templates(extensions=("html", "txt", "xml"))
    assert compiled == len(names) > 90
    cached = {key[1] for key in app.jinja_env.cache.keys()}
    assert set(names) <= cached, sorted(set(names) - cached)
    assert _formatted_day.cache_info().currsize == len(app.config["LANGUAGES"])
    assert _formatted_moment.cache_info().currsize == len(app.config["LANGUAGES"])
    assert statements == []


def test_gunicorn_warms_up_the_master_before_it_forks(app, monkeypatch):
    spec = importlib.util.spec_from_file_location("gunicorn_settings", ROOT / "gunicorn.conf.py")
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    assert settings.preload_app is True
    logged = []

    class Server:
        class app:  # noqa: N801 (gunicorn's attribute)
            @staticmethod
            def wsgi():
                return app

        class log:  # noqa: N801
            @staticmethod
            def info(message, *args):
                logged.append(message % args)

    app.jinja_env.cache.clear()
    settings.when_ready(Server)
    assert logged and logged[0].startswith("warmed up:")
    assert len(app.jinja_env.cache) >= 90


def test_another_application_is_left_alone():
    from flask import Flask

    assert warm_up(Flask("bench.hello")) == 0


def test_a_worker_connects_before_its_first_request(app, monkeypatch):
    from stts.warmup import connect_worker

    statements = []
    real = type(database.obj).execute_sql
    monkeypatch.setattr(type(database.obj), "execute_sql",
                        lambda self, sql, *args, **kwargs: statements.append(sql) or real(
                            self, sql, *args, **kwargs))
    connect_worker(app)
    assert any("FROM dossier" in sql for sql in statements)
    assert database.is_closed()  # back in the pool, not held by the worker's master code


def test_a_worker_starts_while_the_database_is_away(app, monkeypatch, caplog):
    from peewee import OperationalError

    from stts.warmup import connect_worker

    def away(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(type(database.obj), "connect", away)
    connect_worker(app)
    assert "without a database connection" in caplog.text


def test_the_masters_heap_is_frozen_before_the_fork():
    import gc

    from stts.warmup import freeze_heap

    try:
        frozen = freeze_heap()
        assert frozen == gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
