"""The job queue, as a Flask extension: ``worker``.

Tasks are declared by name at import (``stts.worker.tasks``) and bound to a huey instance that
``init_app`` builds from the application's configuration: a SQLite queue in the instance
folder by default, Redis when ``HUEY_REDIS_URL`` is set (many machines), and ``HUEY_IMMEDIATE``
runs every task at once in the caller (tests). Services enqueue by name through
``worker.enqueue(name, ...)`` and never import the tasks, which import the services.

A task runs inside an application context with a database connection: the caller's when it
has one (immediate mode), otherwise the worker process's own application (``consumer.py``).
"""
from __future__ import annotations

import functools
import os

from flask import Flask, has_app_context
from huey import RedisHuey, SqliteHuey

from stts.db import database


class Worker:
    def __init__(self) -> None:
        self.huey = None
        self._app: Flask | None = None
        self._declared: dict[str, tuple] = {}  # name → (function, schedule, options)
        self._bound: dict = {}

    # --- declaring -------------------------------------------------------------------------

    def task(self, name: str, **options):
        """Declare ``function`` as the task ``name`` (huey options: retries, retry_delay...)."""
        return self._declare(name, None, options)

    def periodic_task(self, name: str, schedule, **options):
        """Declare a task that the consumer runs on ``schedule`` (a huey ``crontab``)."""
        return self._declare(name, schedule, options)

    def _declare(self, name, schedule, options):
        def decorator(function):
            if name in self._declared and self._declared[name][0] is not function:
                raise ValueError(f"task {name!r} is declared twice")
            self._declared[name] = (function, schedule, options)
            return function

        return decorator

    # --- binding ---------------------------------------------------------------------------

    def init_app(self, app: Flask) -> None:
        self._app = app
        self.huey = _make_huey(app)
        self._bound = {}
        for name, (function, schedule, options) in self._declared.items():
            body = self._in_app(function)
            if schedule is None:
                wrapper = self.huey.task(name=name, **options)(body)
            else:
                wrapper = self.huey.periodic_task(schedule, name=name, **options)(body)
            self._bound[name] = wrapper
        app.extensions["stts_worker"] = self

    def _in_app(self, function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            if has_app_context():
                return function(*args, **kwargs)
            with self._app.app_context(), database.connection_context():
                return function(*args, **kwargs)

        return run

    # --- using -----------------------------------------------------------------------------

    def enqueue(self, name: str, *args, **kwargs):
        """Queue the task ``name`` (in immediate mode: run it now); returns huey's result
        handle."""
        return self._bound[name](*args, **kwargs)

    @property
    def names(self) -> list[str]:
        return sorted(self._declared)


def _make_huey(app: Flask):
    name = app.config.get("HUEY_NAME") or "stts"
    immediate = bool(app.config.get("HUEY_IMMEDIATE"))
    redis_url = app.config.get("HUEY_REDIS_URL")
    if redis_url:
        return RedisHuey(name, url=redis_url, immediate=immediate)
    path = app.config.get("HUEY_SQLITE_PATH") or os.path.join(app.instance_path,
                                                                 "huey.sqlite3")
    return SqliteHuey(name, filename=path, immediate=immediate)


worker = Worker()
