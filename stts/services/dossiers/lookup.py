"""What the desk may tell about a person, and the rules that follow from it: one live social
tariff per person and household across all operators, and the automatic check."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from flask_babel import force_locale

from stts import fastsql
from stts.db import utcnow
from stts.eligibility import get_source
from stts.i18n import gettext as _
from stts.i18n import lazy_gettext as _l
from stts.models import AuditEvent, Beneficiary, Dossier, User
from stts.models.dossiers import LIVE_STATES, LIVE_STATES_SQL
from stts.services import ServiceError
from stts.services.audit import pseudonymize, record_event
from stts.services.dossiers.records import COMMERCIAL
from stts.services.notifications import queue_mail


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
    elsewhere_household: bool = False  # ... held by another member of the household


HOUSEHOLD_ELSEWHERE = _l(
    "Another member of this person's household already benefits from the social tariff with "
    "another operator, and a household has only one. To move it to your company, use "
    "Transfer with the national register number of the member who holds it.")
"""The one path for a household member: neither a request (a second tariff in the
household) nor a transfer under their own number (they hold none) — the holder's tariff is
transferred."""


def household_key(nrn: str, household_id: str | None) -> str:
    """The key of the one-live-dossier-per-household rule (a unique partial index)."""
    return f"H:{household_id}" if household_id else f"P:{nrn}"


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
            situation.elsewhere_household = dossier.beneficiary.national_number != nrn
    if record:
        # The person's consultation log: who, when, which company (the actor's), found by
        # the person's keyed hash, whether or not a dossier exists.
        person = pseudonymize(nrn)
        record_event("dossier.person_looked_up", actor=user, object_type="person",
                     object_id=person, person=person, known=result.known)
        _alert_past_daily_threshold(user)
    return situation


LOOKUP_ALERT = "dossier.lookups_alert"


def _alert_past_daily_threshold(user) -> None:
    """Once a day per user, when their lookups today pass ``LOOKUP_DAILY_ALERT``: an entry in
    the company's activity (the console) and an e-mail to its local manager."""
    threshold = current_app.config["LOOKUP_DAILY_ALERT"]
    today = datetime.combine(utcnow().date(), time.min)
    mine = (AuditEvent.actor_id == user.id) & (AuditEvent.at >= today)
    count = AuditEvent.select().where(mine & (AuditEvent.action == "dossier.person_looked_up")
                                      ).count()
    if count <= threshold or AuditEvent.select().where(
            mine & (AuditEvent.action == LOOKUP_ALERT)).exists():
        return
    record_event(LOOKUP_ALERT, actor=user, company_id=user.company_id, object_type="user",
                 object_id=user.id, lookups=count, threshold=threshold)
    managers = User.select().where((User.company == user.company_id) & User.is_local_manager
                                   & User.email.is_null(False))
    for manager in managers:
        if not manager.email:
            continue
        with force_locale(manager.language or "fr"):
            subject = _("STTS: many person lookups by %(username)s", username=user.username)
            body = _(
                "The user %(username)s of your company has looked up %(count)s persons by "
                "national register number today, more than the alert threshold of "
                "%(threshold)s. Each lookup is in the console's activity. If this is not "
                "their work, block the account.", username=user.username, count=count,
                threshold=threshold)
        queue_mail(manager.email, subject, body)


# The same three indexed lookups as _live_dossiers, in one statement, ids and owners only.
# Only constants are formatted in; the values are bound ({p}).
_LIVE = f"d.state IN ({LIVE_STATES_SQL})"
_LIVE_OWNERS = (
    f"SELECT d.id, d.company_id FROM dossier d WHERE d.household_key IN ({{p}}, {{p}}) "  # noqa: S608 # nosec B608
    f"AND {_LIVE} UNION SELECT d.id, d.company_id FROM dossier d JOIN beneficiary b "
    f"ON b.id = d.beneficiary_id WHERE b.national_number = {{p}} AND {_LIVE}")
_LIVE_OWNERS_HOUSEHOLD = (
    f"{_LIVE_OWNERS} UNION SELECT d.id, d.company_id FROM dossier d JOIN beneficiary b "  # noqa: S608 # nosec B608
    f"ON b.id = d.beneficiary_id WHERE b.household_id = {{p}} AND {_LIVE}")


def _live_owners(nrn: str, household_id: str | None) -> list[tuple[int, int]]:
    """(id, company id) of the live dossiers of the person or their household, by id."""
    if household_id:
        rows = fastsql.execute(_LIVE_OWNERS_HOUSEHOLD + " ORDER BY 1",
                               (f"P:{nrn}", f"H:{household_id}", nrn, household_id))
    else:
        rows = fastsql.execute(_LIVE_OWNERS + " ORDER BY 1", (f"P:{nrn}", f"P:{nrn}", nrn))
    return rows.fetchall()


def refuse_duplicate(user, nrn: str, household_id: str | None) -> None:
    """ServiceError when the person or their household already has a live dossier."""
    for dossier_id, company_id in _live_owners(nrn, household_id):
        if company_id == user.company_id:
            raise ServiceError(
                _l("This person or their household already has a social tariff with your "
                   "company (dossier %(id)s).", id=dossier_id), field="national_number")
        if not _held_by(dossier_id, nrn):
            raise ServiceError(HOUSEHOLD_ELSEWHERE, field="national_number")
        raise ServiceError(
            _l("This person or their household already benefits from the social tariff with "
               "another operator. Use Transfer."), field="national_number")


def _held_by(dossier_id: int, nrn: str) -> bool:
    return (Dossier.select(Dossier.id).join(Beneficiary)
            .where((Dossier.id == dossier_id) & (Beneficiary.national_number == nrn)).exists())


def is_complete(values: dict) -> bool:
    return all(values.get(name) for name in COMMERCIAL)


def decide(dossier: Dossier, result=None) -> tuple[str, str]:
    """The automatic check: APPROVED when the source knows the person as eligible today in
    the requested category; REVIEW (the regulator's queue) when it cannot decide. ``result``:
    the source's answer already asked for today (a request asks once). The reason is a code
    of ``stts.labels.DECISION_REASON_LABELS``, shown in the reader's language."""
    if result is None:
        result = get_source().check(dossier.beneficiary.national_number, date.today())
    if result.eligible and result.category == dossier.category:
        return "APPROVED", "AUTO_ELIGIBLE"
    if not result.known:
        return "REVIEW", "AUTO_NOT_KNOWN"
    if not result.eligible:
        return "REVIEW", "AUTO_NO_RIGHT"
    return "REVIEW", "AUTO_OTHER_CATEGORY"
