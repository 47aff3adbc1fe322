"""The institution reads the audit trail (checklist 23–25): filtered, paginated, htmx active
search with a bookmarkable URL, only for the AUDITOR role, and the chain check."""
import re

import pytest

from stts.db import database
from stts.models import AuditEvent, Beneficiary, Company
from stts.services.audit import pseudonymize, record_event
from tests.conftest import HX, login, text_of


@pytest.fixture
def auditor(client):
    login(client, "auditor.bipt")
    return client


def _company(name):
    return Company.get(Company.name == name)


def _seed(app, count=3, **kwargs):
    with app.test_request_context():
        for index in range(count):
            record_event("test.event", actor=None, object_type="thing", object_id=index, **kwargs)


def test_only_the_auditor_reads_the_trail(client):
    for username in ("agent.bipt", "handler.bipt", "lm.alpha", "stts3.alpha"):
        login(client, username)
        assert client.get("/backoffice/audit").status_code == 403, username
        assert client.post("/backoffice/audit/verify").status_code == 403, username
        client.post("/logout")
    assert client.get("/backoffice/audit").status_code == 401


def test_home_card_only_for_the_auditor(client):
    login(client, "auditor.bipt")
    assert "/backoffice/audit" in text_of(client.get("/backoffice/"))
    client.post("/logout")
    login(client, "handler.bipt")
    assert "/backoffice/audit" not in text_of(client.get("/backoffice/"))


def test_lists_every_company_and_filters_by_company(app, auditor):
    alpha, beta = _company("Telco Alpha"), _company("Belcom Beta")
    _seed(app, 2, company_id=alpha.id)
    _seed(app, 1, company_id=beta.id)
    page = text_of(auditor.get("/backoffice/audit?action=test.event"))
    assert "3 events." in page and "Telco Alpha" in page and "Belcom Beta" in page
    page = text_of(auditor.get(f"/backoffice/audit?action=test.event&company={beta.id}"))
    assert "1 event." in page and "Telco Alpha" not in page.split('id="audit-results"')[1]


def test_filters_by_actor_object_result_and_dates(app, auditor):
    _seed(app, 2, result="refused")
    _seed(app, 1)
    response = auditor.get("/backoffice/audit?action=test.event&result=refused&object_type=thing"
                           "&object_id=1", headers=HX)
    body = text_of(response)
    assert response.status_code == 200 and "<html" not in body and "1 event." in body
    login(auditor, "auditor.bipt")
    body = text_of(auditor.get("/backoffice/audit?actor=lm.alpha&action=test.event", headers=HX))
    assert "No event matches" in body
    body = text_of(auditor.get("/backoffice/audit?date_from=2000-01-01&date_to=2000-01-02",
                               headers=HX))
    assert "No event matches" in body
    body = text_of(auditor.get("/backoffice/audit?date_from=2000-01-01&action=test.event",
                               headers=HX))
    assert "3 events." in body


def test_invalid_filters_are_422_and_keep_input(auditor):
    response = auditor.get("/backoffice/audit?date_from=2026-05-02&date_to=2026-05-01"
                           "&actor=someone")
    assert response.status_code == 422
    body = text_of(response)
    assert "The end date is before the start date." in body and 'value="someone"' in body
    assert auditor.get("/backoffice/audit?company=abc").status_code == 422
    assert auditor.get("/backoffice/audit?date_from=not-a-date").status_code == 422


def test_paginated_with_links_keeping_filters(app, auditor):
    _seed(app, 55)
    page1 = text_of(auditor.get("/backoffice/audit?action=test.event"))
    assert "55 events." in page1 and "Page 1 of 2" in page1
    assert "page=2" in page1 and "action=test.event" in page1
    page2 = text_of(auditor.get("/backoffice/audit?action=test.event&page=2"))
    assert "Page 2 of 2" in page2 and page2.count('class="audit-row"') == 5
    assert "Page 2 of 2" in text_of(auditor.get("/backoffice/audit?action=test.event&page=99"))


