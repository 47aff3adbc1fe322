"""Local-manager console: the company's users."""
import csv
import io
import re

import pytest

from stts.models import AuditEvent, LoginSession, User, UserApplication, UserProfile
from stts.models.console import RetiredUsername
from stts.services.users import username_available
from tests.conftest import HX, login, text_of

VALID_NRN = "85073003328"


@pytest.fixture(autouse=True)
def english(app):
    User.update(language="en").execute()


@pytest.fixture
def manager_client(login_as):
    return login_as("lm.alpha")


def new_user_data(**changes):
    data = {"username": "new.user", "username_confirm": "new.user", "last_name": "Dubois",
            "first_name": "Élodie", "national_number": "85.07.30-033.28",
            "email": "elodie@alpha.example.com", "language": "nl", "app_web": "y",
            "profile": "STTS2"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def provisional_password(response) -> str:
    return re.search(r'id="provisional-password"[^>]*>([^<]+)<',
                     response.get_data(as_text=True)).group(1)


def rows(response):
    return [int(i) for i in re.findall(r'id="user-row-(\d+)"', response.get_data(as_text=True))]


# --- list and search -----------------------------------------------------------------

def test_list_shows_company_users_only_with_masked_nrn(manager_client):
    response = manager_client.get("/console/users")
    assert response.status_code == 200
    text = text_of(response)
    for name in ("lm.alpha", "stts1.alpha", "stts2.alpha", "stts3.alpha"):
        assert name in text
    assert "stts1.beta" not in text and "agent.bipt" not in text
    user = User.get(User.username == "stts1.alpha")
    assert user.national_number not in text
    assert user.national_number[:2] + "." in text and "-***.**" in text
    assert "STTS 1 — commercial" in text and "STTS web application" in text and "Active" in text


def test_search_fragment_by_last_name_prefix_accent_and_case_insensitive(manager_client, app):
    manager_client.post("/console/users/new", data=new_user_data())
    response = manager_client.get("/console/users?last_name=DUB", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert rows(response) == [User.get(User.username == "new.user").id]
    by_first = manager_client.get("/console/users?first_name=elo", headers=HX)
    assert rows(by_first) == [User.get(User.username == "new.user").id]


def test_search_like_wildcards_are_literal(manager_client):
    response = manager_client.get("/console/users?last_name=%25")
    assert rows(response) == []


def test_search_by_national_number_exact(manager_client):
    user = User.get(User.username == "stts2.alpha")
    response = manager_client.post("/console/users", data={"national_number": user.national_number})
    assert rows(response) == [user.id]
    partial = manager_client.post("/console/users",
                                  data={"national_number": user.national_number[:6]})
    assert partial.status_code == 422
    assert rows(partial) == []


def test_search_blocked_and_application_and_complement(manager_client):
    blocked = User.get(User.username == "stts3.alpha")
    User.update(blocked=True).where(User.id == blocked.id).execute()
    company_ids = {u.id for u in User.select().where(User.company == blocked.company_id)}
    assert rows(manager_client.get("/console/users?blocked=yes")) == [blocked.id]
    others = set(rows(manager_client.get("/console/users?blocked=yes&complement=y")))
    assert others == company_ids - {blocked.id}
    web = set(rows(manager_client.get("/console/users?application=STTS_WEB")))
    no_web = set(rows(manager_client.get("/console/users?application=STTS_WEB&complement=y")))
    assert web and no_web and web | no_web == company_ids and not web & no_web


def test_search_query_is_in_the_url_and_page_bookmarkable(manager_client):
    page = manager_client.get("/console/users?last_name=van&sort=username&order=desc")
    body = page.get_data(as_text=True)
    assert 'value="van"' in body
    pushed = manager_client.post("/console/users", headers=HX,
                                 data={"last_name": "van", "sort": "username", "order": "desc"})
    assert pushed.headers["HX-Push-Url"] == "/console/users?last_name=van&sort=username&order=desc"
    usernames = re.findall(r'id="user-row-\d+"[^>]*>\s*<td>.*?</td>\s*<td><a [^>]*>'
                           r'(?:<span class="token">)?([^<]+)<', body, re.S)
    assert usernames == sorted(usernames, reverse=True) and len(usernames) == 3


def test_pagination(manager_client, app):
    from stts.services.user_search import PAGE_SIZE
    from stts.text import search_key
    company = User.get(User.username == "lm.alpha").company_id
    for n in range(PAGE_SIZE + 5):
        User.create(company=company, username=f"bulk{n:03d}", last_name=f"Zed{n:03d}",
                    first_name="Z", last_name_key=search_key(f"Zed{n:03d}"), first_name_key="z",
                    national_number=f"{n:011d}", password_hash="x")
    first = manager_client.get("/console/users?last_name=zed")
    assert len(rows(first)) == PAGE_SIZE
    assert "Page 1 of 2" in text_of(first)
    second = manager_client.get("/console/users?last_name=zed&page=2", headers=HX)
    assert len(rows(second)) == 5 and "<html" not in second.get_data(as_text=True)
    assert not set(rows(first)) & set(rows(second))


def test_csv_export_masks_nrn_and_defuses_formulas(manager_client):
    manager_client.post("/console/users/new", data=new_user_data(last_name="=HYPERLINK(1)"))
    response = manager_client.get("/console/users.csv?last_name=%3Dhyp")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads UTF-8 with its byte order mark
    data = list(csv.reader(io.StringIO(text[1:])))
    assert data[0][0] == "Username" and len(data) == 2
    assert data[1][1] == "'=HYPERLINK(1)"
    assert data[1][3] == "85.07.30-***.**"
    assert VALID_NRN not in response.get_data(as_text=True)


def test_csv_export_follows_complement(manager_client):
    response = manager_client.get("/console/users.csv?last_name=van&complement=y")
    names = [row[0] for row in csv.reader(io.StringIO(response.get_data(as_text=True)))][1:]
    assert names == ["lm.alpha"]


# --- create --------------------------------------------------------------------------

def test_create_user_shows_provisional_password_once_and_forces_change(manager_client,
                                                                        make_client):
    response = manager_client.post("/console/users/new", data=new_user_data(), headers=HX)
    assert response.status_code == 201
    assert "<html" not in response.get_data(as_text=True)
    password = provisional_password(response)
    user = User.get(User.username == "new.user")
    assert user.national_number == VALID_NRN and user.first_name_key == "elodie"
    assert user.password_provisional and user.password_expires_at is not None
    assert user.language == "nl" and not user.is_local_manager
    assert UserProfile.get(UserProfile.user == user.id).profile == "STTS2"
    assert password not in manager_client.get(f"/console/users/{user.id}").get_data(as_text=True)
    event = AuditEvent.get(AuditEvent.action == "user.created")
    assert VALID_NRN not in event.details
    newcomer = make_client()
    first = newcomer.post("/login", data={"username": "new.user", "password": password})
    assert first.status_code == 302
    assert newcomer.get("/desk/").headers["Location"].endswith("/account/password")


@pytest.mark.parametrize("changes, field_error", [
    ({"username_confirm": "new.usr"}, "The two usernames are not the same."),
    ({"username": "No Caps!", "username_confirm": "No Caps!"}, "Use lowercase letters"),
    ({"username": "ab", "username_confirm": "ab"}, "Field must be between 3 and 64"),
    ({"national_number": "85073003329"}, "This national register number is not valid."),
    ({"profile": ""}, "Choose exactly one STTS profile"),
    ({"profile": "ADMIN"}, "Not a valid choice"),
    ({"email": "nope"}, "Enter a valid e-mail address."),
    ({"last_name": ""}, "This field is required."),
])
def test_create_user_validation_keeps_input(manager_client, changes, field_error):
    response = manager_client.post("/console/users/new", data=new_user_data(**changes),
                                   headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert field_error in body
    assert 'value="Dubois"' in body or changes.get("last_name") == ""
    assert not User.select().where(User.username.in_(["new.user", "new.usr", "no caps!", "ab"])
                                   ).exists()


def test_create_user_duplicate_person_and_username(manager_client):
    assert manager_client.post("/console/users/new", data=new_user_data()).status_code == 201
    again = manager_client.post("/console/users/new", data=new_user_data(
        username="other.name", username_confirm="other.name"))
    assert again.status_code == 422
    assert "This person already has an account in your company." in text_of(again)
    taken = manager_client.post("/console/users/new", data=new_user_data(
        username="stts1.beta", username_confirm="stts1.beta", national_number="90051200211"))
    assert taken.status_code == 422 and "This username is taken" in text_of(taken)


def test_same_person_may_have_an_account_in_another_company(manager_client, make_client):
    assert manager_client.post("/console/users/new", data=new_user_data()).status_code == 201
    beta = make_client()
    login(beta, "lm.beta")
    response = beta.post("/console/users/new", data=new_user_data(
        username="beta.elodie", username_confirm="beta.elodie"))
    assert response.status_code == 201


def test_create_without_web_application_needs_no_profile(manager_client):
    response = manager_client.post("/console/users/new", data=new_user_data(
        app_web=None, app_xml="y", profile="STTS3"))
    assert response.status_code == 201
    user = User.get(User.username == "new.user")
    assert not UserProfile.select().where(UserProfile.user == user.id).exists()


def test_tampered_company_manager_and_role_fields_are_ignored(manager_client):
    beta = User.get(User.username == "lm.beta").company_id
    response = manager_client.post("/console/users/new", data=new_user_data(
        company=beta, company_id=beta, is_local_manager="1", role="ACCESS_AGENT"))
    assert response.status_code == 201
    user = User.get(User.username == "new.user")
    assert user.company_id == User.get(User.username == "lm.alpha").company_id
    assert not user.is_local_manager
    assert not user.institution_roles.exists()


# --- modify --------------------------------------------------------------------------

def test_modify_profile_email_and_applications(manager_client):
    user = User.get(User.username == "stts1.alpha")
    response = manager_client.post(f"/console/users/{user.id}", headers=HX, data={
        "email": "s1@alpha.example.com", "app_web": "y", "app_xml": "y", "profile": "STTS3",
        "version": user.version, "username": "hacked", "national_number": "90051200211"})
    assert response.status_code == 200
    assert "The user has been saved." in text_of(response)
    fresh = User.get_by_id(user.id)
    assert fresh.email == "s1@alpha.example.com" and fresh.version == user.version + 1
    assert fresh.username == "stts1.alpha" and fresh.national_number == user.national_number
    assert UserProfile.get(UserProfile.user == user.id).profile == "STTS3"
    assert UserApplication.select().where(UserApplication.user == user.id).count() == 2


def test_modify_stale_version_is_409_keeping_input(manager_client):
    user = User.get(User.username == "stts1.alpha")
    response = manager_client.post(f"/console/users/{user.id}", headers=HX, data={
        "email": "mine@alpha.example.com", "app_web": "y", "profile": "STTS2",
        "version": user.version - 1})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'value="mine@alpha.example.com"' in body
    assert "Someone changed this user meanwhile." in body
    assert User.get_by_id(user.id).email != "mine@alpha.example.com"
    assert UserProfile.get(UserProfile.user == user.id).profile == "STTS1"


@pytest.mark.parametrize("version", ["9223372036854775808", "-1", "2147483648"])
def test_modify_with_a_version_out_of_range_is_a_conflict(manager_client, version):
    """Found by the form fuzzer: 2**63 overflowed the database integer (a 500)."""
    user = User.get(User.username == "stts1.alpha")
    response = manager_client.post(f"/console/users/{user.id}", headers=HX, data={
        "email": "mine@alpha.example.com", "app_web": "y", "profile": "STTS2",
        "version": version})
    assert response.status_code == 409
    assert User.get_by_id(user.id).email != "mine@alpha.example.com"


def test_modify_cannot_grant_manager_or_institution_roles(manager_client):
    user = User.get(User.username == "stts1.alpha")
    response = manager_client.post(f"/console/users/{user.id}", data={
        "email": "", "app_web": "y", "profile": "LOCAL_MANAGER", "version": user.version,
        "is_local_manager": "1"})
    assert response.status_code == 422
    assert not User.get_by_id(user.id).is_local_manager
    assert UserProfile.get(UserProfile.user == user.id).profile == "STTS1"


# --- new password, block, unlock -----------------------------------------------------

def test_new_password_ends_sessions_and_is_shown_once(manager_client, make_client):
    victim = make_client()
    login(victim, "stts2.alpha")
    user = User.get(User.username == "stts2.alpha")
    response = manager_client.post(f"/console/users/{user.id}/password")
    assert response.status_code == 200
    password = provisional_password(response)
    assert len(password) == 16
    assert victim.get("/home").status_code == 401
    assert User.get_by_id(user.id).password_provisional
    fresh = make_client()
    assert fresh.post("/login", data={"username": "stts2.alpha", "password": password}
                      ).status_code == 302


def test_block_ends_sessions_blocked_stays_listed_and_cannot_login(manager_client, make_client):
    victim = make_client()
    login(victim, "stts2.alpha")
    user = User.get(User.username == "stts2.alpha")
    assert manager_client.post(f"/console/users/{user.id}/block").status_code == 303
    assert victim.get("/home").status_code == 401
    assert user.id in rows(manager_client.get("/console/users"))
    assert "Blocked" in text_of(manager_client.get("/console/users?blocked=yes"))
    again = make_client()
    assert again.post("/login", data={"username": "stts2.alpha", "password": "x" * 20}
                      ).status_code == 422
    from stts.demo import DEMO_PASSWORD
    assert again.post("/login", data={"username": "stts2.alpha", "password": DEMO_PASSWORD}
                      ).status_code == 422
    assert manager_client.post(f"/console/users/{user.id}/unblock").status_code == 303
    login(again, "stts2.alpha")


def test_manager_cannot_block_or_delete_self(manager_client):
    me = User.get(User.username == "lm.alpha")
    manager_client.post(f"/console/users/{me.id}/block")
    assert not User.get_by_id(me.id).blocked
    manager_client.post(f"/console/users/{me.id}/delete")
    assert User.get_or_none(User.id == me.id) is not None
    bulk = manager_client.post("/console/users/bulk", data={
        "user_id": [me.id], "action": "block", "confirm": "yes"})
    assert bulk.status_code == 303 and not User.get_by_id(me.id).blocked


def test_manager_cannot_reset_own_password_through_the_console(manager_client):
    # Found by the fuzzer: it would end the manager's own session mid-work.
    me = User.get(User.username == "lm.alpha")
    response = manager_client.post(f"/console/users/{me.id}/password")
    assert response.status_code == 303
    assert not User.get_by_id(me.id).password_provisional
    assert manager_client.get("/console/users").status_code == 200
    page = text_of(manager_client.get(f"/console/users/{me.id}"))
    assert "My password" in page
    assert f"/console/users/{me.id}/password" not in page


def test_unlock_resets_brute_force_counters(manager_client, app):
    from datetime import timedelta

    from stts.db import utcnow
    user = User.get(User.username == "stts3.alpha")
    User.update(failed_logins=3, temporary_lockouts=3, locked_permanently=True,
                locked_until=utcnow() + timedelta(minutes=5)).where(User.id == user.id).execute()
    assert "Locked out" in text_of(manager_client.get("/console/users"))
    assert manager_client.post(f"/console/users/{user.id}/unlock").status_code == 303
    fresh = User.get_by_id(user.id)
    assert (fresh.failed_logins, fresh.temporary_lockouts, fresh.locked_until,
            fresh.locked_permanently) == (0, 0, None, False)


def test_bulk_block_needs_confirmation(manager_client):
    ids = [User.get(User.username == n).id for n in ("stts1.alpha", "stts2.alpha")]
    first = manager_client.post("/console/users/bulk", data={"user_id": ids, "action": "block"})
    assert first.status_code == 200
    assert "Block these users?" in text_of(first)
    assert not User.select().where(User.id.in_(ids) & User.blocked).exists()
    done = manager_client.post("/console/users/bulk", data={
        "user_id": ids, "action": "block", "confirm": "yes"})
    assert done.status_code == 303
    assert User.select().where(User.id.in_(ids) & User.blocked).count() == 2
    manager_client.post("/console/users/bulk", data={
        "user_id": ids, "action": "unblock", "confirm": "yes"})
    assert not User.select().where(User.id.in_(ids) & User.blocked).exists()


# --- delete --------------------------------------------------------------------------

def test_delete_shows_overview_then_deletes_and_retires_username(manager_client, make_client):
    victim = make_client()
    login(victim, "stts1.alpha")
    user = User.get(User.username == "stts1.alpha")
    overview = manager_client.get(f"/console/users/{user.id}/delete")
    assert overview.status_code == 200
    text = text_of(overview)
    assert "stts1.alpha" in text and "retired for good" in text and "-***.**" in text
    assert User.get_or_none(User.id == user.id) is not None
    response = manager_client.post(f"/console/users/{user.id}/delete")
    assert response.status_code == 303
    assert User.get_or_none(User.id == user.id) is None
    assert not LoginSession.select().where(LoginSession.user == user.id).exists()
    assert victim.get("/home").status_code == 401
    assert RetiredUsername.get(RetiredUsername.username == "stts1.alpha")
    assert not username_available("stts1.alpha")
    event = AuditEvent.get(AuditEvent.action == "user.deleted")
    assert "stts1.alpha" in event.details and user.national_number not in event.details
    reuse = manager_client.post("/console/users/new", data=new_user_data(
        username="stts1.alpha", username_confirm="stts1.alpha"))
    assert reuse.status_code == 422
