"""Checklist 12 (tenant isolation) and 14 (GET never changes state), walked over app.url_map.

Every operator role of Telco Alpha asks every endpoint with ids of Belcom Beta's objects:
the answer is 404 or 403, never a page with Beta's data, and nothing changes. With Alpha's own
ids the same endpoints answer (no 404) whenever the role holds the endpoint's permission.
"""
import hashlib
import re
from datetime import date

import pytest
from werkzeug.routing import IntegerConverter

from stts.models import (
    ALL_MODELS,
    AuditEvent,
    Company,
    Dossier,
    Task,
    TechnicalAccount,
    User,
    XmlBatch,
)
from stts.rights import allowed
from tests.conftest import HX, login

ALPHA_ROLES = ["lm.alpha", "stts1.alpha", "stts2.alpha", "stts3.alpha"]
INSTITUTION = ["agent.bipt", "handler.bipt", "auditor.bipt"]
# Rows a read may add: the trail of who looked at what (checklist 23–24), sessions, mail.
LOG_TABLES = {"audit_event", "login_session", "outbound_mail"}
BETA_MARKER = "Belcom Beta"


def _objects(company) -> dict:
    """One object of each kind owned by ``company`` (created where the demo has none)."""
    dossier = Dossier.select().where(Dossier.company == company).order_by(Dossier.id).first()
    task = Task.get_or_none(Task.company == company) or Task.create(
        type="CHECK", dossier=dossier, company=company, due_date=date(2030, 1, 1))
    sender = User.select().where(User.company == company).order_by(User.id).first()
    account = TechnicalAccount.create(
        company=company, name=f"robot {company.id}",
        token_hash=hashlib.sha256(f"token-{company.id}".encode()).hexdigest(),
        token_hint="token-", created_by_id=User.get((User.company == company)
                                                    & User.is_local_manager).id)
    batch = XmlBatch.create(company=company, sender=sender, sender_name=sender.username,
                            file_name=f"isolation-{company.id}.xml", state="DONE")
    victim_user = User.select().where((User.company == company)
                                      & (User.is_local_manager == False)).first()  # noqa: E712
    return {"dossier_id": dossier.id, "task_id": task.id, "user_id": victim_user.id,
            "batch_id": batch.id, "account_id": account.id}


@pytest.fixture
def ids(app):
    alpha = Company.get(Company.name == "Telco Alpha")
    beta = Company.get(Company.name == "Belcom Beta")
    return {"own": _objects(alpha), "other": _objects(beta)}


def _id_rules(app):
    """Every non-API endpoint that takes an object id."""
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("api."):
            continue
        int_args = [a for a in rule.arguments
                    if isinstance(rule._converters[a], IntegerConverter)]
        if int_args:
            rules.append((rule, int_args))
    return sorted(rules, key=lambda item: item[0].rule)


def _url(rule, values: dict) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % arg, str(values.get(arg, 1)), url)
    return url


def _counts() -> dict:
    return {model._meta.table_name: model.select().count() for model in ALL_MODELS}


def test_every_id_endpoint_is_covered(app, ids):
    """A new kind of id in a URL must be added to ``_objects`` (or this walk misses it)."""
    known = set(ids["own"]) | {"request_id", "job_id"}  # institution-wide objects
    for rule, args in _id_rules(app):
        assert set(args) <= known, f"{rule.rule}: add {set(args) - known} to _objects"


@pytest.mark.parametrize("username", ALPHA_ROLES)
def test_other_companys_ids_give_404_or_403_and_change_nothing(app, client, ids, username):
    login(client, username)
    before = _counts()
    checked = 0
    for rule, _args in _id_rules(app):
        url = _url(rule, ids["other"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, HX):
                response = client.open(url, method=method, headers=headers,
                                       data={"version": 1, "confirm": "y"})
                body = response.get_data(as_text=True)
                assert response.status_code in (403, 404), (username, method, url,
                                                            response.status_code)
                assert BETA_MARKER not in body, (username, method, url)
                checked += 1
    after = _counts()
    changed = {t for t in before if before[t] != after[t]} - LOG_TABLES
    assert not changed, f"{username} changed {changed} through another company's ids"
    assert checked > 40


@pytest.mark.parametrize("username", ALPHA_ROLES + INSTITUTION)
def test_own_ids_answer_when_the_role_allows_it(app, client, ids, username):
    """The other half of the matrix: the same GET endpoints with own ids are not 404 for a
    role holding the permission, and 403 for a role without it."""
    login(client, username)
    user = User.get(User.username == username)
    for rule, _args in _id_rules(app):
        if "GET" not in rule.methods or rule.endpoint.startswith("backoffice."):
            continue
        action = app.view_functions[rule.endpoint].stts_access
        response = client.get(_url(rule, ids["own"]))
        if allowed(user, action):
            assert response.status_code in (200, 302, 409), (username, rule.rule,
                                                        response.status_code)
        else:
            assert response.status_code == 403, (username, rule.rule, response.status_code)


def test_api_token_of_one_company_never_reads_another_companys_batch(app, client, ids):
    alpha = Company.get(Company.name == "Telco Alpha")
    headers = {"Authorization": f"Bearer token-{alpha.id}"}
    own = client.get(f"/api/v1/batches/{ids['own']['batch_id']}", headers=headers)
    assert own.status_code == 200
    for path in (f"/api/v1/batches/{ids['other']['batch_id']}",
                 f"/api/v1/batches/{ids['other']['batch_id']}/response"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and BETA_MARKER not in response.get_data(as_text=True)


# --- checklist 14: GET never changes state -------------------------------------------------

def _get_urls(app, ids) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if "<" in rule.rule and not rule.arguments <= set(ids["own"]) | {"request_id", "job_id",
                                                                          "name", "step"}:
            continue
        values = dict(ids["own"], name="batch", step="company")
        urls.append(_url(rule, values) if rule.arguments else rule.rule)
    return sorted(set(urls))


@pytest.mark.parametrize("username", [None, "lm.alpha", "stts1.alpha", "stts3.alpha",
                                      "agent.bipt", "handler.bipt", "auditor.bipt"])
def test_get_never_changes_state(app, client, ids, username):
    if username:
        login(client, username)
    urls = _get_urls(app, ids)
    assert "/desk/dossiers" in urls and "/backoffice/audit" in urls
    before = _counts()
    chain_before = AuditEvent.select().count()
    for url in urls:
        for headers in ({}, HX):
            if url.startswith("/access-request") and url != "/access-request/official-form":
                continue  # see test_portal_wizard_get_creates_no_draft below
            response = client.get(url, headers=headers)
            response.get_data()  # streamed exports run to the end
            response.close()
            assert response.status_code < 500, (username, url, response.status_code)
    after = _counts()
    changed = {t for t in before if before[t] != after[t]} - LOG_TABLES
    assert not changed, f"GET requests as {username} changed {changed}"
    # What a GET may add to the trail is reads only (consultations), never a business event.
    added = (AuditEvent.select(AuditEvent.action)
             .where(AuditEvent.id > 0).order_by(AuditEvent.id).offset(chain_before))
    actions = {e.action for e in added}
    assert all(re.search(r"view|consult|lookup|read|export|download|search", a)
               for a in actions), actions


def test_portal_wizard_get_creates_no_draft(client):
    from stts.models import AccessRequestDraft

    before = AccessRequestDraft.select().count()
    for _ in range(3):
        client.get("/access-request")
        client.get("/access-request/company")
    assert AccessRequestDraft.select().count() == before