def test_active_search_markup(auditor):
    page = auditor.get("/backoffice/audit").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="audit-search"[^>]*>', page).group(0)
    assert 'hx-get="/backoffice/audit"' in form and 'hx-push-url="true"' in form
    assert "keyup delay:300ms changed" in form and 'hx-target="#audit-results"' in form
    for name in ("company", "actor", "action", "object_type", "object_id", "result",
                 "date_from", "date_to"):
        assert f'<label for="{name}"' in page, name


def test_national_numbers_never_in_clear_and_searchable_by_hash(app, client):
    """A lookup writes the person's hash in the trail; the auditor finds it by typing the
    number, and the page never shows the number itself."""
    beneficiary = Beneficiary.select().first()
    nrn = beneficiary.national_number
    login(client, "stts3.alpha")
    client.post("/desk/lookup", data={"national_number": nrn})
    client.post("/logout")
    for event in AuditEvent.select():
        assert nrn not in (event.details or "") and nrn != event.object_id
    login(client, "auditor.bipt")
    response = client.get(f"/backoffice/audit?object_id={nrn}")
    assert response.status_code == 302 and nrn not in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert pseudonymize(nrn) in page and nrn not in page
    assert "0 events." not in page and 'class="audit-row"' in page
    response = client.get(f"/backoffice/audit?object_id={nrn[:2]}.{nrn[2:4]}.{nrn[4:6]}-"
                          f"{nrn[6:9]}.{nrn[9:]}", headers=HX)
    assert response.status_code == 200 and nrn not in response.get_data(as_text=True)
    assert pseudonymize(nrn) in response.headers["HX-Push-Url"]


def test_verify_reports_an_intact_chain_and_records_the_check(auditor):
    response = auditor.post("/backoffice/audit/verify", headers=HX)
    body = text_of(response)
    assert response.status_code == 200 and "<html" not in body
    assert "The chain is intact" in body
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert last.action == "audit.verify" and last.result == "ok"
    full = text_of(auditor.post("/backoffice/audit/verify"))
    assert "<html" in full and "The chain is intact" in full


def _edit_behind_the_apps_back(event_id):
    """As an intruder with database access would: triggers dropped or disabled."""
    from stts.db import is_sqlite

    if is_sqlite():
        database.execute_sql("DROP TRIGGER audit_event_no_update")
        database.execute_sql("UPDATE audit_event SET result = 'forged' WHERE id = ?", (event_id,))
    else:
        with database.atomic():
            database.execute_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
            database.execute_sql("UPDATE audit_event SET result = 'forged' WHERE id = %s",
                                 (event_id,))
            database.execute_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def test_verify_finds_a_row_edited_behind_the_apps_back(app, auditor):
    _seed(app, 3)
    target = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    _edit_behind_the_apps_back(target.id)
    body = text_of(auditor.post("/backoffice/audit/verify", headers=HX))
    assert "The chain is broken" in body and f"#{target.id}" in body
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert last.action == "audit.verify" and last.result == "failed"


def test_verify_needs_the_csrf_token(client):
    login(client, "auditor.bipt")
    client.send_csrf = False
    response = client.post("/backoffice/audit/verify")
    assert response.status_code == 400  # the CSRF refusal, before the view runs
    assert not AuditEvent.select().where(AuditEvent.action == "audit.verify").exists()


def test_a_transfer_names_both_operators(app, auditor):
    """Details that hold a company's id show the company's name, never the bare id."""
    from stts.demo_dossiers import DEMO

    operator = app.test_client()
    login(operator, "stts1.alpha")
    response = operator.post("/desk/transfer", data={
        "national_number": DEMO["active_beta"], "service": "MOBILE",
        "phone_number": "0470 12 34 56", "customer_number": "A-AUDIT",
        "tariff_formula": "Social mobile"})
    assert response.status_code == 303
    page = auditor.get("/backoffice/audit?action=dossier.transferred").get_data(as_text=True)
    details = re.findall(r"<dd>(.*?)</dd>", page[page.index("audit-details"):])
    assert "Belcom Beta" in details and "Telco Alpha" in details
    for name in ("Belcom Beta", "Telco Alpha"):
        assert str(_company(name).id) not in details
