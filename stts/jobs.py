"""Background jobs (huey). SQLite storage in the instance folder by default; Redis when
STTS_HUEY_REDIS_URL is set (many machines). Tests run jobs immediately."""
from __future__ import annotations

import functools
import os

from flask import has_app_context
from huey import RedisHuey, SqliteHuey, crontab

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _make_huey():
    immediate = os.environ.get("STTS_HUEY_IMMEDIATE", "").lower() in ("1", "true", "yes")
    redis_url = os.environ.get("STTS_HUEY_REDIS_URL")
    if redis_url:
        return RedisHuey("stts", url=redis_url, immediate=immediate)
    path = os.environ.get("STTS_HUEY_DB") or os.path.join(_ROOT, "instance", "huey.sqlite3")
    return SqliteHuey("stts", filename=path, immediate=immediate)


huey = _make_huey()
_worker_app = None


def in_app_context(function):
    """Run a job inside an application context with a database connection."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return function(*args, **kwargs)
        global _worker_app
        if _worker_app is None:
            from stts import create_app

            _worker_app = create_app()
        from stts.db import database

        with _worker_app.app_context(), database.connection_context():
            return function(*args, **kwargs)

    return wrapper


@huey.task(retries=3, retry_delay=30)
@in_app_context
def deliver_mail():
    from stts.services.notifications import deliver_pending

    return deliver_pending()


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def deliver_mail_periodically():
    from stts.services.notifications import deliver_pending

    return deliver_pending()


from stts.services import register_feed as _register_feed  # noqa: E402,F401,E501 (registers the back-office jobs)
from stts.xml import tasks as _xml_tasks  # noqa: E402,F401 (registers the XML batch jobs)
