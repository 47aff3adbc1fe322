"""Dossier operations of the desk: request, transfer, modify, activate, cease, cancel, search.

Every operation is scoped to the acting user's company, owns its transaction, writes one
``DossierAction`` (the dossier's timeline) and one audit event (national register numbers
pseudonymized). Another operator's dossier is ``NotFound``; another operator's commercial
data is never returned.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import SQL, IntegrityError, NodeList, fn
from stdnum.be import ssn

from stts import fastsql
from stts.db import is_sqlite, utcnow, write_transaction
from stts.eligibility import get_source
from stts.models import Beneficiary, Dossier, DossierAction
from stts.models.dossiers import LIVE_STATES
from stts.pagination import Page, paginate_ids
from stts.services import Conflict, NotFound, ServiceError, parse_version
from stts.services.audit import pseudonymize, record_event
from stts.services.tasks import raise_task
from stts.text import like_prefix, search_key

COMMERCIAL = ("service", "phone_number", "customer_number", "tariff_formula")
OPTIONAL_COMMERCIAL = ("installation_costs",)
DATES = ("activation_date", "invoice_date", "decision_date", "end_date", "documents_due")
# Fields a cancellation can restore (the "before" of an action).
RESTORABLE = ("state", "company_id", *COMMERCIAL, *OPTIONAL_COMMERCIAL, *DATES,
              "decision_reason", "end_reason", "category")
PAGE_SIZE = 25


# --- helpers --------------------------------------------------------------------------------

def _jsonable(value):
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def _snapshot(dossier: Dossier, fields) -> dict:
    return {name: _jsonable(getattr(dossier, name)) for name in fields}


def _restore_value(name: str, value):
    if value is None:
        return None
    if name in DATES:
        return date.fromisoformat(value)
    if name == "installation_costs":
        return Decimal(value)
    return value


def _household_key(nrn: str, household_id: str | None) -> str:
    return f"H:{household_id}" if household_id else f"P:{nrn}"


def _birth_date(nrn: str):
    try:
        return ssn.get_birth_date(nrn)
    except Exception:  # BIS numbers with unknown dates
        return None


def _add_action(dossier, user, type_, state_before, before=None, after=None, reason=None,
                company_id="own"):
    return fastsql.create(
        DossierAction, dossier=dossier, type=type_,
        company=(user.company_id if company_id == "own" and user is not None else
                 (None if company_id == "own" else company_id)),
        author=user, author_name=user.full_name if user is not None else "STTS",
        at=utcnow(), state_before=state_before, state_after=dossier.state,
        before=json.dumps(before or {}, sort_keys=True),
        after=json.dumps(after or {}, sort_keys=True), reason=reason,
    )


def _save(dossier: Dossier, expected_version: int, fields: dict) -> None:
    """Write ``fields`` only when nobody changed the dossier since ``expected_version``."""
    fields = dict(fields, version=expected_version + 1, updated_at=utcnow())
    rows = (Dossier.update(**fields)
            .where((Dossier.id == dossier.id) & (Dossier.version == expected_version))
            .execute())
    if rows != 1:
        raise Conflict(_l("Someone changed this dossier meanwhile. Your input is kept: "
                          "check the dossier and send it again."))
    for name, value in fields.items():
        setattr(dossier, name, value)


def _own_dossier(user, dossier_id) -> Dossier:
    dossier = (Dossier.select(Dossier, Beneficiary).join(Beneficiary)
               .where((Dossier.id == dossier_id) & (Dossier.company == user.company_id))
               .first())
    if dossier is None:
        raise NotFound(_l("This dossier does not exist."))
    return dossier


def load_dossier(user, dossier_id) -> Dossier:
    """The dossier of the user's company (without recording a consultation)."""
    return _own_dossier(user, dossier_id)


def _check_version(dossier: Dossier, version) -> int:
    version = parse_version(version)
    if version != dossier.version:
        raise Conflict(_l("Someone changed this dossier meanwhile. Your input is kept: "
                          "check the dossier and send it again."))
    return version


