"""Lockout abuse, scripted: nobody can lock another person out for good, an attacker's guesses
do not count against the victim's own logins from elsewhere, parallel tries get no extra
guesses, and every lockout can be lifted (checklist: lockouts). The clock is moved, never slept.
Runs on SQLite and, with STTS_TEST_DATABASE_URL, on PostgreSQL."""
from datetime import timedelta

import time_machine

from stts.db import utcnow
from stts.demo import DEMO_PASSWORD
from stts.models import AuditEvent, LoginThrottle, OutboundMail, User
from stts.services.authentication import authenticate, set_provisional_password
from tests.concurrency import run_together
from tests.conftest import login, text_of

GENERIC = "Unknown username or wrong password"
ATTACKER = "203.0.113.9"
VICTIM = "198.51.100.7"


def attempt(client, username, password, address=ATTACKER):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def throttle(username, source):
    return LoginThrottle.get_or_none(
        (LoginThrottle.user == User.get(User.username == username).id)
        & (LoginThrottle.source == source))


def test_five_failures_pause_the_source_with_growing_capped_waits(client):
    start = utcnow()
    waits = []
    moment = start
    for _round in range(20):
        with time_machine.travel(moment, tick=False):
            for _ in range(5):
                attempt(client, "stts1.beta", "wrong password number")
            row = throttle("stts1.beta", ATTACKER)
            waits.append(row.locked_until - utcnow())
            # Even the right password is refused from there while the wait runs.
            refused = attempt(client, "stts1.beta", DEMO_PASSWORD)
            assert refused.status_code == 422 and GENERIC in text_of(refused)
        moment = row.locked_until + timedelta(seconds=1)
    assert waits[0] == timedelta(seconds=60) and waits[1] == timedelta(seconds=120)
    assert all(later >= earlier for earlier, later in zip(waits, waits[1:], strict=False))
    assert max(waits) == timedelta(minutes=15)


def test_failures_alone_never_lock_an_account_for_good(client):
    """The attack of the report: rounds of five wrong passwords used to set a permanent lock."""
    moment = utcnow()
    for _round in range(12):
        with time_machine.travel(moment, tick=False):
            for _ in range(5):
                attempt(client, "lm.gamma", "wrong password number")
        moment = throttle("lm.gamma", ATTACKER).locked_until + timedelta(seconds=1)
    user = User.get(User.username == "lm.gamma")
    assert not user.locked_permanently
    with time_machine.travel(moment + timedelta(minutes=16), tick=False):
        assert attempt(client, "lm.gamma", DEMO_PASSWORD).status_code == 302


def test_attackers_guesses_do_not_lock_the_victim_out_elsewhere(client, make_client):
    for _ in range(5):
        attempt(client, "stts2.beta", "wrong password number")
    assert attempt(client, "stts2.beta", DEMO_PASSWORD).status_code == 422
    victim = make_client()
    assert attempt(victim, "stts2.beta", DEMO_PASSWORD, VICTIM).status_code == 302


def test_distributed_guessing_pauses_the_account_but_not_its_known_addresses(
        client, make_client):
    victim = make_client()
    assert attempt(victim, "stts3.beta", DEMO_PASSWORD, VICTIM).status_code == 302
    victim.post("/logout")
    for bot in range(5):
        for _ in range(4):
            attempt(client, "stts3.beta", "wrong password number", f"203.0.113.{bot + 20}")
    user = User.get(User.username == "stts3.beta")
    assert user.temporary_lockouts == 1 and user.locked_until > utcnow()
    # A new address waits; the address the victim always uses does not.
    assert attempt(client, "stts3.beta", DEMO_PASSWORD, "192.0.2.50").status_code == 422
    assert attempt(victim, "stts3.beta", DEMO_PASSWORD, VICTIM).status_code == 302


def test_the_victim_is_told_by_mail_once_per_streak(client):
    for _ in range(5):
        attempt(client, "stts1.gamma", "wrong password number")
    user = User.get(User.username == "stts1.gamma")
    mails = OutboundMail.select().where(OutboundMail.recipient == user.email)
    assert mails.count() == 1
    assert ATTACKER in mails.get().body
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=False):
        for _ in range(5):
            attempt(client, "stts1.gamma", "wrong password number")
    assert mails.count() == 1


