"""Local-manager console: home, own data, structured messages, activity and rights."""
import re

import pytest

from stts.models import Application, AuditEvent, Company, User, UserApplication
from stts.models.console import TechnicalAccount
from stts.services.console import authenticate_token
from stts.tokens import digest as token_digest
from tests.conftest import HX, login, text_of


@pytest.fixture(autouse=True)
def english(app):
    """Assertions read English text: every demo user works in English here."""
    User.update(language="en").execute()


def _alpha():
    return Company.get(Company.name == "Telco Alpha")


def test_home_shows_guide_sections(login_as):
    client = login_as("lm.alpha")
    response = client.get("/console/")
    assert response.status_code == 200
    text = text_of(response)
    for heading in ("Own data", "User management", "Structured messages", "STTS applications"):
        assert heading in text
    assert 'href="/desk/"' in text
    assert 'href="/account/password"' in text
    assert 'href="/console/users"' in text


@pytest.mark.parametrize("username", ["stts1.alpha", "stts3.alpha", "agent.bipt", "auditor.bipt"])
@pytest.mark.parametrize("path", ["/console/", "/console/users", "/console/own-data",
                                  "/console/xml", "/console/activity", "/console/users/new",
                                  "/console/users.csv"])
def test_console_is_for_local_managers_only(client, username, path):
    login(client, username)
    assert client.get(path).status_code == 403


