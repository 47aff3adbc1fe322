"""Cancel the latest action of a dossier (STTS 3): its "before" values come back."""
from __future__ import annotations

import json

from peewee import IntegrityError

from stts.db import write_transaction
from stts.i18n import lazy_gettext as _l
from stts.models import Dossier, DossierAction
from stts.services import Conflict, ServiceError
from stts.services.dossiers.records import (
    RESTORABLE,
    add_action,
    audit,
    check_version,
    own_dossier,
    restore_value,
    save,
    snapshot,
)


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
            dossier = own_dossier(user, dossier_id)
            expected = check_version(dossier, version)
            action = last_action(dossier)
            if action is None or str(action.id) != str(action_id):
                raise Conflict(_l("This is no longer the latest action of the dossier."))
            if not cancellable(user, dossier, action):
                raise ServiceError(_l("This action cannot be cancelled: only the latest action "
                                      "taken by your company can be."))
            before_values = json.loads(action.before)
            current = snapshot(dossier, RESTORABLE)
            if action.type == "REQUEST":
                changes = {"state": "CANCELLED"}
            else:
                changes = {name: restore_value(name, value)
                           for name, value in before_values.items() if name in RESTORABLE}
                changes.setdefault("state", action.state_before)
            if "company_id" in changes:
                changes["company"] = changes.pop("company_id")
            state_before = dossier.state
            save(dossier, expected, changes)
            restored = {k: current[k] for k in before_values if k in current}
            cancel = add_action(dossier, user, "CANCEL", state_before, before=restored,
                                after=before_values, reason=reason.strip())
            DossierAction.update(cancelled_by=cancel).where(DossierAction.id == action.id).execute()
            audit("dossier.action_cancelled", dossier, user, cancelled_action=action.id,
                  cancelled_type=action.type, reason=reason.strip())
    except IntegrityError:
        raise ServiceError(_l("This action cannot be cancelled: the household has another "
                              "social tariff now.")) from None
    return dossier