def _is_complete(values: dict) -> bool:
    return all(values.get(name) for name in COMMERCIAL)


def _decide(dossier: Dossier, result=None) -> tuple[str, str]:
    """The automatic check: APPROVED when the source knows the person as eligible today in
    the requested category; REVIEW (the regulator's queue) when it cannot decide. ``result``:
    the source's answer already asked for today (a request asks once)."""
    if result is None:
        result = get_source().check(dossier.beneficiary.national_number, date.today())
    if result.eligible and result.category == dossier.category:
        return "APPROVED", "automatic check: eligible"
    if not result.known:
        return "REVIEW", "automatic check: person not known"
    if not result.eligible:
        return "REVIEW", "automatic check: no right valid today"
    return "REVIEW", "automatic check: other category"


def _audit(action: str, dossier: Dossier, **details):
    record_event(action, object_type="dossier", object_id=dossier.id,
                 company_id=dossier.company_id,
                 person=pseudonymize(dossier.beneficiary.national_number), **details)


# --- looking a person up --------------------------------------------------------------------

@dataclass
class Situation:
    """What the desk may tell about a person before a request. Never carries another
    operator's data: only the fact that the tariff exists elsewhere."""

    national_number: str
    known: bool
    eligible: bool
    category: str | None
    last_name: str | None
    first_name: str | None
    own_dossier: Dossier | None = None  # a live dossier at the user's operator
    own_household: bool = False  # ... held by another member of the household
    elsewhere: bool = False  # a live dossier (person or household) at another operator
    elsewhere_active: bool = False  # ... which is ACTIVE (so a transfer is possible)


def _live_dossiers(nrn: str, household_id: str | None):
    """Live dossiers of the person or their household, at any operator.

    Three indexed lookups merged in Python: one query with OR across the two tables makes
    the database scan every live dossier."""
    live = Dossier.state.in_(LIVE_STATES)
    keys = [f"P:{nrn}"] + ([f"H:{household_id}"] if household_id else [])
    queries = [
        Dossier.select(Dossier, Beneficiary).join(Beneficiary)
        .where(live & Dossier.household_key.in_(keys)),
        Dossier.select(Dossier, Beneficiary).join(Beneficiary)
        .where(live & (Beneficiary.national_number == nrn)),
    ]
    if household_id:
        queries.append(Dossier.select(Dossier, Beneficiary).join(Beneficiary)
                       .where(live & (Beneficiary.household_id == household_id)))
    found = {}
    for query in queries:
        for dossier in query:
            found.setdefault(dossier.id, dossier)
    return [found[key] for key in sorted(found)]


def look_up_person(user, nrn: str, *, record: bool = True) -> Situation:
    result = get_source().check(nrn, date.today())
    situation = Situation(national_number=nrn, known=result.known, eligible=result.eligible,
                          category=result.category, last_name=result.last_name,
                          first_name=result.first_name)
    for dossier in _live_dossiers(nrn, result.household_id):
        if dossier.company_id == user.company_id:
            situation.own_dossier = dossier
            situation.own_household = dossier.beneficiary.national_number != nrn
        else:
            situation.elsewhere = True
            situation.elsewhere_active = dossier.state == "ACTIVE"
    if record:
        record_event("dossier.person_looked_up", object_type="person",
                     person=pseudonymize(nrn), known=result.known)
    return situation


# The same three indexed lookups as _live_dossiers, in one statement, ids and owners only
# (the states are LIVE_STATES; a unit test keeps them in step).
_LIVE_OWNERS = (
    "SELECT d.id, d.company_id FROM dossier d WHERE d.household_key IN ({p}, {p}) "
    "AND d.state IN ('INCOMPLETE', 'SUBMITTED', 'REVIEW', 'APPROVED', 'ACTIVE') "
    "UNION SELECT d.id, d.company_id FROM dossier d JOIN beneficiary b "
    "ON b.id = d.beneficiary_id WHERE b.national_number = {p} "
    "AND d.state IN ('INCOMPLETE', 'SUBMITTED', 'REVIEW', 'APPROVED', 'ACTIVE') ORDER BY 1")
