"""The institution reads the audit trail: every company's events, filtered, and the chain check.

Writing the trail stays in ``stts.services.audit``; this module only reads it. National
register numbers are stored as keyed hashes (``pseudonymize``), so nothing shown here can
reveal one; ``search_events`` refuses a clear number typed in the object filter and looks for
its hash instead.
"""
from __future__ import annotations

import json
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from stts.db import utcnow
from stts.models import AuditEvent, Company, User
from stts.pagination import Page, paginate
from stts.services.audit import pseudonymize, record_event, verify_chain, verify_checkpoints

PAGE_SIZE = 50
RESULTS = ("ok", "refused", "rejected", "failed", "error")


@dataclass
class AuditFilter:
    company_id: int | None = None
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    result: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class ChainCheck:
    checked: int
    broken: list[int] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)  # checkpoints that disagree
    seconds: float = 0.0
    at: datetime | None = None

    @property
    def intact(self) -> bool:
        return not self.broken and not self.anchors


def companies() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in Company.select(Company.id, Company.name).order_by(Company.name)]


def actions() -> list[str]:
    return [a for (a,) in AuditEvent.select(AuditEvent.action).distinct()
            .order_by(AuditEvent.action).tuples()]


def results() -> list[str]:
    stored = {r for (r,) in AuditEvent.select(AuditEvent.result).distinct().tuples()}
    return sorted(stored | set(RESULTS))


def object_types() -> list[str]:
    return [t for (t,) in AuditEvent.select(AuditEvent.object_type).distinct()
            .where(AuditEvent.object_type.is_null(False)).order_by(AuditEvent.object_type)
            .tuples()]


def object_filter_value(value: str) -> str:
    """A clear national register number typed in the filter becomes its hash: the trail only
    ever holds the hash, and the number itself is not kept or shown."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 11 and len(value.strip()) <= 15 and not value.strip().startswith("nrn:"):
        return pseudonymize(digits)
    return value.strip()


def search_events(criteria: AuditFilter, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """Every company's events, newest first, filtered; each row named with its company."""
    where = AuditEvent.id > 0
    if criteria.company_id:
        where &= AuditEvent.company_id == criteria.company_id
    if criteria.actor:
        where &= AuditEvent.actor_username == criteria.actor.strip().lower()
    if criteria.action:
        where &= AuditEvent.action == criteria.action
    if criteria.object_type:
        where &= AuditEvent.object_type == criteria.object_type
    if criteria.object_id:
        value = object_filter_value(criteria.object_id)
        if value.startswith("nrn:"):  # a person: the hash lives in the details
            where &= AuditEvent.details.contains(value)
        else:
            where &= AuditEvent.object_id == value
    if criteria.result:
        where &= AuditEvent.result == criteria.result
    if criteria.date_from:
        where &= AuditEvent.at >= datetime.combine(criteria.date_from, time.min)
    if criteria.date_to:
        where &= AuditEvent.at < datetime.combine(criteria.date_to + timedelta(days=1), time.min)
    query = AuditEvent.select().where(where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    result = paginate(query, page, size)
    for event in result.rows:
        event.details_items = _details(event.details)
    ids = {e.company_id for e in result.rows if e.company_id} | {
        value for e in result.rows for key, value in e.details_items
        if _names_a_company(key, value)}
    names = ({c.id: c.name for c in Company.select(Company.id, Company.name)
              .where(Company.id.in_(list(ids)))} if ids else {})
    users = {int(e.object_id) for e in result.rows
             if e.object_type == "user" and (e.object_id or "").isdigit()}
    usernames = ({u.id: u.username for u in User.select(User.id, User.username)
                  .where(User.id.in_(list(users)))} if users else {})
    for event in result.rows:
        event.company_name = names.get(event.company_id)
        event.object_label = (usernames.get(int(event.object_id))
                              if event.object_type == "user" and (event.object_id or "").isdigit()
                              else None)
        event.details_items = [(key, names.get(value, value) if _names_a_company(key, value)
                                else value) for key, value in event.details_items]
    return result


def _names_a_company(key: str, value) -> bool:
    """A detail that holds a company's id (a transfer's ``from_company``, ``to_company``): the
    page shows the company's name instead."""
    return key.endswith("_company") and isinstance(value, int) and not isinstance(value, bool)


def _details(raw: str) -> list[tuple[str, object]]:
    """The event's details as (key, stored value): the page shows each with its label."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return [("details", raw)]
    if not isinstance(data, dict):
        return [("details", str(data))]
    return sorted(data.items())


def verify_trail(auditor) -> ChainCheck:
    """Recompute the hash chain over the whole trail (synchronous: a linear scan in batches)
    and record that the check was made, with its result."""
    started = clock.perf_counter()
    checked = AuditEvent.select().count()
    broken = verify_chain()
    anchors = verify_checkpoints()
    check = ChainCheck(checked=checked, broken=broken, anchors=anchors,
                       seconds=clock.perf_counter() - started,
                       at=utcnow())
    record_event("audit.verify", actor=auditor, company_id=auditor.company_id,
                 object_type="audit_trail", result="ok" if check.intact else "failed",
                 checked=checked, broken=broken[:100], checkpoints=anchors[:20])
    return check
