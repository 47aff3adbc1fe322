"""The regulator's review queue: dossiers the automatic check could not decide.

A case handler (regulator side, not bound to an operator) approves or rejects a dossier in
REVIEW with a reason, asks for documents with a due date, or closes the file when the
documents came too late. Each operation owns its transaction, writes one ``DossierAction``
(company NULL: the regulator), raises the operator's task and records one audit event.
Optimistic locking as in the desk: a stale ``version`` is a ``Conflict``.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from peewee import JOIN

from stts import fastsql
from stts.db import utcnow, write_transaction
from stts.eligibility import get_source
from stts.i18n import lazy_gettext as _l
from stts.models import Beneficiary, Company, Dossier, DossierAction
from stts.pagination import Page, paginate_ids
from stts.services import NotFound, ServiceError
from stts.services.audit import pseudonymize, record_event
from stts.services.dossiers.records import add_action, audit, check_version, save, snapshot
from stts.services.tasks import raise_task

PAGE_SIZE = 25
AGE_FILTERS = (7, 14, 30, 60)
DECISIONS = {"APPROVE": "APPROVED", "REJECT": "REJECTED"}
REASON_MAX = 300


def operators():
    """(id, name) of the operators, for the queue's filter."""
    return list(Company.select(Company.id, Company.name).where(Company.is_operator == True)  # noqa: E712
                .order_by(Company.name).tuples())


def review_queue(*, company_id: int | None = None, category: str | None = None,
                 older_than: int | None = None, page: int = 1) -> Page:
    """Dossiers in REVIEW across all operators, oldest first (index (state, created_at))."""
    values = {}
    if company_id:
        values["company"] = company_id
    if category:
        values["category"] = category
    if older_than:
        values["created_before"] = utcnow() - timedelta(days=older_than)
    names = tuple(sorted(values))
    # Count and page on the (state, created_at, id) index; then the page's rows joined.
    return paginate_ids(
        ("review-queue", names),
        lambda: Dossier.select(Dossier.id).where(Dossier.state == "REVIEW",
                                                 *_queue_conditions(names)),
        values, page, PAGE_SIZE, (Dossier.created_at, Dossier.id), lambda in_page: (
            Dossier.select(Dossier, Beneficiary, Company)
            .join(Beneficiary).switch(Dossier).join(Company).where(in_page)), count_first=True)


def _queue_conditions(names):
    Param = fastsql.Param
    conditions = {
        "company": lambda: Dossier.company == Param("company"),
        "category": lambda: Dossier.category == Param("category"),
        "created_before": lambda: Dossier.created_at <= Param("created_before",
                                                              Dossier.created_at),
    }
    return [conditions[name]() for name in names]


def _load(dossier_id) -> Dossier:
    dossier = (Dossier.select(Dossier, Beneficiary, Company)
               .join(Beneficiary).switch(Dossier).join(Company)
               .where(Dossier.id == dossier_id).first())
    if dossier is None:
        raise NotFound(_l("This dossier does not exist."))
    return dossier


def load_for_review(dossier_id) -> Dossier:
    """The dossier (any operator), without recording a consultation."""
    return _load(dossier_id)


def view_for_review(user, dossier_id) -> Dossier:
    """The dossier for the review page; the consultation is recorded."""
    dossier = _load(dossier_id)
    record_event("review.dossier_viewed", actor=user, object_type="dossier",
                 object_id=dossier.id,
                 person=pseudonymize(dossier.beneficiary.national_number),
                 operator=dossier.company_id)
    return dossier


def eligibility_of(dossier: Dossier):
    """What the eligibility source says today about the beneficiary."""
    return get_source().check(dossier.beneficiary.national_number, date.today())


def review_timeline(dossier: Dossier) -> list[dict]:
    """Every action, newest first, with who took it (the regulator sees the whole file)."""
    rows = (DossierAction.select(DossierAction, Company)
            .join(Company, on=(DossierAction.company == Company.id), join_type=JOIN.LEFT_OUTER)
            .where(DossierAction.dossier == dossier.id)
            .order_by(DossierAction.id.desc()))
    entries = []
    for action in rows:
        before, after = json.loads(action.before), json.loads(action.after)
        names = sorted(set(before) | set(after))
        entries.append({
            "action": action,
            "operator": action.company.name if action.company_id else None,
            "changes": [(n, before.get(n), after.get(n)) for n in names
                        if n not in ("state", "company_id") and before.get(n) != after.get(n)],
        })
    return entries