_LIVE_OWNERS_HOUSEHOLD = (
    "SELECT d.id, d.company_id FROM dossier d WHERE d.household_key IN ({p}, {p}) "
    "AND d.state IN ('INCOMPLETE', 'SUBMITTED', 'REVIEW', 'APPROVED', 'ACTIVE') "
    "UNION SELECT d.id, d.company_id FROM dossier d JOIN beneficiary b "
    "ON b.id = d.beneficiary_id WHERE b.national_number = {p} "
    "AND d.state IN ('INCOMPLETE', 'SUBMITTED', 'REVIEW', 'APPROVED', 'ACTIVE') "
    "UNION SELECT d.id, d.company_id FROM dossier d JOIN beneficiary b "
    "ON b.id = d.beneficiary_id WHERE b.household_id = {p} "
    "AND d.state IN ('INCOMPLETE', 'SUBMITTED', 'REVIEW', 'APPROVED', 'ACTIVE') ORDER BY 1")


def _live_owners(nrn: str, household_id: str | None) -> list[tuple[int, int]]:
    """(id, company id) of the live dossiers of the person or their household, by id."""
    if household_id:
        rows = fastsql.execute(_LIVE_OWNERS_HOUSEHOLD,
                               (f"P:{nrn}", f"H:{household_id}", nrn, household_id))
    else:
        rows = fastsql.execute(_LIVE_OWNERS, (f"P:{nrn}", f"P:{nrn}", nrn))
    return rows.fetchall()


def _refuse_duplicate(user, nrn: str, household_id: str | None) -> None:
    for dossier_id, company_id in _live_owners(nrn, household_id):
        if company_id == user.company_id:
            raise ServiceError(
                _l("This person or their household already has a social tariff with your "
                   "company (dossier %(id)s).", id=dossier_id), field="national_number")
        raise ServiceError(
            _l("This person or their household already benefits from the social tariff with "
               "another operator. Use Transfer."), field="national_number")


# --- request --------------------------------------------------------------------------------

def request_tariff(user, data: dict) -> Dossier:
    """Create a dossier. Complete data → automatic decision (APPROVED or REVIEW); missing
    commercial data → INCOMPLETE with the task "Enter missing data"."""
    nrn = data["national_number"]
    result = get_source().check(nrn, date.today())  # asked once: _decide reuses the answer
    last_name = (data.get("last_name") or "").strip() or result.last_name
    first_name = (data.get("first_name") or "").strip() or result.first_name
    if not last_name:
        raise ServiceError(_l("This person is not known: enter the last name."), field="last_name")
    if not first_name:
        raise ServiceError(_l("This person is not known: enter the first name."),
                           field="first_name")
    try:
        with write_transaction():
            _refuse_duplicate(user, nrn, result.household_id)
            known = fastsql.execute("SELECT id FROM beneficiary WHERE national_number = {p}",
                                    (nrn,)).fetchone()
            beneficiary = Beneficiary.get_by_id(known[0]) if known else None
            person = {
                "last_name": last_name, "first_name": first_name,
                "last_name_key": search_key(last_name), "first_name_key": search_key(first_name),
                "birth_date": _birth_date(nrn),
                "street": result.street or data.get("street") or None,
                "postcode": result.postcode or data.get("postcode") or None,
                "city": result.city or data.get("city") or None,
                "household_id": result.household_id,
            }
            if beneficiary is None:
                beneficiary = fastsql.create(Beneficiary, national_number=nrn, **person)
            else:
                Beneficiary.update(**person).where(Beneficiary.id == beneficiary.id).execute()
                for name, value in person.items():
                    setattr(beneficiary, name, value)
            commercial = {name: data.get(name) or None for name in COMMERCIAL + OPTIONAL_COMMERCIAL}
            dossier = Dossier(beneficiary=beneficiary, company=user.company_id,
                              household_key=_household_key(nrn, result.household_id),
                              last_name_key=beneficiary.last_name_key,
                              category=data["category"], state="SUBMITTED", **commercial)
            if _is_complete(commercial):
                dossier.state, dossier.decision_reason = _decide(dossier, result)
                if dossier.state == "APPROVED":
                    dossier.decision_date = date.today()
            else:
                dossier.state = "INCOMPLETE"
            dossier.id = fastsql.insert(Dossier, {
                name: value for name, value in dossier.__data__.items() if name != "id"})
            dossier._dirty.clear()
            _add_action(dossier, user, "REQUEST", None,
                        after=_snapshot(dossier, ("state", "category") + COMMERCIAL))
            if dossier.state == "INCOMPLETE":
                raise_task("ENTER_MISSING_DATA", dossier, dossier.company_id)
            _audit("dossier.requested", dossier, after={"state": dossier.state})
    except IntegrityError:
        # Someone else created the dossier of this person or household at the same moment.
        _refuse_duplicate(user, nrn, result.household_id)
        raise ServiceError(_l("This person or their household already has a social tariff."),
                           field="national_number") from None
    return dossier