def test_parallel_tries_get_no_extra_guesses(app):
    calls = [lambda: authenticate("stts1.alpha", "wrong password number", address=ATTACKER)
             for _ in range(9)]
    run_together(app, calls)
    row = throttle("stts1.alpha", ATTACKER)
    # Five checks were made, then the wait began: the password is refused from there.
    assert row.lockouts == 1 and row.locked_until > utcnow()
    assert User.get_by_id(row.user_id).failed_logins == 5


def test_a_provisional_password_works_once_even_in_parallel(app):
    user = User.get(User.username == "stts2.alpha")
    set_provisional_password(user, "provisional granite 42")
    calls = [lambda i=i: authenticate("stts2.alpha", "provisional granite 42",
                                      address=f"192.0.2.{i}") for i in range(6)]
    results = run_together(app, calls)
    assert [kind for kind, _ in results].count("ok") == 1, results


def test_wrong_current_passwords_on_the_change_form_are_counted(client):
    login(client, "stts3.gamma")
    for _ in range(5):
        client.post("/account/password", data={
            "current_password": "wrong password number",
            "new_password": "granite lighthouse over ostend",
            "confirm_password": "granite lighthouse over ostend"})
    refused = client.post("/account/password", data={
        "current_password": DEMO_PASSWORD,
        "new_password": "granite lighthouse over ostend",
        "confirm_password": "granite lighthouse over ostend"})
    assert refused.status_code == 422
    assert User.get(User.username == "stts3.gamma").failed_logins == 5


def test_operator_unlocks_from_the_command_line_with_a_reason(app, client):
    for _ in range(5):
        attempt(client, "stts1.beta", "wrong password number")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["stts", "unlock", "stts1.beta"]).exit_code != 0  # no reason
    result = runner.invoke(args=["stts", "unlock", "stts1.beta", "--reason", "call 4711"])
    assert result.exit_code == 0, result.output
    user = User.get(User.username == "stts1.beta")
    assert LoginThrottle.select().where(LoginThrottle.user == user.id).count() == 0
    event = AuditEvent.select().where((AuditEvent.action == "user.unlocked")
                                      & (AuditEvent.object_id == str(user.id))).get()
    assert "call 4711" in str(event.details)
    assert attempt(client, "stts1.beta", DEMO_PASSWORD).status_code == 302


def _waiting(username):
    user = User.get(User.username == username)
    return LoginThrottle.select().where(
        (LoginThrottle.user == user.id) & LoginThrottle.locked_until.is_null(False)).exists()


def test_the_access_agent_unlocks_a_local_manager_and_institution_staff(client, make_client):
    for username in ("lm.gamma", "handler.bipt", "stts1.gamma"):
        for _ in range(5):
            attempt(make_client(), username, "wrong password number")
        assert _waiting(username)
    login(client, "agent.bipt")
    assert client.post("/backoffice/unlock", data={"username": "lm.gamma"}).status_code == 422
    for username in ("lm.gamma", "handler.bipt"):
        done = client.post("/backoffice/unlock",
                           data={"username": username, "reason": "phoned the helpdesk"})
        assert done.status_code == 302
        assert not _waiting(username)
        event = AuditEvent.select().where(
            (AuditEvent.action == "user.unlocked")
            & (AuditEvent.object_id == str(User.get(User.username == username).id))).get()
        assert event.actor_username == "agent.bipt" and "phoned the helpdesk" in event.details
    # An operator's ordinary user is their local manager's business.
    refused = client.post("/backoffice/unlock",
                          data={"username": "stts1.gamma", "reason": "phoned"})
    assert refused.status_code == 422 and _waiting("stts1.gamma")


def test_only_the_access_agent_reaches_the_unlock_page(client):
    login(client, "handler.bipt")
    assert client.get("/backoffice/unlock").status_code == 403
