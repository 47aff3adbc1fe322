"""The regulator's review queue through HTTP: queue, review page, approve, reject, ask for
documents, close too late (and refused before the due date), conflicts, the yearly check,
and access (case handlers only)."""
import re
from datetime import date, datetime, timedelta

import pytest

from stts.demo_dossiers import DEMO
from stts.models import (
    AuditEvent,
    Beneficiary,
    DeskJob,
    Dossier,
    DossierAction,
    EligibilityRecord,
    Task,
)
from tests.conftest import HX, login, text_of


def _dossier(nrn) -> Dossier:
    return (Dossier.select().join(Beneficiary).where(Beneficiary.national_number == nrn)
            .order_by(Dossier.id.desc()).get())


def _fresh(dossier) -> Dossier:
    return Dossier.get_by_id(dossier.id)


@pytest.fixture
def handler(client):
    login(client, "handler.bipt")
    return client


@pytest.fixture
def review():
    return _dossier(DEMO["review_alpha"])


# --- the queue ----------------------------------------------------------------------------------

def test_queue_lists_review_dossiers_oldest_first_with_masked_numbers(handler, review):
    response = handler.get("/backoffice/review")
    assert response.status_code == 200
    page = text_of(response)
    assert "10 dossiers under review" in page
    assert "Telco Alpha" in page
    assert DEMO["review_alpha"] not in page  # masked in lists
    ids = [d.id for d in Dossier.select().where(Dossier.state == "REVIEW")
           .order_by(Dossier.created_at)]
    body = response.get_data(as_text=True)
    assert body.index(f"/backoffice/review/{ids[0]}\"") < body.index(f"/backoffice/review/{ids[-1]}\"")


