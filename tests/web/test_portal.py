"""The public portal: the access-request wizard, the official form and the follow-up."""
import re

import pytest

from stts.models import AccessRequest, AccessRequestDraft, AuditEvent
from tests.conftest import HX, text_of
from tests.web.portal_helpers import (
    MANAGER,
    NEW_ENTERPRISE,
    PDF,
    SIGNER,
    english,
    fill_wizard,
    gazette_file,
    request_row,
    submit_request,
)

english  # noqa: B018 (autouse fixture)


def test_portal_home_offers_request_login_and_follow(client):
    page = text_of(client.get("/"))
    assert 'href="/access-request"' in page
    assert 'href="/login"' in page
    assert 'href="/access-request/follow"' in page


def test_full_wizard_saves_request_with_ticket(client):
    overview = text_of(fill_wizard(client))
    assert "0450.123.451" in overview and "Delta Telecom" in overview
    assert "85.07.30-033.28" in overview and "+32 470 12 34 56" in overview
    response = client.post("/access-request/overview", data={"confirm": "y"})
    assert response.status_code == 303
    row = AccessRequest.get(AccessRequest.enterprise_number == NEW_ENTERPRISE)
    assert row.status == "awaiting_original"
    assert row.manager_national_number == "85073003328"
    assert row.manager_phone == "+32470123456"
    assert row.manager_language == "nl"
    assert row.replace_manager is False
    assert AccessRequestDraft.select().count() == 0
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", row.ticket)
    page = text_of(client.get("/access-request/submitted"))
    assert row.ticket in page
    actions = {a for (a,) in AuditEvent.select(AuditEvent.action).tuples()}
    assert {"access_request.draft_started", "access_request.step_saved",
            "access_request.submitted"} <= actions
    details = " ".join(d for (d,) in AuditEvent.select(AuditEvent.details).tuples())
    assert "85073003328" not in details and "90051200211" not in details


