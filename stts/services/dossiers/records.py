"""What every dossier operation shares: the timeline entry, optimistic locking, the snapshot
of changed fields and the audit event."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from stts import fastsql
from stts.db import utcnow
from stts.i18n import lazy_gettext as _l
from stts.models import Beneficiary, Dossier, DossierAction
from stts.services import NotFound, locking, parse_id
from stts.services.audit import pseudonymize, record_event

COMMERCIAL = ("service", "phone_number", "customer_number", "tariff_formula")
OPTIONAL_COMMERCIAL = ("installation_costs",)
DATES = ("activation_date", "invoice_date", "decision_date", "end_date", "documents_due")
# Fields a cancellation can restore (the "before" of an action).
RESTORABLE = ("state", "company_id", *COMMERCIAL, *OPTIONAL_COMMERCIAL, *DATES,
              "decision_reason", "end_reason", "category")
STALE = _l("Someone changed this dossier meanwhile. Your input is kept: check the dossier and "
           "send it again.")


def _jsonable(value):
    """A value as the timeline stores it. Money always with two decimals: 12.5 read back
    from the database and the 12.50 just saved are the same amount, not a change."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return str(value)
    return value


def snapshot(dossier: Dossier, fields) -> dict:
    """The values of ``fields`` as the timeline stores them (JSON)."""
    return {name: _jsonable(getattr(dossier, name)) for name in fields}


def restore_value(name: str, value):
    """A snapshot's value back to the field's Python type."""
    if value is None:
        return None
    if name in DATES:
        return date.fromisoformat(value)
    if name == "installation_costs":
        return Decimal(value)
    return value


def add_action(dossier, user, type_, state_before, before=None, after=None, reason=None,
               company_id="own"):
    """One entry of the dossier's timeline. ``company_id``: the operator on whose behalf
    (the acting user's by default; None for the regulator or the system)."""
    if company_id == "own":
        company_id = user.company_id if user is not None else None
    return fastsql.create(
        DossierAction, dossier=dossier, type=type_, company=company_id,
        author=user, author_name=user.full_name if user is not None else "STTS",
        at=utcnow(), state_before=state_before, state_after=dossier.state,
        before=json.dumps(before or {}, sort_keys=True),
        after=json.dumps(after or {}, sort_keys=True), reason=reason,
    )


def check_version(dossier: Dossier, version) -> int:
    """The version the form was loaded with; Conflict when the dossier changed since."""
    return locking.check_version(dossier, version, STALE)


def save(dossier: Dossier, expected_version: int, fields: dict) -> None:
    """Write ``fields`` only when nobody changed the dossier since ``expected_version``."""
    fields = dict(fields, updated_at=utcnow())
    fields["version"] = locking.update_versioned(Dossier, dossier.id, expected_version, fields,
                                                 message=STALE)
    for name, value in fields.items():
        setattr(dossier, name, value)


def own_dossier(user, dossier_id) -> Dossier:
    """The dossier of the user's company, with its person; NotFound for any other (an id out
    of the database's range included)."""
    dossier_id = parse_id(dossier_id)
    if dossier_id is None:
        raise NotFound(_l("This dossier does not exist."))
    dossier = next(iter(fastsql.select("own-dossier", lambda: (
        Dossier.select(Dossier, Beneficiary).join(Beneficiary)
        .where((Dossier.id == fastsql.Param("dossier"))
               & (Dossier.company == fastsql.Param("company")))),
        dossier=dossier_id, company=user.company_id)), None)
    if dossier is None:
        raise NotFound(_l("This dossier does not exist."))
    return dossier


def audit(action: str, dossier: Dossier, actor, **details):
    """The audit event of an operation on ``dossier`` (its person as a keyed hash)."""
    record_event(action, actor=actor, object_type="dossier", object_id=dossier.id,
                 company_id=dossier.company_id,
                 person=pseudonymize(dossier.beneficiary.national_number), **details)
