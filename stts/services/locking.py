"""Optimistic locking, the one way: a row carries a ``version``; a change names the version
its form was loaded with, and succeeds only when nobody changed the row since. The loser
gets a ``Conflict`` (409) and keeps their input (security checklist 26)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from stts.services import Conflict, parse_version

STALE = _l("Someone changed this data meanwhile. Your input is kept: check the current data "
           "and save again.")


def check_version(row, version, message=STALE) -> int:
    """The version a form sent back, when it is still ``row``'s; Conflict otherwise."""
    expected = parse_version(version)
    if expected != row.version:
        raise Conflict(message)
    return expected


def update_versioned(model, row_id: int, version, fields: dict, *, where=None,
                     message=STALE) -> int:
    """``UPDATE model SET fields, version = version + 1`` for the row ``row_id`` when its
    version is still ``version`` (and ``where`` holds); Conflict when it is not. Returns the
    row's new version."""
    expected = parse_version(version)
    condition = (model.id == row_id) & (model.version == expected)
    if where is not None:
        condition &= where
    if model.update(**fields, version=expected + 1).where(condition).execute() != 1:
        raise Conflict(message)
    return expected + 1