# --- transfer -------------------------------------------------------------------------------

def transfer_tariff(user, nrn: str, data: dict) -> Dossier:
    """Take over the ACTIVE dossier of a person from another operator. The same dossier
    moves; the new operator's commercial data replaces the old; the old operator gets the
    tasks "Transferred away" and "Terminate reduction" with its own data only."""
    with write_transaction():
        dossier = (Dossier.select(Dossier, Beneficiary).join(Beneficiary)
                   .where((Beneficiary.national_number == nrn)
                          & Dossier.state.in_(LIVE_STATES)).first())
        if dossier is None:
            raise ServiceError(_l("This person has no social tariff to transfer. Use Request."),
                               field="national_number")
        if dossier.company_id == user.company_id:
            raise ServiceError(_l("This social tariff is already with your company."),
                               field="national_number")
        if dossier.state != "ACTIVE":
            raise ServiceError(_l("Only an active social tariff can be transferred; this one "
                                  "is still being handled by the other operator."),
                               field="national_number")
        old_company = dossier.company_id
        fields = ("company_id",) + COMMERCIAL + OPTIONAL_COMMERCIAL + ("activation_date",
                                                                      "invoice_date")
        before = _snapshot(dossier, fields)
        old_data = {"customer_number": dossier.customer_number,
                    "phone_number": dossier.phone_number}
        changes = {name: data.get(name) or None for name in COMMERCIAL + OPTIONAL_COMMERCIAL}
        changes["activation_date"] = data.get("activation_date") or date.today()
        changes["invoice_date"] = data.get("invoice_date") or None
        changes["company"] = user.company_id
        _save(dossier, dossier.version, changes)
        dossier.company_id = user.company_id
        _add_action(dossier, user, "TRANSFER", "ACTIVE", before=before,
                    after=_snapshot(dossier, fields))
        raise_task("TRANSFERRED_AWAY", dossier, old_company, details=old_data)
        raise_task("TERMINATE_REDUCTION", dossier, old_company, details=old_data)
        _audit("dossier.transferred", dossier, from_company=old_company,
               to_company=user.company_id)
    return dossier


# --- modify, activate, cease ------------------------------------------------------------------

MODIFIABLE_STATES = ("INCOMPLETE", "SUBMITTED", "REVIEW", "APPROVED", "ACTIVE")