def test_steps_are_htmx_fragments_with_pushed_url(client):
    client.get("/access-request")
    response = client.post("/access-request/category", data={"category": "no_staff"}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/access-request/company"
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="wizard"' in body and 'name="enterprise_number"' in body


@pytest.mark.parametrize("field,value,message", [
    ("enterprise_number", "0403019262", "This enterprise number is not valid."),
    ("enterprise_number", "2403019261", "This enterprise number is not valid."),
    ("onss_number", "012345600", "This ONSS number is not valid."),
])
def test_company_step_rejects_invalid_identifiers(client, field, value, message):
    client.get("/access-request")
    client.post("/access-request/category", data={"category": "onss_employer"})
    response = client.post("/access-request/company", data={field: value, "company_name": "X"})
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert f'value="{value}"' in page  # the input is kept


@pytest.mark.parametrize("field,value,message", [
    ("national_number", "85073003329", "This national register number is not valid."),
    ("national_number", "85133003370", "This national register number is not valid."),
    ("national_number", "8507300332", "A national register number has 11 digits."),
    ("phone", "+3247012345", "Enter a valid Belgian phone number."),
    ("email", "not-an-address", "Enter a valid e-mail address."),
])
def test_manager_step_rejects_invalid_input(client, field, value, message):
    fill_wizard(client)
    response = client.post("/access-request/manager", data={**MANAGER, field: value})
    assert response.status_code == 422
    assert message in text_of(response)


def test_inline_check_returns_only_the_field(client):
    client.get("/access-request")
    response = client.post("/access-request/check/manager/national_number",
                           data={"national_number": "85073003329"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and "<form" not in body
    assert 'id="national_number-field"' in body
    assert "This national register number is not valid." in body
    assert 'aria-invalid="true"' in body
    ok = client.post("/access-request/check/company/enterprise_number",
                     data={"enterprise_number": "0403019261"}, headers=HX).get_data(as_text=True)
    assert 'value="0403.019.261"' in ok and 'class="error"' not in ok
    assert client.post("/access-request/check/manager/nope", data={}, headers=HX).status_code == 404


def test_going_back_keeps_typed_input_and_reload_resumes(client):
    fill_wizard(client)
    typed = {**MANAGER, "first_name": "Annelies", "phone": "+32 471"}
    response = client.post("/access-request/manager", data={**typed, "action": "back"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/access-request/company")
    page = text_of(client.get("/access-request/manager"))
    assert 'value="Annelies"' in page and 'value="+32 471"' in page
    # The step with unvalidated input is not accepted: the wizard resumes there.
    response = client.get("/access-request/overview")
    assert response.status_code == 303 or response.status_code == 302
    assert response.headers["Location"].endswith("/access-request/manager")
    assert client.get("/access-request").headers["Location"].endswith("/access-request/manager")


def test_cannot_jump_ahead(client):
    client.get("/access-request")
    response = client.get("/access-request/signer")
    assert response.headers["Location"].endswith("/access-request/category")
    response = client.post("/access-request/overview", data={"confirm": "y"})
    assert response.headers["Location"].endswith("/access-request/category")
    assert AccessRequest.select().count() == 0


def test_signer_not_active_requires_a_pdf(client):
    fill_wizard(client)
    data = {**SIGNER, "active": "no"}
    response = client.post("/access-request/signer", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Attach the copy of the Official Gazette publication" in text_of(response)
    response = client.post("/access-request/signer",
                           data={**data, "gazette": gazette_file(b"MZ not a pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Attach a PDF file." in text_of(response)


def test_gazette_pdf_stored_under_random_name(app, client):
    import os

    fill_wizard(client)
    response = client.post("/access-request/signer",
                           data={**SIGNER, "active": "no", "gazette": gazette_file()},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    client.post("/access-request/overview", data={"confirm": "y"})
    row = AccessRequest.get()
    assert row.signer_active is False
    assert "evil" not in row.gazette_file and row.gazette_file.endswith(".pdf")
    path = os.path.join(app.instance_path, "uploads", row.gazette_file)
    with open(path, "rb") as handle:
        assert handle.read() == PDF
    assert "static" not in path


def test_oversize_gazette_is_refused(app, client):
    app.config["GAZETTE_MAX_BYTES"] = 1024
    fill_wizard(client)
    response = client.post("/access-request/signer",
                           data={**SIGNER, "active": "no",
                                 "gazette": gazette_file(PDF + b"0" * 2048)},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "too large" in text_of(response)


def test_company_with_manager_refuses_no_at_the_replace_step(client):
    response = fill_wizard_until(client, "replace", enterprise="0403019261", name="")
    response = client.post("/access-request/replace", data={"replace": "no"})
    assert response.status_code == 422
    page = text_of(response)
    assert "only one local manager" in page and 'aria-invalid="true"' in page
    assert client.get("/access-request/overview").headers["Location"].endswith(
        "/access-request/replace")
    assert AccessRequest.select().count() == 0


def fill_wizard_until(client, stop, *, enterprise=NEW_ENTERPRISE, name="Delta Telecom"):
    """Walk the steps before ``stop`` with valid answers."""
    client.get("/access-request")
    answers = [("category", {"category": "onss_employer"}),
               ("company", {"enterprise_number": enterprise, "company_name": name}),
               ("manager", MANAGER), ("signer", SIGNER)]
    for step, data in answers:
        if step == stop:
            return
        response = client.post(f"/access-request/{step}", data=data,
                               content_type="multipart/form-data")
        assert response.status_code == 303, response.get_data(as_text=True)


REQUIRED_CHOICES = [("category", "category"), ("manager", "quality"),
                    ("manager", "language"), ("signer", "quality"), ("signer", "active"),
                    ("replace", "replace")]


@pytest.mark.parametrize("step,name", REQUIRED_CHOICES)
@pytest.mark.parametrize("value", ["", " ", "maybe", "Yes"])
def test_every_required_choice_refuses_the_prompt_at_its_own_step(client, step, name, value):
    """"Choose..." (an empty value) or anything not offered is refused at the step itself:
    the step is not accepted and the wizard does not move on."""
    if step == "replace":
        fill_wizard_until(client, step, enterprise="0403019261", name="")
    else:
        fill_wizard_until(client, step)
    valid = {"category": {"category": "onss_employer"}, "manager": MANAGER,
             "signer": SIGNER, "replace": {"replace": "yes"}}[step]
    response = client.post(f"/access-request/{step}", data={**valid, name: value},
                           content_type="multipart/form-data")
    assert response.status_code == 422, (step, name, value)
    assert f'id="{name}-error"' in response.get_data(as_text=True)
    overview = client.get("/access-request/overview")
    assert overview.status_code == 303 and overview.headers["Location"].endswith(f"/{step}")


def test_the_service_refuses_an_empty_choice_too(client):
    """A step saved past the form (another client of the service) is refused the same way."""
    from stts.services import ServiceError
    from stts.services import access_requests as service

    fill_wizard_until(client, "signer")
    draft = AccessRequestDraft.get()
    clean = {**MANAGER, "national_number": "90051200211", "phone": "+3222268888",
             "quality": "director", "active": ""}
    with pytest.raises(ServiceError) as refused:
        service.save_draft_step(draft, "signer", clean, clean)
    assert refused.value.field == "active"


def test_signer_not_active_without_gazette_never_reaches_the_overview(client):
    fill_wizard_until(client, "signer")
    response = client.post("/access-request/signer", data={**SIGNER, "active": ""},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    response = client.post("/access-request/signer", data={**SIGNER, "active": "no"},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Gazette copy is attached" not in text_of(client.get("/access-request/overview"))
    assert AccessRequest.select().count() == 0


def test_company_with_manager_and_replace_yes_is_saved(client):
    ticket = submit_request(client, enterprise="0403.019.261", name="", replace="yes")
    row = request_row(ticket)
    assert row.replace_manager is True and row.company_name == "Telco Alpha"


def test_known_onss_number_resolves_enterprise(client):
    client.get("/access-request")
    client.post("/access-request/category", data={"category": "onss_employer"})
    response = client.post("/access-request/company", data={"onss_number": "123456749"})
    assert response.status_code == 303
    page = text_of(client.get("/access-request/manager"))
    assert "0428.759.497" in page and "Belcom Beta" in page


def test_a_second_open_request_for_one_company_is_kept(client, make_client):
    """No request blocks another (tests/web/test_portal_abuse.py has the attack)."""
    submit_request(client)
    submit_request(make_client())
    assert AccessRequest.select().where(AccessRequest.status == "awaiting_original").count() == 2


def test_tampered_hidden_fields_are_ignored(client):
    fill_wizard(client)
    response = client.post("/access-request/overview", data={
        "confirm": "y", "enterprise_number": "0403019261", "status": "approved",
        "ticket": "0000-0000-0000-0000", "replace": "yes", "company_id": "1",
        "manager_national_number": "90051200211"})
    assert response.status_code == 303
    row = AccessRequest.get()
    assert row.enterprise_number == NEW_ENTERPRISE
    assert row.status == "awaiting_original"
    assert row.ticket != "0000-0000-0000-0000"
    assert row.replace_manager is False and row.company_id is None
    assert row.manager_national_number == "85073003328"


def test_official_form_is_bound_to_the_session(client, make_client):
    ticket = submit_request(client, signer={**SIGNER, "active": "no", "gazette": gazette_file()})
    page = text_of(client.get("/access-request/official-form"))
    assert ticket in page
    assert "85.07.30-033.28" in page and "90.05.12-002.11" in page
    assert "signature-box" in page
    assert "no fax, no photocopy, no e-mail" in page
    assert "Official Gazette" in page
    stranger = make_client()
    assert stranger.get("/access-request/official-form").status_code == 404
    assert stranger.get(f"/access-request/official-form?ticket={ticket}").status_code == 404


def test_follow_shows_status_only_when_both_match(client, make_client):
    ticket = submit_request(client)
    visitor = make_client()
    good = visitor.post("/access-request/follow",
                        data={"ticket": ticket.lower().replace("-", " "),
                              "enterprise_number": "0450.123.451"})
    assert good.status_code == 200
    assert "Awaiting the signed original" in text_of(good)
    wrong_number = visitor.post("/access-request/follow",
                                data={"ticket": ticket, "enterprise_number": "0403019261"})
    unknown = visitor.post("/access-request/follow",
                           data={"ticket": "ABCD-EFGH-JKMN-PQRS",
                                 "enterprise_number": "0450123451"})
    for response in (wrong_number, unknown):
        page = text_of(response)
        assert response.status_code == 422
        assert "No request matches this ticket and enterprise number." in page
        assert 'id="follow-result"' not in page
        assert "Awaiting" not in page and "Delta" not in page
        assert ticket not in _without_tokens(response)
    assert _without_tokens(wrong_number, ticket, "0403019261") == _without_tokens(
        unknown, "ABCD-EFGH-JKMN-PQRS", "0450123451")


def _without_tokens(response, *values):
    page = re.sub(r"(value|hx-headers)=(\"[^\"]*\"|'[^']*')", "", text_of(response))
    for value in values:
        page = page.replace(value, "")
    return page


def test_follow_fragment(client):
    ticket = submit_request(client)
    response = client.post("/access-request/follow",
                           data={"ticket": ticket, "enterprise_number": NEW_ENTERPRISE},
                           headers=HX)
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="follow"' in body and ticket in body


def test_htmx_back_shows_the_previous_step_with_its_own_values(client):
    fill_wizard(client)
    response = client.post("/access-request/signer",
                           data={**SIGNER, "last_name": "Dubois", "action": "back"}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/access-request/manager"
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'value="Peeters"' in body and "Dubois" not in body
    again = text_of(client.get("/access-request/signer"))
    assert 'value="Dubois"' in again