def test_console_requires_login(client):
    response = client.get("/console/users", headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


# --- own data ------------------------------------------------------------------------

def test_own_data_changes_emails_and_language_at_once(login_as):
    client = login_as("lm.alpha")
    page = client.get("/console/own-data")
    assert page.status_code == 200
    manager = User.get(User.username == "lm.alpha")
    company = _alpha()
    response = client.post("/console/own-data", data={
        "email": "Boss@Alpha.example.com", "company_email": "contact@alpha.example.com",
        "language": "nl", "version": manager.version, "company_version": company.version})
    assert response.status_code == 303
    manager = User.get_by_id(manager.id)
    assert manager.email == "Boss@alpha.example.com"
    assert manager.language == "nl"
    assert Company.get_by_id(company.id).email == "contact@alpha.example.com"
    followed = client.get(response.headers["Location"])
    assert 'lang="nl"' in followed.get_data(as_text=True)
    assert AuditEvent.select().where(AuditEvent.action == "user.own_data_changed").count() == 1


def test_own_data_saved_unchanged_records_nothing(login_as):
    client = login_as("lm.alpha")
    manager = User.get(User.username == "lm.alpha")
    company = _alpha()
    response = client.post("/console/own-data", data={
        "email": manager.email, "company_email": company.email or "",
        "language": manager.language, "version": manager.version,
        "company_version": company.version})
    assert response.status_code == 303
    assert User.get_by_id(manager.id).version == manager.version
    assert AuditEvent.select().where(AuditEvent.action == "user.own_data_changed").count() == 0


def test_own_data_invalid_email_is_422_keeping_input(login_as):
    client = login_as("lm.alpha")
    manager = User.get(User.username == "lm.alpha")
    response = client.post("/console/own-data", headers=HX, data={
        "email": "not-an-address", "company_email": "kept@alpha.example.com", "language": "en",
        "version": manager.version, "company_version": _alpha().version})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert "Enter a valid e-mail address." in body
    assert 'value="kept@alpha.example.com"' in body
    assert User.get_by_id(manager.id).email == manager.email


def test_own_data_stale_version_is_409(login_as):
    client = login_as("lm.alpha")
    manager = User.get(User.username == "lm.alpha")
    response = client.post("/console/own-data", data={
        "email": "new@alpha.example.com", "company_email": "", "language": "en",
        "version": manager.version - 1, "company_version": _alpha().version})
    assert response.status_code == 409
    assert 'value="new@alpha.example.com"' in response.get_data(as_text=True)
    assert User.get_by_id(manager.id).email != "new@alpha.example.com"


# --- structured messages -------------------------------------------------------------

def test_xml_settings_enable_and_result_address(login_as):
    client = login_as("lm.alpha")
    company = _alpha()
    response = client.post("/console/xml", data={
        "enabled": "y", "result_email": "other@alpha.example.com", "version": company.version})
    assert response.status_code == 303
    company = Company.get_by_id(company.id)
    assert company.xml_enabled and company.xml_result_email == "other@alpha.example.com"


def test_xml_enable_without_address_is_refused(login_as):
    Company.update(xml_enabled=False, xml_result_email=None).where(
        Company.id == _alpha().id).execute()
    client = login_as("lm.alpha")
    response = client.post("/console/xml", data={"enabled": "y", "result_email": "",
                                                 "version": _alpha().version})
    assert response.status_code == 422
    assert "Give the address that receives the batch results." in text_of(response)
    assert not Company.get_by_id(_alpha().id).xml_enabled


def test_xml_sender_grant_and_revoke(login_as):
    client = login_as("lm.alpha")
    user = User.get(User.username == "stts1.alpha")
    xml = Application.get(Application.code == "STTS_XML")

    def has_xml():
        return UserApplication.select().where((UserApplication.user == user.id) & (
            UserApplication.application == xml.id)).exists()

    assert client.post(f"/console/xml/senders/{user.id}", data={"allowed": "1"}).status_code == 303
    assert has_xml()
    assert client.post(f"/console/xml/senders/{user.id}", data={"allowed": "0"}).status_code == 303
    assert not has_xml()


def test_technical_account_token_shown_once_stored_hashed_and_revocable(login_as):
    client = login_as("lm.alpha")
    company = _alpha()
    Company.update(xml_enabled=True).where(Company.id == company.id).execute()
    response = client.post("/console/xml/accounts", data={"name": "Billing robot"})
    assert response.status_code == 201
    token = re.search(r'id="api-token"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1)
    account = TechnicalAccount.get(TechnicalAccount.name == "Billing robot")
    assert account.token_hash == token_digest(token) and token not in account.token_hash
    assert authenticate_token(token).id == account.id
    assert token not in client.get("/console/xml").get_data(as_text=True)
    response = client.post(f"/console/xml/accounts/{account.id}/revoke")
    assert response.status_code == 303
    assert authenticate_token(token) is None


def test_technical_account_needs_a_name(login_as):
    client = login_as("lm.alpha")
    response = client.post("/console/xml/accounts", data={"name": ""})
    assert response.status_code == 422
    assert TechnicalAccount.select().count() == 0


# --- activity ------------------------------------------------------------------------

def test_activity_lists_company_events_filtered(login_as, make_client):
    client = login_as("lm.alpha")
    user = User.get(User.username == "stts2.alpha")
    client.post(f"/console/users/{user.id}/block")
    other = make_client()
    login(other, "lm.beta")  # an event of another company
    response = client.get("/console/activity?action=user.blocked")
    assert response.status_code == 200
    text = text_of(response)
    assert "user.blocked" in text and "stts2.alpha" in text
    assert "1 event." in text
    everything = text_of(client.get("/console/activity"))
    assert "lm.beta" not in everything
    by_actor = text_of(client.get("/console/activity?actor=nobody"))
    assert "0 events." in by_actor


def test_activity_fragment_and_date_filter(login_as):
    client = login_as("lm.alpha")
    response = client.get("/console/activity?date_from=2000-01-01&date_to=2000-01-02", headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "0 events." in body
    bad = client.get("/console/activity?date_from=yesterday")
    assert bad.status_code == 422


# --- rights ------------------------------------------------------

def test_user_without_profile_cannot_open_desk(login_as):
    user = User.get(User.username == "stts1.alpha")
    from stts.models import UserProfile
    UserProfile.delete().where(UserProfile.user == user.id).execute()
    client = login_as("stts1.alpha")
    assert client.get("/desk/").status_code == 403


def test_local_manager_has_stts3_rights_in_desk(login_as):
    client = login_as("lm.alpha")
    response = client.get("/desk/")
    assert response.status_code == 200
    text = text_of(response)
    assert "Cancel an action" in text
    assert "Consult and process the operator's tasks" in text


def test_stts1_desk_shows_only_its_rights(login_as):
    client = login_as("stts1.alpha")
    text = text_of(client.get("/desk/"))
    assert "Request a social tariff" in text
    assert "Cancel an action" not in text and "Cease a reduction" not in text


def test_xml_settings_with_a_version_out_of_range_is_a_conflict(login_as):
    """Found by the form fuzzer: 2**63 overflowed the database integer (a 500)."""
    client = login_as("lm.alpha")
    response = client.post("/console/xml", data={
        "enabled": "y", "result_email": "other@alpha.example.com",
        "version": "9223372036854775808"})
    assert response.status_code == 409
    assert not Company.get_by_id(_alpha().id).xml_result_email == "other@alpha.example.com"


def test_own_data_with_a_version_out_of_range_is_a_conflict(login_as):
    client = login_as("lm.alpha")
    manager = User.get(User.username == "lm.alpha")
    response = client.post("/console/own-data", data={
        "email": "me@alpha.example.com", "company_email": "", "language": "nl",
        "version": manager.version, "company_version": "9223372036854775808"})
    assert response.status_code == 409
    assert User.get_by_id(manager.id).email != "me@alpha.example.com"