def modify_dossier(user, dossier_id, version, data: dict) -> Dossier:
    """Change the operator's commercial data. An INCOMPLETE dossier that becomes complete is
    submitted and decided at once."""
    with write_transaction():
        dossier = _own_dossier(user, dossier_id)
        expected = _check_version(dossier, version)
        if dossier.state not in MODIFIABLE_STATES:
            raise ServiceError(_l("A dossier in this state cannot be modified."))
        fields = COMMERCIAL + OPTIONAL_COMMERCIAL
        before = _snapshot(dossier, ("state",) + fields + ("decision_date", "decision_reason"))
        changes = {name: data.get(name) or None for name in fields}
        state_before = dossier.state
        type_ = "MODIFY"
        if dossier.state == "INCOMPLETE" and _is_complete(changes):
            for name, value in changes.items():
                setattr(dossier, name, value)
            state, reason = _decide(dossier)
            changes.update(state=state, decision_reason=reason,
                           decision_date=date.today() if state == "APPROVED" else None)
            type_ = "COMPLETE"
        _save(dossier, expected, changes)
        after = _snapshot(dossier, ("state",) + fields + ("decision_date", "decision_reason"))
        changed_before = {k: v for k, v in before.items() if after.get(k) != v}
        changed_after = {k: after[k] for k in changed_before}
        _add_action(dossier, user, type_, state_before, before=changed_before,
                    after=changed_after)
        _audit("dossier.modified", dossier, before=changed_before, after=changed_after)
    return dossier


def activate_dossier(user, dossier_id, version, activation_date, invoice_date) -> Dossier:
    with write_transaction():
        dossier = _own_dossier(user, dossier_id)
        expected = _check_version(dossier, version)
        if dossier.state != "APPROVED":
            raise ServiceError(_l("Only an approved dossier can be activated."))
        if invoice_date < activation_date:
            raise ServiceError(_l("The invoice date cannot be before the activation date."),
                               field="invoice_date")
        before = _snapshot(dossier, ("state", "activation_date", "invoice_date"))
        _save(dossier, expected, {"state": "ACTIVE", "activation_date": activation_date,
                                  "invoice_date": invoice_date})
        after = _snapshot(dossier, ("state", "activation_date", "invoice_date"))
        _add_action(dossier, user, "ACTIVATE", "APPROVED", before=before, after=after)
        _audit("dossier.activated", dossier, before=before, after=after)
    return dossier


CEASABLE_STATES = ("APPROVED", "ACTIVE")


def cease_dossier(user, dossier_id, version, reason: str, effective: date,
                  note: str | None = None) -> Dossier:
    with write_transaction():
        dossier = _own_dossier(user, dossier_id)
        expected = _check_version(dossier, version)
        if dossier.state not in CEASABLE_STATES:
            raise ServiceError(_l("Only an approved or active social tariff can be ceased."))
        if dossier.activation_date and effective < dossier.activation_date:
            raise ServiceError(_l("The end date cannot be before the activation date."),
                               field="effective_date")
        fields = ("state", "end_date", "end_reason")
        before = _snapshot(dossier, fields)
        state_before = dossier.state
        _save(dossier, expected, {"state": "ENDED", "end_date": effective, "end_reason": reason})
        after = _snapshot(dossier, fields)
        _add_action(dossier, user, "CEASE", state_before, before=before, after=after,
                    reason=note or None)
        _audit("dossier.ceased", dossier, before=before, after=after)
    return dossier


# --- cancel the latest action ---------------------------------------------------------------

def last_action(dossier: Dossier) -> DossierAction | None:
    return (DossierAction.select().where(DossierAction.dossier == dossier.id)
            .order_by(DossierAction.id.desc()).first())


def cancellable(user, dossier: Dossier, action: DossierAction | None) -> bool:
    return (action is not None and action.type != "CANCEL" and action.cancelled_by_id is None
            and action.company_id == user.company_id)


