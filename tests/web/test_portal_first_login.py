"""First login of a new local manager: provisional credentials lead only to "create the
local manager"; afterwards the chosen username and password work, the provisional ones never."""
from datetime import timedelta

import pytest
import time_machine

from stts.db import utcnow
from stts.models import AuditEvent, LoginSession, User
from tests.conftest import HX, text_of
from tests.web.portal_helpers import (
    MANAGER,
    agent_approves,
    english,
    read_credentials,
    submit_request,
)

english  # noqa: B018 (autouse fixture)
NEW_PASSWORD = "Seven green trams cross Liege"


@pytest.fixture
def credentials(app, client, make_client):
    ticket = submit_request(make_client())
    agent_approves(make_client, ticket)
    _message, username, password = read_credentials(app, MANAGER["email"])
    User.update(language="en").where(User.username == username).execute()
    return username, password


def _choice(**overrides):
    data = {"username": "ann.peeters", "username_confirm": "ann.peeters",
            "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD,
            "national_number": "85.07.30-033.28"}
    data.update(overrides)
    return data


def test_provisional_login_leads_only_to_first_login(client, credentials):
    username, password = credentials
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302
    for path in ("/home", "/console/", "/account/password", "/desk/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/first-login")
    response = client.get("/home", headers=HX)
    assert response.headers["HX-Redirect"].endswith("/first-login")
    page = text_of(client.get("/first-login"))
    assert "Create the local manager" in page
    assert "a-z" in page and "never be changed" in page


@pytest.mark.parametrize("overrides,message", [
    ({"username_confirm": "ann.peeter"}, "The two usernames are not the same."),
    ({"username": "Ann Peeters", "username_confirm": "Ann Peeters"}, "lower-case letters"),
    ({"username": "ab", "username_confirm": "ab"}, "Use 3 to 64 characters"),
    ({"username": "lm-mine", "username_confirm": "lm-mine"}, "not starting with lm-"),
    ({"username": "lm.alpha", "username_confirm": "lm.alpha"}, "already taken"),
    ({"password_confirm": "something else entirely"}, "The two passwords are not the same."),
    ({"password": "short", "password_confirm": "short"}, "at least 12 characters"),
    ({"national_number": "90051200211"}, "not the national register number given"),
    ({"national_number": "85073003329"}, "not valid"),
])
def test_first_login_refusals_keep_the_account_provisional(client, credentials, overrides,
                                                           message):
    username, password = credentials
    client.post("/login", data={"username": username, "password": password})
    response = client.post("/first-login", data=_choice(**overrides), headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and message in text_of(response)
    user = User.get(User.username == username)
    assert user.username_provisional and user.password_provisional


def test_first_login_then_login_with_chosen_credentials(client, make_client, credentials):
    username, password = credentials
    assert client.post("/login", data={"username": username,
                                       "password": password}).status_code == 302
    response = client.post("/first-login", data=_choice())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login")
    user = User.get(User.username == "ann.peeters")
    assert not user.username_provisional and not user.password_provisional
    assert user.is_local_manager
    assert LoginSession.select().where(LoginSession.user == user.id).count() == 0
    assert client.get("/home").status_code == 401  # logged out
    # The provisional credentials never work again.
    refused = client.post("/login", data={"username": username, "password": password})
    assert refused.status_code == 422
    assert client.post("/login", data={"username": "ann.peeters",
                                       "password": password}).status_code == 422
    ok = client.post("/login", data={"username": "ann.peeters", "password": NEW_PASSWORD})
    assert ok.status_code == 302
    assert client.get("/console/").status_code == 200
    # The username can never change afterwards: the page is gone for this account.
    assert client.get("/first-login").headers["Location"].endswith("/home")
    assert AuditEvent.select().where((AuditEvent.action == "user.first_login")
                                     & (AuditEvent.result == "ok")).count() == 1


def test_reused_provisional_credentials_are_refused(client, make_client, credentials):
    username, password = credentials
    assert client.post("/login", data={"username": username,
                                       "password": password}).status_code == 302
    second = make_client()
    response = second.post("/login", data={"username": username, "password": password})
    assert response.status_code == 422
    assert "expired or was already used" in text_of(response)


def test_expired_provisional_credentials_are_refused(client, credentials):
    username, password = credentials
    User.update(password_expires_at=utcnow() - timedelta(minutes=1)).where(
        User.username == username).execute()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 422
    assert "expired or was already used" in text_of(response)


def test_first_login_page_needs_a_login(client):
    assert client.get("/first-login").status_code == 401


def test_agent_reissues_burnt_credentials(app, client, make_client, credentials):
    import os

    from stts.models import AccessRequest
    from tests.conftest import login

    username, password = credentials
    client.post("/login", data={"username": username, "password": password})  # burns them
    agent = make_client()
    login(agent, "agent.bipt")
    row = AccessRequest.get()
    page = text_of(agent.get(f"/backoffice/access-requests/{row.id}"))
    assert "Send new provisional credentials" in page
    before = len(os.listdir(os.path.join(app.instance_path, "outbox")))
    response = agent.post(f"/backoffice/access-requests/{row.id}/reissue",
                          data={"version": row.version})
    assert response.status_code == 303
    assert len(os.listdir(os.path.join(app.instance_path, "outbox"))) == before + 1
    _message, same_username, new_password = read_credentials(app, MANAGER["email"])
    assert same_username == username and new_password != password
    fresh = make_client()
    assert fresh.post("/login", data={"username": username,
                                      "password": new_password}).status_code == 302
    assert fresh.get("/home").headers["Location"].endswith("/first-login")
    # Once the first login is done, nothing more can be re-issued.
    fresh.post("/first-login", data=_choice())
    response = agent.post(f"/backoffice/access-requests/{row.id}/reissue",
                          data={"version": AccessRequest.get().version})
    assert response.status_code == 422


def test_guessing_the_national_number_is_counted_like_failed_logins(client, credentials):
    """The attack: unlimited guesses of the manager's national number at the first login."""
    username, password = credentials
    client.post("/login", data={"username": username, "password": password})
    wrong = [f"85.07.30-{serial:03d}.{97 - (850730000 + serial) % 97:02d}"
             for serial in range(40, 50)]
    answers = [text_of(client.post("/first-login", data=_choice(national_number=number)))
               for number in wrong[:6]]
    assert all("not the national register number" in a for a in answers[:5])
    # The sixth guess is not even checked: the wait has begun, and the right number waits too.
    assert "not the national register number" not in answers[5]
    refused = client.post("/first-login", data=_choice())
    assert refused.status_code == 422
    assert User.get(User.username == username).username_provisional
    # Later, after the wait, the right number works.
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
        assert client.post("/first-login", data=_choice()).status_code == 303
