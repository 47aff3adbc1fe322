"""The dossier page: the dossier (each view recorded), its timeline, its consultations, and
the desk home's counts."""
from __future__ import annotations

import json

from peewee import fn

from stts.models import AuditEvent, Dossier, DossierAction
from stts.services.audit import pseudonymize, record_event
from stts.services.dossiers.records import own_dossier


def load_dossier(user, dossier_id) -> Dossier:
    """The dossier of the user's company (without recording a consultation)."""
    return own_dossier(user, dossier_id)


def view_dossier(user, dossier_id) -> Dossier:
    """The dossier of the user's company; every view is recorded (consultation log)."""
    dossier = own_dossier(user, dossier_id)
    record_event("dossier.viewed", actor=user, object_type="dossier", object_id=dossier.id,
                 company_id=user.company_id,
                 person=pseudonymize(dossier.beneficiary.national_number))
    return dossier


def timeline(user, dossier: Dossier) -> list[dict]:
    """Every action, newest first. Actions another operator took (before a transfer) show
    who and what kind, never that operator's commercial values."""
    rows = (DossierAction.select().where(DossierAction.dossier == dossier.id)
            .order_by(DossierAction.id.desc()))
    entries = []
    for action in rows:
        own = action.company_id in (None, user.company_id)
        before = json.loads(action.before) if own else {}
        after = json.loads(action.after) if own else {}
        if action.type == "TRANSFER":
            before = {}  # the former operator's commercial data stays theirs
        names = sorted(set(before) | set(after))
        entries.append({
            "action": action, "own": own,
            "author": action.author_name if own else None,
            "changes": [(name, before.get(name), after.get(name)) for name in names
                        if name != "company_id" and before.get(name) != after.get(name)],
        })
    return entries


def consultations(user, dossier: Dossier, limit: int = 20):
    return list(AuditEvent.select(AuditEvent.at, AuditEvent.actor_username)
                .where((AuditEvent.object_type == "dossier")
                       & (AuditEvent.object_id == str(dossier.id))
                       & (AuditEvent.action == "dossier.viewed")
                       & (AuditEvent.company_id == user.company_id))
                .order_by(AuditEvent.id.desc()).limit(limit))


def count_by_state(user) -> dict:
    rows = (Dossier.select(Dossier.state, fn.COUNT(Dossier.id).alias("n"))
            .where(Dossier.company == user.company_id).group_by(Dossier.state).tuples())
    return dict(rows)