def cancel_last_action(user, dossier_id, version, action_id, reason: str) -> Dossier:
    """Undo the latest action of a dossier: its "before" values come back, the dossier
    returns to the state before it, and the cancellation is itself on the timeline."""
    if not (reason or "").strip():
        raise ServiceError(_l("Give the reason for the cancellation."), field="reason")
    try:
        with write_transaction():
            dossier = _own_dossier(user, dossier_id)
            expected = _check_version(dossier, version)
            action = last_action(dossier)
            if action is None or str(action.id) != str(action_id):
                raise Conflict(_l("This is no longer the latest action of the dossier."))
            if not cancellable(user, dossier, action):
                raise ServiceError(_l("This action cannot be cancelled: only the latest action "
                                      "taken by your company can be."))
            before_values = json.loads(action.before)
            current = _snapshot(dossier, RESTORABLE)
            if action.type == "REQUEST":
                changes = {"state": "CANCELLED"}
            else:
                changes = {name: _restore_value(name, value)
                           for name, value in before_values.items() if name in RESTORABLE}
                changes.setdefault("state", action.state_before)
            if "company_id" in changes:
                changes["company"] = changes.pop("company_id")
            state_before = dossier.state
            _save(dossier, expected, changes)
            restored = {k: current[k] for k in before_values if k in current}
            cancel = _add_action(dossier, user, "CANCEL", state_before, before=restored,
                                 after=before_values, reason=reason.strip())
            DossierAction.update(cancelled_by=cancel).where(DossierAction.id == action.id).execute()
            _audit("dossier.action_cancelled", dossier, cancelled_action=action.id,
                   cancelled_type=action.type, reason=reason.strip())
    except IntegrityError:
        raise ServiceError(_l("This action cannot be cancelled: the household has another "
                              "social tariff now.")) from None
    return dossier


# --- reading --------------------------------------------------------------------------------

