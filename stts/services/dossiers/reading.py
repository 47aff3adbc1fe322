"""The dossier page: the dossier (each view recorded), its timeline, its consultations, and
the desk home's counts."""
from __future__ import annotations

import json

from stts import fastsql
from stts.db import group_commit
from stts.models import AuditEvent, Dossier, DossierAction
from stts.models.dossiers import STATES
from stts.pagination import Page, paginate_log
from stts.services.audit import pseudonymize, record_event
from stts.services.dossiers.records import own_dossier


def load_dossier(user, dossier_id) -> Dossier:
    """The dossier of the user's company (without recording a consultation)."""
    return own_dossier(user, dossier_id)


def view_dossier(user, dossier_id) -> Dossier:
    """The dossier of the user's company; every consultation is recorded (consultation log).
    The page shown again after an action on it is no new consultation: the blueprint then
    calls ``load_dossier``."""
    dossier = own_dossier(user, dossier_id)
    # A view is read far more often than anything is written: its record is committed
    # without waiting for its own fsync (stts.db.group_commit: batched and crash-safe).
    with group_commit():
        record_event("dossier.viewed", actor=user, object_type="dossier",
                     object_id=dossier.id, company_id=user.company_id,
                     person=pseudonymize(dossier.beneficiary.national_number))
    return dossier


def timeline(user, dossier: Dossier) -> list[dict]:
    """Every action, newest first. Actions another operator took (before a transfer) show
    who and what kind, never that operator's commercial values."""
    rows = fastsql.select("dossier-timeline", lambda: DossierAction.select().where(
        DossierAction.dossier == fastsql.Param("dossier")).order_by(DossierAction.id.desc()),
        dossier=dossier.id)
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


CONSULTATIONS_PAGE_SIZE = 20


def consultations(user, dossier: Dossier, page: int = 1,
                  size: int = CONSULTATIONS_PAGE_SIZE) -> Page:
    """The dossier's consultation log seen by the user's company, newest first, one page: the
    views of the dossier and the lookups of its person (by national register number, also
    before the dossier existed). The log grows with every view and its length is shown
    nowhere: not counted. Each kind of entry is one walk of the trail's object index
    (migration 0023), newest first, that stops at the end of the page."""
    return paginate_log("dossier-consultations", {
        "viewed": lambda: _entries("dossier", "dossier", "dossier.viewed"),
        "looked_up": lambda: _entries("person", "person", "dossier.person_looked_up"),
    }, {"dossier": str(dossier.id), "company": user.company_id,
        "person": pseudonymize(dossier.beneficiary.national_number)}, page, size,
        order=lambda entry: -entry.id)


def _entries(object_type: str, object_id: str, action: str):
    """The company's entries ``action`` of one object (its id the ``Param`` named
    ``object_id``), newest first."""
    return (AuditEvent.select(AuditEvent.id, AuditEvent.at, AuditEvent.actor_username,
                              AuditEvent.action)
            .where((AuditEvent.object_type == object_type)
                   & (AuditEvent.object_id == fastsql.Param(object_id))
                   & (AuditEvent.action == action)
                   & (AuditEvent.company_id == fastsql.Param("company")))
            .order_by(AuditEvent.id.desc()))


# Each state of the desk home is counted up to this many (an operator holds 16,000 active
# dossiers at a million; counting them all read as many index entries on every visit).
HOME_COUNT_LIMIT = 1000
_STATE_COUNT = ("(SELECT COUNT(*) FROM (SELECT 1 FROM dossier WHERE company_id = {p}"
                " AND state = {p} LIMIT {p}) AS m)")
_HOME_COUNTS = "SELECT " + ", ".join([_STATE_COUNT] * len(STATES))


def count_by_state(user) -> dict:
    """The company's dossiers by state, each counted up to ``HOME_COUNT_LIMIT`` + 1 (a count
    above the limit means "more than"): one statement, each state one (company, state)
    index range of at most that many entries, whatever the company's size."""
    params = []
    for state in STATES:
        params += [user.company_id, state, HOME_COUNT_LIMIT + 1]
    counts = fastsql.execute(_HOME_COUNTS, params).fetchone()
    return {state: n for state, n in zip(STATES, counts, strict=True) if n}
