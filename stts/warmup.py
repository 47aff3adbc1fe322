"""What each worker would otherwise do on its first requests, done once in the gunicorn
master before it forks (``gunicorn.conf.py``, ``preload_app``): compile every template and
load the four languages' catalogues and locale data. The forked workers share the result.
Without it, the first request of each page in each of the workers compiled that page's
templates and loaded its language (40 to 75 ms), and a worker replaced after
``max_requests`` started cold again.

``warm_up`` opens no database connection: a connection must never cross a fork. Each worker
then opens its own, once it is forked (``connect_worker``), before its first request."""
from __future__ import annotations

import gc
from datetime import UTC, date, datetime

from flask_babel import force_locale, get_translations
from peewee import PeeweeException

from stts.db import database
from stts.forms import Form
from stts.i18n import format_day, format_moment, format_money


def warm_up(app) -> int:
    """Compile every template of ``app`` and load each language; returns how many templates
    were compiled. Another application served with the same settings (the benchmarks' bare
    Flask reference) is left as it is."""
    if not app.import_name.startswith("stts."):
        return 0
    names = app.jinja_env.list_templates(extensions=("html", "txt", "xml"))
    for name in names:
        app.jinja_env.get_template(name)
    moment = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with app.test_request_context():
        for language in app.config["LANGUAGES"]:
            with force_locale(f"{language}_BE"):
                get_translations()
                Form.Meta().get_translations(None)
                format_day(date(2026, 1, 1))
                format_moment(moment)
                format_money(1)
    return len(names)


def connect_worker(app) -> None:
    """In a freshly forked worker: open its database connection (kept by the pool) and read
    the schema with one statement, so that its first request does not pay for them. A
    database that is not there yet is no reason to refuse to start: the first request
    connects again (and answers 503 if it still cannot)."""
    if not app.import_name.startswith("stts."):
        return
    with app.app_context():
        try:
            database.connect(reuse_if_open=True)
            database.execute_sql("SELECT 1 FROM dossier WHERE id = 0")
        except (PeeweeException, OSError) as error:
            app.logger.warning("worker started without a database connection: %s", error)
        finally:
            if not database.is_closed():
                database.close()


def freeze_heap() -> int:
    """Just before the fork: every object the master made (modules, compiled templates,
    catalogues) leaves the garbage collector's watch for good, so that a worker's full
    collection does not walk them all again, nor copy the master's memory pages into the
    worker by touching them (the heap is shared copy-on-write). Returns how many objects
    were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
