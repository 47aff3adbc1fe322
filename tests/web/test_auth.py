"""Authentication and sessions: checklist items 1–10."""
import re
from datetime import timedelta

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer

from stts.db import utcnow
from stts.demo import DEMO_PASSWORD
from stts.models import AuditEvent, LoginSession, User
from stts.passwords import hash_password
from stts.services.authentication import set_provisional_password
from tests.conftest import HX, login, text_of

GENERIC = "Unknown username or wrong password"


def attempt(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_login_and_logout(client):
    login(client, "stts1.alpha")
    assert client.get("/home").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/home").status_code == 401


def test_unknown_user_and_wrong_password_get_the_same_answer(client):
    unknown = attempt(client, "nobody.here", "whatever password 1")
    wrong = attempt(client, "stts1.alpha", "whatever password 1")
    assert unknown.status_code == wrong.status_code == 422
    assert GENERIC in text_of(unknown) and GENERIC in text_of(wrong)
    # The typed username is kept; the password never comes back.
    assert 'value="stts1.alpha"' in text_of(wrong)
    assert "whatever password 1" not in text_of(wrong)


def test_cookie_copied_before_logout_is_refused_after(client, make_client):
    login(client, "stts3.alpha")
    cookie = client.get_cookie("stts_session")
    assert cookie is not None
    client.post("/logout")
    thief = make_client()
    thief.set_cookie("stts_session", cookie.value)
    assert thief.get("/home").status_code == 401
    htmx = thief.get("/home", headers=HX)
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/login")


def test_logged_out_htmx_request_gets_401_and_redirect(client):
    response = client.get("/desk/", headers=HX)
    assert response.status_code == 401
    assert "/login?next=" in response.headers["HX-Redirect"]
    assert response.data == b""


def test_success_resets_the_failure_count(client):
    for _ in range(4):
        attempt(client, "stts3.beta", "wrong password number")
    assert User.get(User.username == "stts3.beta").failed_logins == 4
    login(client, "stts3.beta")
    user = User.get(User.username == "stts3.beta")
    assert user.failed_logins == 0 and user.last_login_at is not None


def test_blocking_ends_sessions_at_once(client):
    login(client, "stts1.alpha")
    assert client.get("/home").status_code == 200
    User.update(blocked=True).where(User.username == "stts1.alpha").execute()
    assert client.get("/home").status_code == 401
    assert attempt(client, "stts1.alpha", DEMO_PASSWORD).status_code == 422


def test_password_change_ends_other_sessions(client, make_client):
    other = make_client()
    login(other, "stts2.alpha")
    login(client, "stts2.alpha")
    response = client.post("/account/password", data={
        "current_password": DEMO_PASSWORD,
        "new_password": "granite lighthouse over ostend",
        "confirm_password": "granite lighthouse over ostend",
    })
    assert response.status_code == 302
    assert other.get("/home").status_code == 401
    assert client.get("/home").status_code == 200  # the changer keeps a fresh session
    assert LoginSession.select().join(User).where(User.username == "stts2.alpha").count() == 1


def test_password_change_requires_the_current_one(client):
    login(client, "stts2.alpha")
    response = client.post("/account/password", data={
        "current_password": "not my password at all",
        "new_password": "granite lighthouse over ostend",
        "confirm_password": "granite lighthouse over ostend",
    }, headers=HX)
    assert response.status_code == 422
    assert "<html" not in text_of(response)
    assert "The current password is not correct." in text_of(response)


def test_password_change_applies_the_policy(client):
    login(client, "stts2.alpha")
    response = client.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "new_password": "short",
        "confirm_password": "short"})
    assert response.status_code == 422
    assert "at least 12 characters" in text_of(response)


def test_idle_timeout(client):
    login(client, "stts1.alpha")
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        assert client.get("/home").status_code == 401


def test_activity_keeps_the_session_until_the_absolute_limit(client):
    login(client, "stts1.alpha")
    start = utcnow()
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/home").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert client.get("/home").status_code == 401


