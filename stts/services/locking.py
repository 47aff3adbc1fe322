"""Optimistic locking, the one way: a row carries a ``version``; a change names the version
its form was loaded with, and succeeds only when nobody changed the row since. The loser
gets a ``Conflict`` (409) and keeps their input (security checklist 26); ``changes_since``
tells them what the other user changed (who, when, which fields and their values now)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from stts.i18n import lazy_gettext as _l
from stts.models import AccessRequest, AuditEvent, Company, Dossier, User
from stts.services import Conflict, parse_version

STALE = _l("Someone changed this data meanwhile. Your input is kept: check the current data "
           "and save again.")
# The changes shown on a conflict page at most (a form loaded long ago).
SHOWN = 5


def _subject(model, row_id: int, expected: int) -> tuple[str, str, int]:
    """What a Conflict names: the object as the audit trail names it (``AccessRequest`` ->
    ``access_request``), its id and the version the form had."""
    name = "".join("_" + c.lower() if c.isupper() else c for c in model.__name__).lstrip("_")
    return name, str(row_id), expected


def check_version(row, version, message=STALE) -> int:
    """The version a form sent back, when it is still ``row``'s; Conflict otherwise."""
    expected = parse_version(version)
    if expected != row.version:
        raise Conflict(message, subject=_subject(type(row), row.id, expected))
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
        raise Conflict(message, subject=_subject(model, row_id, expected))
    return expected + 1


@dataclass
class Change:
    """One change by someone else: who, when, what (an audit action code), and the fields
    it set with the values they have had since (codes, for ``show_value``)."""
    who: str
    at: object
    action: str
    fields: dict = field(default_factory=dict)


def changes_since(conflict: Conflict) -> list[Change]:
    """The changes made to the conflict's object since the version the refused form was
    loaded with, latest first (at most ``SHOWN``), as the audit trail recorded them; a field
    set twice shows in the latest change only, with its value now. Empty when the refusal
    does not name its object. The refusal came from a service that let the user load the
    object, and only the changes since the version they saw are read."""
    if not conflict.subject:
        return []
    object_type, object_id, expected = conflict.subject
    query = AuditEvent.select(AuditEvent.at, AuditEvent.actor_username, AuditEvent.action,
                              AuditEvent.details).where(
        (AuditEvent.object_type == object_type) & (AuditEvent.object_id == object_id)
        & (AuditEvent.result == "ok"))
    model_version = _current_version(object_type, object_id)
    count = SHOWN if expected < 0 or model_version is None else max(1, min(
        SHOWN, model_version - expected))
    changes, seen = [], set()
    for event in query.order_by(AuditEvent.id.desc()).limit(count * 3):
        try:
            after = json.loads(event.details or "{}").get("after")
        except (ValueError, AttributeError):
            after = None
        if not isinstance(after, dict) or not after:
            continue  # a reading, a login: no change of the data
        fields = {name: value for name, value in sorted(after.items()) if name not in seen}
        seen.update(fields)
        changes.append(Change(who=event.actor_username or "STTS", at=event.at,
                              action=event.action, fields=fields))
        if len(changes) == count:
            break
    return changes


def _current_version(object_type: str, object_id: str) -> int | None:
    model = {"dossier": Dossier, "user": User, "company": Company,
             "access_request": AccessRequest}.get(object_type)
    if model is None:
        return None
    row = model.select(model.version).where(model.id == int(object_id)).first()
    return row.version if row is not None else None