def view_dossier(user, dossier_id) -> Dossier:
    """The dossier of the user's company; every view is recorded (consultation log)."""
    dossier = _own_dossier(user, dossier_id)
    record_event("dossier.viewed", object_type="dossier", object_id=dossier.id,
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
    from stts.models import AuditEvent

    return list(AuditEvent.select(AuditEvent.at, AuditEvent.actor_username)
                .where((AuditEvent.object_type == "dossier")
                       & (AuditEvent.object_id == str(dossier.id))
                       & (AuditEvent.action == "dossier.viewed")
                       & (AuditEvent.company_id == user.company_id))
                .order_by(AuditEvent.id.desc()).limit(limit))


def _search_values(user, filters: dict) -> dict:
    """The values a search binds, by name; which names are present is the query's shape."""
    values = {"company": user.company_id}
    if filters.get("national_number"):
        values["national_number"] = filters["national_number"]
    if filters.get("name"):
        words = filters["name"].split()
        _prefix_values(values, "last_name", words[0])
        if len(words) > 1:
            _prefix_values(values, "first_name", " ".join(words[1:]))
    for name in ("phone_number", "customer_number", "state", "category", "created_from",
                 "activated_from", "activated_to"):
        if filters.get(name):
            values[name] = filters[name]
    if filters.get("created_to"):
        values["created_before"] = filters["created_to"] + timedelta(days=1)
    return values


def _prefix_values(values: dict, name: str, text: str) -> None:
    key = search_key(text)
    values[f"{name}_like"] = like_prefix(key)
    if key and is_sqlite():
        # SQLite's LIKE is case-insensitive and cannot use a BINARY index: the same prefix as
        # a range (keys are folded, so code-point order is exact) reads the index.
        values[f"{name}_from"] = key
        values[f"{name}_to"] = key[:-1] + chr(ord(key[-1]) + 1)


def _prefix(column, name: str, names):
    Param = fastsql.Param
    condition = NodeList((column, SQL("LIKE"), Param(f"{name}_like"), SQL("ESCAPE '\\'")))
    if f"{name}_from" in names:
        condition = ((column >= Param(f"{name}_from")) & (column < Param(f"{name}_to"))
                     & condition)
    return condition


def _filtered(query, names, *, joined: bool):
    """``query`` (on Dossier, with Beneficiary joined when ``joined``) narrowed by the filters
    ``names`` (keys of ``_search_values``), written with ``Param``s. Every filter reads an
    index: national number through the unique person index, the last name through
    (company, last_name_key), the rest through (company, column)."""
    Param = fastsql.Param
    query = query.where(Dossier.company == Param("company"))
    if "national_number" in names:
        query = query.where(Dossier.beneficiary.in_(
            Beneficiary.select(Beneficiary.id)
            .where(Beneficiary.national_number == Param("national_number"))))
    if "last_name_like" in names:
        query = query.where(_prefix(Dossier.last_name_key, "last_name", names))
    if "first_name_like" in names:
        if not joined:
            query = query.join(Beneficiary)
        query = query.where(_prefix(Beneficiary.first_name_key, "first_name", names))
    for name in ("phone_number", "customer_number", "state", "category"):
        if name in names:
            query = query.where(getattr(Dossier, name) == Param(name))
    if "created_from" in names:
        query = query.where(Dossier.created_at >= Param("created_from", Dossier.created_at))
    if "created_before" in names:
        query = query.where(Dossier.created_at < Param("created_before", Dossier.created_at))
    if "activated_from" in names:
        query = query.where(Dossier.activation_date >= Param("activated_from",
                                                             Dossier.activation_date))
    if "activated_to" in names:
        query = query.where(Dossier.activation_date <= Param("activated_to",
                                                             Dossier.activation_date))
    return query


NEWEST_FIRST = (Dossier.created_at.desc(), Dossier.id.desc())
# A name search lists by name, newest first within a name: the order of its index
# (company, last_name_key, created_at DESC, id DESC), so a page never sorts the matches.
BY_NAME = (Dossier.last_name_key, *NEWEST_FIRST)


def _order(names):
    return BY_NAME if "last_name_like" in names else NEWEST_FIRST

# What the results table shows, as plain rows: a model object per row converts every one of
# the dossier's and the person's forty-odd columns.
RESULT_COLUMNS = (Dossier.id, Dossier.state, Dossier.category, Dossier.phone_number,
                  Dossier.customer_number, Dossier.created_at, Beneficiary.national_number,
                  Beneficiary.last_name, Beneficiary.first_name)


def search_dossiers(user, filters: dict, page: int = 1) -> Page:
    """One page of the user's company's dossiers matching ``filters`` (already cleaned),
    newest first (by name first for a name search). The count and the page's ids come from
    the dossier indexes alone (a deep page skips index entries, not joined rows), then one
    query reads the page's 25 rows with their persons (``RESULT_COLUMNS``, as dicts). Two
    prepared statements whatever the page and its size."""
    values = _search_values(user, filters)
    names = tuple(sorted(values))
    return paginate_ids(
        ("dossier-search", names),
        lambda: _filtered(Dossier.select(Dossier.id), names, joined=False),
        values, page, PAGE_SIZE, _order(names), lambda in_page: (
            Dossier.select(*RESULT_COLUMNS).join(Beneficiary).where(in_page).dicts()))


EXPORT_COLUMNS = (Dossier.id, Beneficiary.national_number, Beneficiary.last_name,
                  Beneficiary.first_name, Dossier.category, Dossier.service,
                  Dossier.phone_number, Dossier.customer_number, Dossier.state,
                  Dossier.activation_date, Dossier.end_date, Dossier.created_at)


def export_rows(user, filters: dict):
    """Rows for the CSV export, streamed from the database (national numbers masked)."""
    from stts.identifiers import mask_national_number

    record_event("dossier.exported", object_type="dossier",
                 filters={k: v for k, v in filters.items() if k != "national_number"})
    values = _search_values(user, filters)
    names = tuple(sorted(values))
    # Only the exported columns, as plain tuples (no model object per row), streamed.
    rows = fastsql.select(("dossier-export", names), lambda: _filtered(
        Dossier.select(*EXPORT_COLUMNS).join(Beneficiary), names, joined=True)
        .order_by(*_order(names)).tuples(), **values)
    for (id_, nrn, last_name, first_name, category, service, phone, customer, state,
         activated, ended, created) in rows.iterator():
        yield [id_, mask_national_number(nrn), last_name, first_name, category, service or "",
               phone or "", customer or "", state, activated or "", ended or "", created.date()]


def count_by_state(user) -> dict:
    rows = (Dossier.select(Dossier.state, fn.COUNT(Dossier.id).alias("n"))
            .where(Dossier.company == user.company_id).group_by(Dossier.state).tuples())
    return dict(rows)