def _reason(reason, field="reason", required=True) -> str | None:
    reason = (reason or "").strip()
    if required and not reason:
        raise ServiceError(_l("Give the reason."), field=field)
    if len(reason) > REASON_MAX:
        raise ServiceError(_l("At most %(max)s characters.", max=REASON_MAX), field=field)
    return reason or None


def _in_review(dossier: Dossier) -> None:
    if dossier.state != "REVIEW":
        raise ServiceError(_l("This dossier is no longer under review."))


def decide_dossier(user, dossier_id, version, decision: str, reason: str) -> Dossier:
    """APPROVE or REJECT a dossier in REVIEW; the operator gets the task "Decision taken"."""
    if decision not in DECISIONS:
        raise ServiceError(_l("Choose approve or reject."), field="decision")
    reason = _reason(reason)
    with write_transaction():
        dossier = _load(dossier_id)
        expected = check_version(dossier, version)
        _in_review(dossier)
        fields = ("state", "decision_date", "decision_reason")
        before = snapshot(dossier, fields)
        save(dossier, expected, {"state": DECISIONS[decision], "decision_date": date.today(),
                                 "decision_reason": reason})
        after = snapshot(dossier, fields)
        add_action(dossier, user, decision, "REVIEW", before=before, after=after,
                   reason=reason, company_id=None)
        raise_task("DECISION_TAKEN", dossier, dossier.company_id,
                   details={"decision": DECISIONS[decision]})
        audit("review.approved" if decision == "APPROVE" else "review.rejected", dossier, user,
              before=before, after=after)
    return dossier


def ask_documents(user, dossier_id, version, due: date, reason: str) -> Dossier:
    """Ask the operator's customer for documents by ``due`` (the dossier stays in REVIEW)."""
    reason = _reason(reason)
    if due is None or due <= date.today():
        raise ServiceError(_l("The due date must be in the future."), field="due_date")
    if due > date.today() + timedelta(days=366):
        raise ServiceError(_l("The due date must be within a year."), field="due_date")
    with write_transaction():
        dossier = _load(dossier_id)
        expected = check_version(dossier, version)
        _in_review(dossier)
        before = snapshot(dossier, ("documents_due",))
        save(dossier, expected, {"documents_due": due})
        after = snapshot(dossier, ("documents_due",))
        add_action(dossier, user, "ASK_DOCUMENTS", "REVIEW", before=before, after=after,
                    reason=reason, company_id=None)
        audit("review.documents_asked", dossier, user, before=before, after=after)
    return dossier


def can_close(dossier: Dossier, today: date | None = None) -> bool:
    today = today or date.today()
    return (dossier.state == "REVIEW" and dossier.documents_due is not None
            and dossier.documents_due < today)


def close_file(user, dossier_id, version, reason: str | None = None) -> Dossier:
    """Close a dossier whose documents did not arrive in time (only after the due date);
    the operator gets the task "Close file"."""
    reason = _reason(reason, required=False)
    with write_transaction():
        dossier = _load(dossier_id)
        expected = check_version(dossier, version)
        _in_review(dossier)
        if not can_close(dossier):
            raise ServiceError(_l("The file can be closed only after the due date of the "
                                  "documents has passed."))
        fields = ("state", "decision_date", "decision_reason")
        before = snapshot(dossier, fields)
        save(dossier, expected, {"state": "CLOSED", "decision_date": date.today(),
                                  "decision_reason": reason or "DOCUMENTS_LATE"})
        after = snapshot(dossier, fields)
        add_action(dossier, user, "CLOSE", "REVIEW", before=before, after=after,
                    reason=reason, company_id=None)
        raise_task("CLOSE_FILE", dossier, dossier.company_id)
        audit("review.closed", dossier, user, before=before, after=after)
    return dossier