def test_queue_fragment_and_filters(handler, review):
    response = handler.get("/backoffice/review?category=" + review.category, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    expected = Dossier.select().where((Dossier.state == "REVIEW")
                                      & (Dossier.category == review.category)).count()
    assert f"{expected} dossier" in text_of(response)
    from stts.models import Company

    beta = Company.get(Company.name.contains("Beta"))
    response = handler.get(f"/backoffice/review?operator={beta.id}", headers=HX)
    assert "No dossier is waiting" in text_of(response)


def test_queue_age_filter_and_bad_filter_values(handler, review):
    Dossier.update(created_at=datetime.utcnow()).where(Dossier.id == review.id).execute()
    response = handler.get("/backoffice/review?age=7")
    assert "9 dossiers under review" in text_of(response)
    response = handler.get("/backoffice/review?age=9999&page=abc")
    assert response.status_code == 200 and "10 dossiers under review" in text_of(response)


def test_queue_highlights_overdue_documents(handler, review):
    Dossier.update(documents_due=date.today() - timedelta(days=1)).where(
        Dossier.id == review.id).execute()
    body = handler.get("/backoffice/review").get_data(as_text=True)
    assert body.count('class="overdue"') == 1
    assert "overdue" in body


def test_queue_paginates(handler):
    import stts.services.review as service

    Dossier.update(state="REVIEW").where(Dossier.state == "ACTIVE").execute()
    total = Dossier.select().where(Dossier.state == "REVIEW").count()
    assert total > service.PAGE_SIZE
    page2 = handler.get("/backoffice/review?page=2")
    assert f"Page 2 of {-(-total // service.PAGE_SIZE)}" in text_of(page2)


# --- the review page ------------------------------------------------------------------------------

def test_review_page_shows_beneficiary_eligibility_and_timeline(handler, review):
    response = handler.get(f"/backoffice/review/{review.id}")
    page = text_of(response)
    assert response.status_code == 200
    assert review.beneficiary.last_name in page
    assert "Entitled today" in page  # the demo person is known and eligible
    assert "History" in page and "Request" in page
    event = AuditEvent.select().where(AuditEvent.action == "review.dossier_viewed").get()
    assert DEMO["review_alpha"] not in event.details and "nrn:" in event.details


def test_review_page_unknown_dossier_is_404(handler):
    assert handler.get("/backoffice/review/999999").status_code == 404


def test_approve_records_decision_and_tells_the_operator(handler, review):
    response = handler.post(f"/backoffice/review/{review.id}/decide", data={
        "decide-version": review.version, "decide-decision": "APPROVE",
        "decide-reason": "Certificate of the CPAS checked"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/backoffice/review")
    dossier = _fresh(review)
    assert dossier.state == "APPROVED" and dossier.decision_date == date.today()
    assert dossier.decision_reason == "Certificate of the CPAS checked"
    assert dossier.version == review.version + 1
    action = DossierAction.select().where(DossierAction.dossier == review.id).order_by(
        DossierAction.id.desc()).first()
    assert action.type == "APPROVE" and action.company_id is None
    assert action.author.username == "handler.bipt"
    task = Task.get((Task.dossier == review.id) & (Task.type == "DECISION_TAKEN"))
    assert task.company_id == review.company_id and task.state == "OPEN"
    assert AuditEvent.select().where(AuditEvent.action == "review.approved").count() == 1


def test_reject_via_htmx_answers_hx_redirect(handler, review):
    response = handler.post(f"/backoffice/review/{review.id}/decide", headers=HX, data={
        "decide-version": review.version, "decide-decision": "REJECT",
        "decide-reason": "Not entitled"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith("/backoffice/review")
    assert _fresh(review).state == "REJECTED"
    assert Task.select().where((Task.dossier == review.id)
                               & (Task.type == "DECISION_TAKEN")).count() == 1


def test_decision_without_reason_is_422_keeping_input(handler, review):
    response = handler.post(f"/backoffice/review/{review.id}/decide", headers=HX, data={
        "decide-version": review.version, "decide-decision": "REJECT", "decide-reason": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert "Give the reason." in body
    assert re.search(r'<option selected value="REJECT"|value="REJECT" selected', body)
    assert _fresh(review).state == "REVIEW"


def test_stale_decision_is_409_keeping_input(handler, review):
    Dossier.update(version=Dossier.version + 1).where(Dossier.id == review.id).execute()
    response = handler.post(f"/backoffice/review/{review.id}/decide", headers=HX, data={
        "decide-version": review.version, "decide-decision": "APPROVE",
        "decide-reason": "My careful reason"})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "My careful reason" in body and "changed this dossier meanwhile" in body
    assert f'value="{review.version + 1}"' in body  # sending again works
    assert _fresh(review).state == "REVIEW"


def test_decision_on_a_dossier_not_in_review_is_refused(handler):
    active = _dossier(DEMO["active_alpha"])
    response = handler.post(f"/backoffice/review/{active.id}/decide", data={
        "decide-version": active.version, "decide-decision": "REJECT", "decide-reason": "x"})
    assert response.status_code == 422
    assert "no longer under review" in text_of(response)
    assert _fresh(active).state == "ACTIVE"


def test_ask_documents_sets_due_date(handler, review):
    due = date.today() + timedelta(days=20)
    response = handler.post(f"/backoffice/review/{review.id}/documents", data={
        "documents-version": review.version, "documents-due_date": due.isoformat(),
        "documents-reason": "Disability certificate"})
    assert response.status_code == 302
    dossier = _fresh(review)
    assert dossier.documents_due == due and dossier.state == "REVIEW"
    action = DossierAction.select().where(DossierAction.dossier == review.id).order_by(
        DossierAction.id.desc()).first()
    assert action.type == "ASK_DOCUMENTS" and action.reason == "Disability certificate"
    # the close form is not offered before the due date
    page = text_of(handler.get(f"/backoffice/review/{review.id}"))
    assert "Close the file" not in page


def test_ask_documents_due_date_must_be_future(handler, review):
    response = handler.post(f"/backoffice/review/{review.id}/documents", headers=HX, data={
        "documents-version": review.version, "documents-due_date": date.today().isoformat(),
        "documents-reason": "Certificate"})
    assert response.status_code == 422
    assert "must be in the future" in text_of(response)
    assert _fresh(review).documents_due is None


def test_close_refused_before_the_due_date(handler, review):
    Dossier.update(documents_due=date.today() + timedelta(days=3)).where(
        Dossier.id == review.id).execute()
    response = handler.post(f"/backoffice/review/{review.id}/close", headers=HX, data={
        "close-version": review.version, "close-reason": ""})
    assert response.status_code == 422
    assert "only after the due date" in text_of(response)
    assert _fresh(review).state == "REVIEW"
    assert not Task.select().where((Task.dossier == review.id)
                                   & (Task.type == "CLOSE_FILE")).exists()


def test_close_refused_without_documents_asked(handler, review):
    response = handler.post(f"/backoffice/review/{review.id}/close", data={
        "close-version": review.version})
    assert response.status_code == 422
    assert _fresh(review).state == "REVIEW"


def test_close_when_documents_came_too_late(handler, review):
    Dossier.update(documents_due=date.today() - timedelta(days=1)).where(
        Dossier.id == review.id).execute()
    assert "Close the file" in text_of(handler.get(f"/backoffice/review/{review.id}"))
    response = handler.post(f"/backoffice/review/{review.id}/close", data={
        "close-version": review.version, "close-reason": "Nothing received"})
    assert response.status_code == 302
    dossier = _fresh(review)
    assert dossier.state == "CLOSED"
    action = DossierAction.select().where(DossierAction.dossier == review.id).order_by(
        DossierAction.id.desc()).first()
    assert action.type == "CLOSE" and action.state_before == "REVIEW"
    task = Task.get((Task.dossier == review.id) & (Task.type == "CLOSE_FILE"))
    assert task.company_id == review.company_id


def test_operator_sees_decision_taken_task(handler, review, make_client):
    handler.post(f"/backoffice/review/{review.id}/decide", data={
        "decide-version": review.version, "decide-decision": "APPROVE", "decide-reason": "ok"})
    operator = make_client()
    login(operator, "stts3.alpha")
    assert "Decision taken" in text_of(operator.get("/desk/tasks"))


# --- the yearly check -------------------------------------------------------------------------------

def test_yearly_check_ends_no_longer_eligible_and_keeps_eligible(handler):
    ended = _dossier(DEMO["active_alpha"])
    kept = _dossier(DEMO["active_beta"])
    EligibilityRecord.update(valid_to=date.today() - timedelta(days=1)).where(
        EligibilityRecord.national_number == DEMO["active_alpha"]).execute()
    active_before = Dossier.select().where(Dossier.state == "ACTIVE").count()
    response = handler.post("/backoffice/yearly-check")
    assert response.status_code == 302
    job = DeskJob.select().where(DeskJob.kind == "YEARLY_CHECK").get()
    assert response.headers["Location"].endswith(f"/backoffice/yearly-check/{job.id}")
    assert job.state == "DONE" and job.done == job.total == active_before
    ended = _fresh(ended)
    assert ended.state == "ENDED" and ended.end_reason == "NOT_ELIGIBLE"
    assert _fresh(kept).state == "ACTIVE"
    action = DossierAction.select().where(DossierAction.dossier == ended.id).order_by(
        DossierAction.id.desc()).first()
    assert action.type == "YEARLY_CHECK" and action.state_before == "ACTIVE"
    task = Task.get((Task.dossier == ended.id) & (Task.type == "TERMINATE_REDUCTION"))
    assert task.company_id == ended.company_id
    page = text_of(handler.get(f"/backoffice/yearly-check/{job.id}", headers=HX))
    assert "Finished" in page
    assert 'id="result-ended">1<' in page.replace(" ", "")


def test_yearly_check_job_fragment_polls_while_running(handler):
    job = DeskJob.create(kind="YEARLY_CHECK", state="RUNNING", total=80, done=20)
    response = handler.get(f"/backoffice/yearly-check/{job.id}", headers=HX)
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'hx-trigger="every 1s"' in body and "20 of 80" in text_of(response)
    DeskJob.update(state="DONE", done=80).where(DeskJob.id == job.id).execute()
    body = handler.get(f"/backoffice/yearly-check/{job.id}", headers=HX).get_data(as_text=True)
    assert "every 1s" not in body


def test_yearly_check_refused_while_one_is_running(handler):
    DeskJob.create(kind="YEARLY_CHECK", state="RUNNING", total=10)
    response = handler.post("/backoffice/yearly-check")
    assert response.status_code == 409
    assert "already running" in text_of(response)
    assert DeskJob.select().where(DeskJob.kind == "YEARLY_CHECK").count() == 1


def test_yearly_check_page_lists_recent_jobs(handler):
    handler.post("/backoffice/yearly-check")
    page = text_of(handler.get("/backoffice/yearly-check"))
    assert "Recent yearly checks" in page and "Finished" in page


def test_register_job_is_not_a_yearly_check_job(handler):
    job = DeskJob.create(kind="REGISTER_IMPORT", state="DONE")
    assert handler.get(f"/backoffice/yearly-check/{job.id}").status_code == 404


# --- access -----------------------------------------------------------------------------------

PATHS = ["/backoffice/review", "/backoffice/review/{id}", "/backoffice/yearly-check"]
POSTS = ["/backoffice/review/{id}/decide", "/backoffice/review/{id}/documents",
         "/backoffice/review/{id}/close", "/backoffice/yearly-check"]


@pytest.mark.parametrize("username", ["stts3.alpha", "lm.alpha", "agent.bipt", "auditor.bipt"])
def test_only_case_handlers_get_in(client, username, review):
    login(client, username)
    for path in PATHS:
        assert client.get(path.format(id=review.id)).status_code == 403, path
    for path in POSTS:
        response = client.post(path.format(id=review.id), data={
            "decide-version": review.version, "decide-decision": "APPROVE",
            "decide-reason": "x"})
        assert response.status_code == 403, path
    assert _fresh(review).state == "REVIEW"
    assert not DeskJob.select().exists()


def test_anonymous_is_refused(client, review):
    page = client.get("/backoffice/review")
    assert page.status_code == 401 and 'id="login-form"' in page.get_data(as_text=True)
    response = client.post(f"/backoffice/review/{review.id}/decide", data={
        "decide-version": review.version, "decide-decision": "APPROVE", "decide-reason": "x"})
    assert response.status_code == 401
    assert _fresh(review).state == "REVIEW"


def test_home_card_only_for_case_handlers(client):
    login(client, "handler.bipt")
    assert "Review queue" in text_of(client.get("/backoffice/"))
    other = client.application.test_client()
    login(other, "agent.bipt")
    assert "Review queue" not in text_of(other.get("/backoffice/"))
