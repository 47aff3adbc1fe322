"""Back-office queue of access requests: original received, approval, refusal, replacement."""
from datetime import timedelta

from stts.db import utcnow
from stts.models import AccessRequest, AuditEvent, Company, LoginSession, OutboundMail, User
from tests.conftest import HX, login, text_of
from tests.web.portal_helpers import (
    MANAGER,
    SIGNER,
    agent_approves,
    english,
    gazette_file,
    read_credentials,
    request_row,
    submit_request,
)

english  # noqa: B018 (autouse fixture)


def test_queue_requires_the_access_agent(client, make_client):
    assert client.get("/backoffice/access-requests").status_code == 401
    login(client, "handler.bipt")
    assert client.get("/backoffice/access-requests").status_code == 403
    lm = make_client()
    login(lm, "lm.alpha")
    assert lm.get("/backoffice/access-requests").status_code == 403
    agent = make_client()
    login(agent, "agent.bipt")
    assert 'href="/backoffice/access-requests"' in text_of(agent.get("/backoffice/"))


def test_queue_lists_filters_and_searches(client, make_client):
    ticket = submit_request(client)
    agent = make_client()
    login(agent, "agent.bipt")
    response = agent.get("/backoffice/access-requests")
    assert response.status_code == 200
    page = text_of(response)
    assert ticket in page and "0450.123.451" in page
    assert ticket in text_of(agent.get(f"/backoffice/access-requests?q={ticket.lower()}"))
    assert ticket in text_of(agent.get("/backoffice/access-requests?q=0450.123"))
    assert ticket not in text_of(agent.get("/backoffice/access-requests?q=0403019261"))
    assert ticket not in text_of(agent.get("/backoffice/access-requests?status=approved"))
    fragment = agent.get("/backoffice/access-requests?q=0450", headers=HX)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and ticket in body and "<table" in body


def test_queue_is_paginated(client, make_client):
    for index in range(25):
        AccessRequest.create(
            ticket=f"AAAA-AAAA-AAAA-{index:04d}", category="no_staff",
            enterprise_number=f"{index:010d}", company_name=f"C{index}",
            manager_last_name="L", manager_first_name="F", manager_national_number="85073003328",
            manager_quality="worker", manager_email="a@example.com", manager_phone="+3222268888",
            signer_last_name="L", signer_first_name="F", signer_national_number="90051200211",
            signer_quality="director", signer_email="b@example.com", signer_phone="+3222268888")
    login(client, "agent.bipt")
    first = text_of(client.get("/backoffice/access-requests"))
    assert "25 requests" in first and "Page 1 of 2" in first
    assert "AAAA-AAAA-AAAA-0019" in first and "AAAA-AAAA-AAAA-0020" not in first
    second = text_of(client.get("/backoffice/access-requests?page=2"))
    assert "AAAA-AAAA-AAAA-0020" in second and "AAAA-AAAA-AAAA-0000" not in second


def test_overdue_rows_are_highlighted_and_filtered(client, make_client):
    ticket = submit_request(client)
    other = submit_request(make_client(), enterprise="0428759497", name="", replace="yes")
    agent = make_client()
    login(agent, "agent.bipt")
    for t in (ticket, other):
        row = request_row(t)
        agent.post(f"/backoffice/access-requests/{row.id}/original", data={"version": row.version})
    row = request_row(ticket)
    assert row.status == "original_received"
    assert row.due_at - row.original_received_at == timedelta(days=5)
    AccessRequest.update(original_received_at=utcnow() - timedelta(days=6),
                         due_at=utcnow() - timedelta(days=1)).where(
        AccessRequest.id == row.id).execute()
    page = agent.get("/backoffice/access-requests").get_data(as_text=True)
    overdue_row = page[page.index(ticket) - 300:page.index(ticket)]
    assert 'class="overdue"' in overdue_row
    overdue_only = text_of(agent.get("/backoffice/access-requests?overdue=y"))
    assert ticket in overdue_only and other not in overdue_only


