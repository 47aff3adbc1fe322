"""Texts kept for later readers: a translatable message is stored as its message id and
values (``freeze``), and written in the reader's language when it is read (``thaw``). A
batch's refusal stored in its sender's language would otherwise reach every reader so."""
from __future__ import annotations

import json

from flask_babel import LazyString

from stts.i18n import gettext

_KEY = "msgid"


def _frozen(value):
    if isinstance(value, LazyString) and value._func is gettext:  # a message id (no context)
        return {_KEY: value._args[0],
                "values": {name: _frozen(item) for name, item in value._kwargs.items()}}
    if isinstance(value, (int, float)) or value is None:
        return value
    return str(value)


def freeze(message) -> str:
    """What to store for ``message``: a lazy translatable message as JSON, a plain text as
    it is."""
    frozen = _frozen(message)
    return json.dumps(frozen, ensure_ascii=False) if isinstance(frozen, dict) else frozen


def _thawed(value):
    if isinstance(value, dict) and _KEY in value:
        values = {name: _thawed(item) for name, item in (value.get("values") or {}).items()}
        return gettext(value[_KEY], **values)
    return value


def thaw(stored: str | None) -> str:
    """A stored text in the current language (a request's, or ``force_locale``'s)."""
    if not stored:
        return ""
    if stored.startswith('{"' + _KEY + '"'):
        try:
            return _thawed(json.loads(stored))
        except (ValueError, KeyError, TypeError):
            return stored
    return stored
