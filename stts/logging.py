"""National register numbers never reach a log in clear (security checklist 23).

Request paths carry them (``/desk/lookup?national_number=85073003328``), so every log record
— Flask's, werkzeug's, gunicorn's access and error logs, peewee's query log — passes through
``redact``: any 11-digit number, written in any form ``stts.identifiers`` accepts for a national
number (dots, dashes, slashes, any whitespace, any run of them) and also URL-encoded, is
replaced by the same keyed hash the audit trail uses (``stts.services.audit.pseudonymize``),
so a log line can still be linked to the trail but never read back to the number.

The key is the application's ``AUDIT_HMAC_KEY``; ``install(app)`` (called by ``create_app``)
sets it for the process. Before an app exists (gunicorn's arbiter) the number is replaced by a
fixed ``nrn:redacted`` marker: never the number itself.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re

from stts.identifiers import NATIONAL_NUMBER_PATTERN

# Already hashed values are matched first and kept, so redacting twice changes nothing; then
# every written form of a national number the app accepts (one pattern, next to the parser).
_PATTERN = re.compile(r"(nrn:(?:[0-9a-f]{24}|redacted))|(" + NATIONAL_NUMBER_PATTERN.pattern + ")")
REDACTED = "nrn:redacted"

_key: bytes | None = None


def set_key(key: str | bytes | None) -> None:
    global _key
    _key = key.encode() if isinstance(key, str) else key


def _current_key() -> bytes | None:
    if _key is not None:
        return _key
    env = os.environ.get("STTS_AUDIT_HMAC_KEY")
    return env.encode() if env else None


def hash_number(digits: str, key: bytes | None = None) -> str:
    """The keyed hash of an 11-digit number: equal to ``pseudonymize`` with the same key."""
    key = key if key is not None else _current_key()
    if key is None:
        return REDACTED
    return "nrn:" + hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:24]


def _replace(match: re.Match) -> str:
    if match.group(1):
        return match.group(1)
    return hash_number(re.sub(r"\D", "", re.sub(r"%[0-9a-fA-F]{2}", "", match.group(2))))


def redact(value):
    """``value`` with every national-number-looking string replaced by its keyed hash;
    tuples, lists and dicts (log record arguments, gunicorn's atoms) are walked."""
    if isinstance(value, str):
        return _PATTERN.sub(_replace, value) if _has_enough_digits(value) else value
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"))
    if isinstance(value, tuple):
        return tuple(redact(item) for item in value)
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, dict):
        # In place: gunicorn's atoms are a dict subclass whose lookups must keep working.
        for key in list(value.keys()):
            dict.__setitem__(value, key, redact(dict.__getitem__(value, key)))
        return value
    return value


def _has_enough_digits(text: str) -> bool:
    # The pattern's digits are ASCII; ten counts in C beat one loop in Python.
    return sum(map(text.count, "0123456789")) >= 11


class RedactNationalNumbers(logging.Filter):
    """A logging filter that rewrites the record's message and arguments (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "_stts_redacted", False):
            if isinstance(record.msg, str) and record.args:
                # The line every handler prints, redacted once: gunicorn's access record
                # carries every request and response header and the environ as arguments,
                # of which its format prints a few.
                try:
                    record.msg, record.args = record.getMessage(), None
                except (TypeError, ValueError, KeyError):  # arguments that do not format
                    pass  # each one is redacted below
            if isinstance(record.msg, (str, tuple, list)):  # peewee logs (sql, params)
                record.msg = redact(record.msg)
            if record.args:
                record.args = redact(record.args)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            record._stts_redacted = True
        return True


_FILTER = RedactNationalNumbers()
_LOGGERS = ("", "werkzeug", "flask.app", "stts", "gunicorn.access", "gunicorn.error", "peewee",
            "huey")
_factory_installed = False


def install(app=None) -> None:
    """Redact every log record of this process: a record factory (covers every logger,
    whichever handler later prints it) plus the filter on the usual loggers and root handlers."""
    global _factory_installed
    if app is not None and app.config.get("AUDIT_HMAC_KEY"):
        set_key(app.config["AUDIT_HMAC_KEY"])
    if not _factory_installed:
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs):
            record = previous(*args, **kwargs)
            _FILTER.filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    if app is not None and _FILTER not in app.logger.filters:
        app.logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def install_gunicorn(server_log) -> None:
    """For gunicorn.conf.py: filter gunicorn's own access and error loggers."""
    for logger in (server_log.access_log, server_log.error_log):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