def test_approval_needs_the_original_first(client, make_client):
    ticket = submit_request(client)
    agent = make_client()
    login(agent, "agent.bipt")
    row = request_row(ticket)
    response = agent.post(f"/backoffice/access-requests/{row.id}/approve",
                          data={"version": row.version})
    assert response.status_code == 422
    assert "Record the signed original before approving." in text_of(response)
    assert request_row(ticket).status == "awaiting_original"


def test_gazette_copy_must_arrive_before_approval(client, make_client):
    ticket = submit_request(client, signer={**SIGNER, "active": "no", "gazette": gazette_file()})
    agent = make_client()
    login(agent, "agent.bipt")
    row = request_row(ticket)
    download = agent.get(f"/backoffice/access-requests/{row.id}/gazette.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    agent.post(f"/backoffice/access-requests/{row.id}/original", data={"version": row.version})
    row = request_row(ticket)
    response = agent.post(f"/backoffice/access-requests/{row.id}/approve",
                          data={"version": row.version})
    assert response.status_code == 422
    assert "Official Gazette has not arrived" in text_of(response)
    agent.post(f"/backoffice/access-requests/{row.id}/gazette", data={"version": row.version})
    row = request_row(ticket)
    assert row.gazette_received is True
    response = agent.post(f"/backoffice/access-requests/{row.id}/approve",
                          data={"version": row.version})
    assert response.status_code == 303


def test_stale_version_gets_409_and_keeps_the_reason(client, make_client):
    ticket = submit_request(client)
    agent = make_client()
    login(agent, "agent.bipt")
    row = request_row(ticket)
    agent.post(f"/backoffice/access-requests/{row.id}/original", data={"version": row.version})
    response = agent.post(f"/backoffice/access-requests/{row.id}/refuse",
                          data={"version": row.version, "reason": "Signature missing"},
                          headers=HX)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Signature missing" in body
    assert request_row(ticket).status == "original_received"


def test_refusal_with_reason_is_visible_to_follow(client, make_client):
    ticket = submit_request(client)
    agent = make_client()
    login(agent, "agent.bipt")
    row = request_row(ticket)
    response = agent.post(f"/backoffice/access-requests/{row.id}/refuse",
                          data={"version": row.version, "reason": ""})
    assert response.status_code == 422
    response = agent.post(f"/backoffice/access-requests/{row.id}/refuse",
                          data={"version": row.version, "reason": "Signer is not a director"})
    assert response.status_code == 303
    page = text_of(client.post("/access-request/follow",
                               data={"ticket": ticket, "enterprise_number": "0450123451"}))
    assert "Refused" in page and "Signer is not a director" in page
    assert AuditEvent.select().where(AuditEvent.action == "access_request.refused").count() == 1


def test_approval_creates_company_manager_and_mail(app, client, make_client):
    ticket = submit_request(client)
    agent_approves(make_client, ticket)
    row = request_row(ticket)
    assert row.status == "approved"
    company = Company.get(Company.enterprise_number == "0450123451")
    assert company.name == "Delta Telecom" and company.is_operator
    user = User.get(User.company == company)
    assert user.is_local_manager and user.username_provisional and user.password_provisional
    assert user.username.startswith("lm-") and user.national_number == "85073003328"
    assert user.password_expires_at > utcnow()
    message, username, password = read_credentials(app, MANAGER["email"])
    assert username == user.username and len(password) == 16
    assert message["Subject"] and "lm-" in message.get_content()
    # Sent in the local manager's language (Dutch in the request), and wiped once sent.
    assert OutboundMail.get().body == "" and OutboundMail.get().sent_at is not None
    agent_page = text_of(client.get(f"/backoffice/access-requests/{row.id}"))
    assert password not in agent_page
    page = text_of(client.post("/access-request/follow",
                               data={"ticket": ticket, "enterprise_number": "0450123451"}))
    assert "Approved" in page
    actions = {a for (a,) in AuditEvent.select(AuditEvent.action).tuples()}
    assert {"access_request.original_received", "access_request.approved", "company.created",
            "user.created", "user.provisional_password"} <= actions


def test_replacement_takes_rights_and_ends_old_sessions(app, client, make_client):
    old = make_client()
    login(old, "lm.alpha")
    assert old.get("/console/").status_code == 200
    ticket = submit_request(client, enterprise="0403019261", name="", replace="yes")
    agent_approves(make_client, ticket)
    previous = User.get(User.username == "lm.alpha")
    assert previous.is_local_manager is False
    assert LoginSession.select().where(LoginSession.user == previous.id).count() == 0
    assert old.get("/console/").status_code == 401
    new = User.get(User.is_local_manager & (User.company == previous.company))
    assert new.national_number == "85073003328"
    row = request_row(ticket)
    assert row.previous_manager_id == previous.id and row.manager_user_id == new.id
    assert AuditEvent.select().where(
        (AuditEvent.action == "user.local_manager_revoked")
        & (AuditEvent.object_id == str(previous.id))).count() == 1


def test_approval_refused_when_company_got_a_manager_meanwhile(client, make_client):
    ticket = submit_request(client)
    company = Company.create(enterprise_number="0450123451", name="Delta", is_operator=True)
    User.create(company=company, username="someone", last_name="S", first_name="S",
                last_name_key="s", first_name_key="s", national_number="90051200211",
                password_hash="!", is_local_manager=True)
    agent = make_client()
    login(agent, "agent.bipt")
    row = request_row(ticket)
    agent.post(f"/backoffice/access-requests/{row.id}/original", data={"version": row.version})
    row = request_row(ticket)
    response = agent.post(f"/backoffice/access-requests/{row.id}/approve",
                          data={"version": row.version})
    assert response.status_code == 422
    assert "does not replace" in text_of(response)
    assert User.get(User.username == "someone").is_local_manager


def test_detail_of_unknown_request_is_404(client):
    login(client, "agent.bipt")
    assert client.get("/backoffice/access-requests/999999").status_code == 404
    assert client.post("/backoffice/access-requests/999999/approve",
                       data={"version": 1}).status_code == 404


def test_approve_is_offered_only_when_it_can_succeed(client, make_client):
    """Every state of a request: the detail page offers "Approve" exactly when approving
    would succeed, and otherwise says why (the same reason the service gives)."""
    ticket = submit_request(client, signer={**SIGNER, "active": "no", "gazette": gazette_file()})
    agent = make_client()
    login(agent, "agent.bipt")
    row = request_row(ticket)
    url = f"/backoffice/access-requests/{row.id}"

    def offered():
        page = text_of(agent.get(url))
        return f'action="{url}/approve"' in page, page

    shown, page = offered()
    assert not shown and "Record that the signed original arrived" in page
    agent.post(f"{url}/original", data={"version": row.version})
    shown, page = offered()
    assert not shown and 'id="approval-blocked"' in page
    assert "Official Gazette has not arrived yet" in page
    agent.post(f"{url}/gazette", data={"version": request_row(ticket).version})
    shown, page = offered()
    assert shown and 'id="approval-blocked"' not in page
    response = agent.post(f"{url}/approve", data={"version": request_row(ticket).version})
    assert response.status_code == 303
    shown, page = offered()
    assert not shown


def test_approve_is_not_offered_when_the_company_got_a_manager_meanwhile(client, make_client):
    ticket = submit_request(client, enterprise="0403.019.261", name="", replace="yes")
    AccessRequest.update(replace_manager=False).where(AccessRequest.ticket == ticket).execute()
    agent = make_client()
    login(agent, "agent.bipt")
    row = request_row(ticket)
    url = f"/backoffice/access-requests/{row.id}"
    agent.post(f"{url}/original", data={"version": row.version})
    page = text_of(agent.get(url))
    assert f'action="{url}/approve"' not in page
    assert "does not replace them: refuse it" in page
    assert f'action="{url}/refuse"' in page
