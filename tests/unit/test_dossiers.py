"""Dossier services without HTTP: every state transition and every task type the desk
raises, with the timeline and the audit trail."""
from datetime import date

import pytest

from stts.demo_dossiers import DEMO, person
from stts.models import AuditEvent, Beneficiary, Dossier, DossierAction, Task, User
from stts.models.dossiers import CATEGORIES
from stts.services import Conflict, NotFound, ServiceError
from stts.services import tasks as task_service
from stts.services.dossiers import cancelling, changes, lookup, reading, requesting

COMMERCIAL = {"service": "FIXED", "phone_number": "+3222268888", "customer_number": "X-1",
              "tariff_formula": "Social"}


def user(name):
    return User.get(User.username == name)


def dossier_of(key):
    return (Dossier.select().join(Beneficiary)
            .where(Beneficiary.national_number == DEMO[key]).get())


def request(username, n, complete=True, category=None):
    data = {"national_number": person(n), "category": category or CATEGORIES[n % 6]}
    if complete:
        data.update(COMMERCIAL)
    return requesting.request_tariff(user(username), data)


def test_incomplete_to_submitted_to_approved(app):
    dossier = request("stts1.alpha", 12, complete=False)
    assert dossier.state == "INCOMPLETE"
    assert Task.get(Task.dossier == dossier).type == "ENTER_MISSING_DATA"
    dossier = changes.modify_dossier(user("stts1.alpha"), dossier.id, 1, COMMERCIAL)
    assert dossier.state == "APPROVED" and dossier.decision_date == date.today()
    action = DossierAction.select().where(DossierAction.dossier == dossier).order_by(
        DossierAction.id.desc()).first()
    assert (action.type, action.state_before, action.state_after) == (
        "COMPLETE", "INCOMPLETE", "APPROVED")


def test_incomplete_completed_for_unknown_goes_to_review(app):
    data = {"national_number": person(5001), "category": "AGE65", "last_name": "Nieuw",
            "first_name": "Jan"}
    dossier = requesting.request_tariff(user("stts1.alpha"), data)
    dossier = changes.modify_dossier(user("stts1.alpha"), dossier.id, 1, COMMERCIAL)
    assert dossier.state == "REVIEW"


def test_approved_to_active_to_ended(app):
    alpha = user("stts2.alpha")
    dossier = request("stts2.alpha", 13)
    dossier = changes.activate_dossier(alpha, dossier.id, 1, date(2025, 1, 1), date(2025, 1, 1))
    assert dossier.state == "ACTIVE"
    dossier = changes.cease_dossier(alpha, dossier.id, 2, "END_OF_CONTRACT", date(2025, 5, 1))
    assert dossier.state == "ENDED" and dossier.end_reason == "END_OF_CONTRACT"
    with pytest.raises(ServiceError):
        changes.cease_dossier(alpha, dossier.id, 3, "OTHER", date(2025, 5, 2))


def test_cancel_request_cancels_dossier_and_frees_household(app):
    alpha = user("stts3.alpha")
    dossier = request("stts3.alpha", 14)
    action = cancelling.last_action(dossier)
    dossier = cancelling.cancel_last_action(alpha, dossier.id, 1, action.id, "Wrong person")
    assert dossier.state == "CANCELLED"
    again = request("stts3.alpha", 14)
    assert again.id != dossier.id and again.state == "APPROVED"


def test_cancel_needs_latest_action_and_reason(app):
    alpha = user("stts3.alpha")
    dossier = dossier_of("active_alpha")
    first = DossierAction.select().where(DossierAction.dossier == dossier).order_by(
        DossierAction.id).first()
    with pytest.raises(ServiceError):
        cancelling.cancel_last_action(alpha, dossier.id, 1, cancelling.last_action(dossier).id, " ")
    with pytest.raises(Conflict):
        cancelling.cancel_last_action(alpha, dossier.id, 1, first.id, "not the latest")


def test_cancel_of_other_operators_action_refused(app):
    requesting.transfer_tariff(user("stts1.beta"), DEMO["active_alpha"], COMMERCIAL)
    dossier = dossier_of("active_alpha")
    # Alpha no longer sees it; Beta's own transfer is cancellable by Beta only.
    with pytest.raises(NotFound):
        cancelling.cancel_last_action(user("stts3.alpha"), dossier.id, dossier.version, 0, "x")


def test_transfer_keeps_one_dossier_and_raises_old_operator_tasks(app):
    dossier = dossier_of("active_gamma")
    moved = requesting.transfer_tariff(user("stts1.alpha"), DEMO["active_gamma"], COMMERCIAL)
    assert moved.id == dossier.id and moved.state == "ACTIVE"
    tasks = Task.select().where(Task.dossier == dossier.id)
    assert [(t.type, t.company_id) for t in tasks] == [
        ("TRANSFERRED_AWAY", dossier.company_id)]  # one event, one task
    assert task_service.details_of(tasks[0])["customer_number"] == "G-000160"
    timeline = reading.timeline(user("stts1.alpha"), moved)
    old = [entry for entry in timeline if not entry["own"]]
    assert old and all(entry["changes"] == [] and entry["author"] is None for entry in old)


def test_situation_never_exposes_other_operator_data(app):
    situation = lookup.look_up_person(user("stts1.alpha"), DEMO["active_beta"])
    assert situation.elsewhere and situation.elsewhere_active
    assert situation.own_dossier is None


def test_task_processing_and_count(app):
    alpha = user("stts3.alpha")
    assert task_service.open_task_count(alpha) == 10
    task = task_service.list_tasks(alpha).rows[0]
    with pytest.raises(ServiceError):  # "Enter missing data" while the dossier lacks data
        task_service.process_task(alpha, task.id, "Done")
    task = task_service.raise_task("ADDRESS_CHANGED", dossier_of("active_alpha"),
                                   alpha.company_id)
    assert task_service.open_task_count(alpha) == 11
    task_service.process_task(alpha, task.id, "Done")
    assert task_service.open_task_count(alpha) == 10
    with pytest.raises(ServiceError):
        task_service.process_task(alpha, task.id, "Again")
    with pytest.raises(NotFound):
        task_service.process_task(user("stts3.beta"), task.id, "Not mine")


@pytest.mark.parametrize("type_", ["ENTER_MISSING_DATA", "CLOSE_FILE", "TERMINATE_REDUCTION",
                                   "ADDRESS_CHANGED", "BENEFICIARY_DECEASED",
                                   "TRANSFERRED_AWAY", "DECISION_TAKEN"])
def test_every_task_type_listed_and_filterable(app, type_):
    alpha = user("stts3.alpha")
    dossier = dossier_of("active_alpha")
    task_service.raise_task(type_, dossier, alpha.company_id)
    rows = task_service.list_tasks(alpha, type_=type_).rows
    assert [t.type for t in rows if t.dossier_id == dossier.id] == [type_]


def test_audit_events_pseudonymize(app):
    request("stts1.alpha", 15)
    events = AuditEvent.select().where(AuditEvent.action.startswith("dossier."))
    assert events.count() >= 1
    assert all(person(15) not in e.details for e in events)
