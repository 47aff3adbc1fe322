"""Checklist 33 and the lookup oracle (abuse finding 3): the desk's lookup says only what the
step needs (eligible or not, a dossier here or at another operator), never the person's name
or benefit category; lookups are limited per user, each is in the person's consultation log,
and the local manager is alerted when a user's lookups of the day pass a threshold."""
import re

import pytest

from stts.demo_dossiers import DEMO, names
from stts.labels import CATEGORY_LABELS
from stts.models import AuditEvent, OutboundMail, User
from stts.ratelimit import limiter
from stts.services.audit import pseudonymize
from tests.conftest import HX, text_of
from tests.web.test_desk import _demo_dossier, login

PERSONS = {"eligible": 10, "eligible_other": 11, "unknown": 5000, "expired": 2900,
           "active_alpha": 100, "active_beta": 130, "active_gamma": 160,
           "household_member": 2001, "household_holder_beta": 2000}


def _answer(response) -> str:
    html = response.get_data(as_text=True)
    return re.search(r'<div id="lookup-result".*?</div>', html, re.S).group(0)


@pytest.mark.parametrize("key", sorted(PERSONS))
@pytest.mark.parametrize("headers", [{}, HX])
def test_the_lookup_says_only_eligible_and_where_a_dossier_is(client, key, headers):
    login(client, "stts1.alpha")
    assert DEMO[key]
    answer = _answer(client.post("/desk/lookup", headers=headers,
                                 data={"national_number": DEMO[key]}))
    last, first = names(PERSONS[key])
    assert last not in answer and first not in answer
    for code, label in CATEGORY_LABELS.items():
        assert code not in answer and str(label) not in answer
    expected = {"eligible": "eligible for the social tariff today",
                "active_alpha": "with your company", "active_beta": "another operator",
                "unknown": "Not known to the eligibility source"}
    if key in expected:
        assert expected[key] in answer


@pytest.fixture
def fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


def test_lookups_are_limited_per_user_with_the_translated_429(client, make_client, app,
                                                               fresh_limits):
    app.config["RATELIMIT_LOOKUP"] = "3 per minute"
    login(client, "stts1.alpha")
    for _ in range(3):
        assert client.post("/desk/lookup", headers=HX,
                           data={"national_number": DEMO["eligible"]}).status_code == 200
    refused = client.post("/desk/lookup", headers=HX, data={"national_number": DEMO["eligible"]})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # The request form answers the same question: one counter for both.
    assert client.post("/desk/request", data={"national_number": DEMO["eligible"]}
                       ).status_code == 429
    # In French too, and another user (same address, same company) is not affected.
    client.post("/language", data={"language": "fr", "next": "/home"})
    page = client.post("/desk/lookup", data={"national_number": DEMO["eligible"]})
    assert page.status_code == 429 and "Trop de requêtes" in text_of(page)
    other = make_client()
    login(other, "stts3.alpha")
    assert other.post("/desk/lookup", headers=HX,
                      data={"national_number": DEMO["eligible"]}).status_code == 200


def test_each_lookup_is_in_the_persons_consultation_log(client):
    login(client, "stts1.alpha")
    alpha = User.get(User.username == "stts1.alpha")
    # A person without any dossier: the lookup is recorded all the same, found by the hash.
    client.post("/desk/lookup", headers=HX, data={"national_number": DEMO["unknown"]})
    event = (AuditEvent.select().where((AuditEvent.object_type == "person")
                                       & (AuditEvent.object_id == pseudonymize(DEMO["unknown"])))
             .get())
    assert (event.action, event.actor_id, event.company_id) == (
        "dossier.person_looked_up", alpha.id, alpha.company_id)
    assert event.at is not None and DEMO["unknown"] not in event.details
    # A person with a dossier here: the lookup shows in the dossier's consultation list.
    dossier = _demo_dossier("active_alpha")
    login(client, "stts3.alpha")
    client.post("/desk/lookup", headers=HX, data={"national_number": DEMO["active_alpha"]})
    login(client, "stts1.alpha")
    page = text_of(client.get(f"/desk/dossiers/{dossier.id}"))
    assert re.search(r"stts3\.alpha(</[a-z]+>)? — lookup by national register number", page)
    # Another operator's lookups of the same person are not shown to this company.
    login(client, "stts3.gamma")
    client.post("/desk/lookup", headers=HX, data={"national_number": DEMO["active_alpha"]})
    login(client, "stts1.alpha")
    assert "stts3.gamma" not in text_of(client.get(f"/desk/dossiers/{dossier.id}"))


def test_the_local_manager_is_alerted_once_past_the_daily_threshold(client, app):
    app.config["LOOKUP_DAILY_ALERT"] = 3
    manager = User.get(User.username == "lm.alpha")
    manager.email = manager.email or "lm.alpha@example.invalid"
    manager.save()
    login(client, "stts1.alpha")
    for key in ("eligible", "unknown", "expired"):
        client.post("/desk/lookup", headers=HX, data={"national_number": DEMO[key]})
    assert not AuditEvent.select().where(AuditEvent.action == "dossier.lookups_alert").exists()
    client.post("/desk/lookup", headers=HX, data={"national_number": DEMO["eligible_other"]})
    client.post("/desk/lookup", headers=HX, data={"national_number": DEMO["active_alpha"]})
    alerts = list(AuditEvent.select().where(AuditEvent.action == "dossier.lookups_alert"))
    assert len(alerts) == 1 and alerts[0].company_id == manager.company_id
    mails = list(OutboundMail.select().where(OutboundMail.recipient == manager.email))
    assert len(mails) == 1 and "stts1.alpha" in mails[0].subject
    # The console's activity shows it to the local manager.
    login(client, "lm.alpha")
    activity = client.get("/console/activity?action=dossier.lookups_alert")
    assert activity.status_code == 200 and "stts1.alpha" in text_of(activity)
