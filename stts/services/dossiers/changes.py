"""Changes to a dossier of the user's company: modify (or complete), activate, cease."""
from __future__ import annotations

from datetime import date

from stts.db import write_transaction
from stts.i18n import lazy_gettext as _l
from stts.models import Dossier
from stts.models.dossiers import CEASABLE_STATES, MODIFIABLE_STATES
from stts.services import ServiceError
from stts.services.dossiers.lookup import decide, is_complete
from stts.services.dossiers.records import (
    COMMERCIAL,
    OPTIONAL_COMMERCIAL,
    add_action,
    audit,
    check_version,
    own_dossier,
    save,
    snapshot,
)
from stts.services.tasks import close_done_tasks


def modify_dossier(user, dossier_id, version, data: dict) -> Dossier:
    """Change the operator's commercial data. An INCOMPLETE dossier that becomes complete is
    submitted and decided at once."""
    with write_transaction():
        dossier = own_dossier(user, dossier_id)
        expected = check_version(dossier, version)
        if dossier.state not in MODIFIABLE_STATES:
            raise ServiceError(_l("A dossier in this state cannot be modified."))
        fields = COMMERCIAL + OPTIONAL_COMMERCIAL
        before = snapshot(dossier, ("state",) + fields + ("decision_date", "decision_reason"))
        changes = {name: data.get(name) or None for name in fields}
        state_before = dossier.state
        type_ = "MODIFY"
        if dossier.state == "INCOMPLETE" and is_complete(changes):
            for name, value in changes.items():
                setattr(dossier, name, value)
            state, reason = decide(dossier)
            changes.update(state=state, decision_reason=reason,
                           decision_date=date.today() if state == "APPROVED" else None)
            type_ = "COMPLETE"
        save(dossier, expected, changes)
        if type_ == "COMPLETE":
            close_done_tasks(user, dossier, "ENTER_MISSING_DATA")
        after = snapshot(dossier, ("state",) + fields + ("decision_date", "decision_reason"))
        changed_before = {k: v for k, v in before.items() if after.get(k) != v}
        if not changed_before:  # rolled back: no new version, action or audit entry
            raise ServiceError(_l("Nothing to save: the data is the same as before."))
        changed_after = {k: after[k] for k in changed_before}
        add_action(dossier, user, type_, state_before, before=changed_before,
                   after=changed_after)
        audit("dossier.modified", dossier, user, before=changed_before, after=changed_after)
    return dossier


def activate_dossier(user, dossier_id, version, activation_date, invoice_date) -> Dossier:
    with write_transaction():
        dossier = own_dossier(user, dossier_id)
        expected = check_version(dossier, version)
        if dossier.state != "APPROVED":
            raise ServiceError(_l("Only an approved dossier can be activated."))
        if invoice_date < activation_date:
            raise ServiceError(_l("The invoice date cannot be before the activation date."),
                               field="invoice_date")
        before = snapshot(dossier, ("state", "activation_date", "invoice_date"))
        save(dossier, expected, {"state": "ACTIVE", "activation_date": activation_date,
                                 "invoice_date": invoice_date})
        after = snapshot(dossier, ("state", "activation_date", "invoice_date"))
        add_action(dossier, user, "ACTIVATE", "APPROVED", before=before, after=after)
        audit("dossier.activated", dossier, user, before=before, after=after)
    return dossier


def cease_dossier(user, dossier_id, version, reason: str, effective: date,
                  note: str | None = None) -> Dossier:
    with write_transaction():
        dossier = own_dossier(user, dossier_id)
        expected = check_version(dossier, version)
        if dossier.state not in CEASABLE_STATES:
            raise ServiceError(_l("Only an approved or active social tariff can be ceased."))
        if dossier.activation_date and effective < dossier.activation_date:
            raise ServiceError(_l("The end date cannot be before the activation date."),
                               field="effective_date")
        fields = ("state", "end_date", "end_reason")
        before = snapshot(dossier, fields)
        state_before = dossier.state
        save(dossier, expected, {"state": "ENDED", "end_date": effective, "end_reason": reason})
        after = snapshot(dossier, fields)
        add_action(dossier, user, "CEASE", state_before, before=before, after=after,
                   reason=note or None)
        audit("dossier.ceased", dossier, user, before=before, after=after)
    return dossier