def test_session_cookie_flags(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.post("/login", data={"username": "stts1.alpha", "password": DEMO_PASSWORD},
                           base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # a browser-session cookie, no remember-me
    assert not any("remember" in h.lower() for h in response.headers.getlist("Set-Cookie"))


def test_session_cookie_holds_no_user_id(client):
    login(client, "stts1.alpha")
    with client.session_transaction() as session:
        user_id = User.get(User.username == "stts1.alpha").id
        assert session["_user_id"] != str(user_id)
        assert len(session["_user_id"]) >= 40


def test_rehash_on_login_when_parameters_change(client):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(DEMO_PASSWORD)
    User.update(password_hash=weak).where(User.username == "stts1.alpha").execute()
    login(client, "stts1.alpha")
    assert User.get(User.username == "stts1.alpha").password_hash != weak


@pytest.fixture
def provisional_user(app):
    user = User.get(User.username == "stts1.gamma")
    set_provisional_password(user, "Provisional1234abcd")
    return user


def test_provisional_password_forces_a_change_first(client, provisional_user):
    response = attempt(client, "stts1.gamma", "Provisional1234abcd")
    assert response.status_code == 302
    for path in ("/home", "/desk/", "/console/"):
        redirected = client.get(path)
        assert redirected.status_code == 302
        assert redirected.headers["Location"].endswith("/account/password")
    assert client.get("/home", headers=HX).headers["HX-Redirect"].endswith("/account/password")
    page = client.get("/account/password")
    assert page.status_code == 200 and "provisional password" in text_of(page)
    changed = client.post("/account/password", data={
        "current_password": "Provisional1234abcd",
        "new_password": "granite lighthouse over ostend",
        "confirm_password": "granite lighthouse over ostend"})
    assert changed.status_code == 302
    assert client.get("/home").status_code == 200


def test_provisional_password_works_once(client, make_client, provisional_user):
    assert attempt(client, "stts1.gamma", "Provisional1234abcd").status_code == 302
    again = attempt(make_client(), "stts1.gamma", "Provisional1234abcd")
    assert again.status_code == 422
    assert "already used" in text_of(again)


def test_provisional_password_expires(client, provisional_user):
    with time_machine.travel(utcnow() + timedelta(days=15), tick=False):
        response = attempt(client, "stts1.gamma", "Provisional1234abcd")
    assert response.status_code == 422
    assert "expired" in text_of(response)


def test_login_is_audited_without_passwords(client):
    attempt(client, "stts1.alpha", "wrong password number")
    login(client, "stts1.alpha")
    events = list(AuditEvent.select().where(AuditEvent.action == "auth.login")
                  .order_by(AuditEvent.id))
    assert [e.result for e in events[-2:]] == ["refused", "ok"]
    assert all("wrong password" not in e.details for e in events)


def test_next_parameter_only_follows_local_paths(client):
    response = client.post("/login", data={"username": "stts1.alpha", "password": DEMO_PASSWORD,
                                           "next": "//evil.example/steal"})
    assert response.headers["Location"] == "/home"


@pytest.mark.parametrize("target", ["/\n", "/home\r\nSet-Cookie: x=1", "/desk/\x1b[0m", "/a\x7f"])
def test_a_next_path_with_a_control_character_is_not_followed(client, target):
    """Found by the form fuzzer: a newline in "next" reached the Location header (500)."""
    response = client.post("/language", data={"language": "nl", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = client.post("/language", data={"language": "", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    login_response = client.post("/login", data={
        "username": "stts1.alpha", "password": DEMO_PASSWORD, "next": target})
    assert login_response.headers["Location"] == "/home"


def test_password_hash_uses_argon2id():
    assert hash_password("x" * 20).startswith("$argon2id$")


def test_htmx_password_change_navigates_instead_of_swapping(client):
    login(client, "stts2.alpha")
    response = client.post("/account/password", headers=HX, data={
        "current_password": DEMO_PASSWORD,
        "new_password": "granite lighthouse over ostend",
        "confirm_password": "granite lighthouse over ostend"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/home"
    assert response.data == b""


@pytest.mark.parametrize("username, pages", [
    ("stts3.alpha", ["/home", "/desk/", "/desk/dossiers?name=a", "/desk/tasks",
                     "/desk/request", "/desk/transfer", "/account/password"]),
    ("lm.alpha", ["/console/", "/console/own-data", "/console/users", "/console/users/new",
                  "/console/xml", "/console/activity"]),
])
def test_the_pages_after_login_leave_the_session_cookie_as_the_login_set_it(
        app, make_client, username, pages):
    """The login's cookie already holds the session's CSRF secret: the pages after it (each
    with a form) do not write the cookie again. Pages loaded together right after login (a
    page and its htmx loads) therefore render tokens of one secret, and a form of the first
    is accepted after the others were loaded."""
    client = make_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "stts_session=" in response.headers["Set-Cookie"]
    client.send_csrf = False  # from here on, only the tokens the pages render
    with client.session_transaction() as session:  # the cookie the login set
        secret = session.get("csrf_token")
    assert secret
    tokens = []
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers.getlist("Set-Cookie") == [], page
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          response.get_data(as_text=True))
        if found:
            tokens.append(found.group(1))
    assert tokens, "no page of the crawl had a form"
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    assert {serializer.loads(token) for token in tokens} == {secret}
    response = client.post("/account/password", data={
        "csrf_token": tokens[0], "current_password": "not the password",
        "new_password": "x", "confirm_password": "x"})
    assert response.status_code == 422  # the form was read: the token was accepted


def test_expired_sessions_are_purged_by_the_periodic_job(app, make_client):
    """A browser closed without logging out never sends its cookie again: its session is
    deleted once idle too long (or too old), not kept for ever."""
    from stts.worker import worker
    from stts.worker.tasks import purge_sessions

    function, schedule, _options = worker._declared["sessions.purge"]
    assert schedule is not None and function.__name__ == "purge_sessions"
    idle, old, live = make_client(), make_client(), make_client()
    login(idle, "stts1.alpha")
    login(old, "stts2.alpha")
    start = utcnow()
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        login(live, "stts3.alpha")
        assert purge_sessions() == 0
    for minutes in range(20, 12 * 60, 20):  # both kept active; the first reaches its limit
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert old.get("/home").status_code == 200
            if minutes > 25:
                assert live.get("/home").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert purge_sessions() == 2  # the idle one and the one too old
        assert live.get("/home").status_code == 200
    users = {session.user.username for session in LoginSession.select()}
    assert users == {"stts3.alpha"}
