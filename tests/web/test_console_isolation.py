"""Tenant isolation of the local-manager console: another company's ids are unknown (404),
tampered fields are ignored, nothing of another company leaks into lists or exports."""
import pytest

from stts.models import Company, User
from stts.models.console import TechnicalAccount
from tests.conftest import HX, login

BETA_USERS = ["lm.beta", "stts1.beta", "stts2.beta", "stts3.beta"]


@pytest.fixture
def alpha_manager(client):
    login(client, "lm.alpha")
    return client


def _id_rules(app, argument):
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("console.") and argument in r.arguments]
    assert rules, f"no console endpoint takes {argument}"
    return rules


@pytest.mark.parametrize("username", BETA_USERS)
def test_every_console_user_endpoint_is_404_for_another_company(app, alpha_manager, username):
    target = User.get(User.username == username)
    before = (target.blocked, target.email, target.version, target.password_hash)
    checked = 0
    for rule in _id_rules(app, "user_id"):
        path = rule.build({"user_id": target.id}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"email": "x@alpha.example.com", "version": target.version, "app_web": "y",
                    "profile": "STTS3", "allowed": "1"} if method == "POST" else None
            response = alpha_manager.open(path, method=method, data=data, headers=HX)
            assert response.status_code == 404, (rule.endpoint, method, response.status_code)
            checked += 1
    assert checked >= 9
    after = User.get_by_id(target.id)
    assert (after.blocked, after.email, after.version, after.password_hash) == before


@pytest.mark.parametrize("confirm", ["", "yes"])
def test_bulk_with_another_company_id_is_404(alpha_manager, confirm):
    own = User.get(User.username == "stts1.alpha")
    foreign = User.get(User.username == "stts1.beta")
    response = alpha_manager.post("/console/users/bulk", data={
        "user_id": [own.id, foreign.id], "action": "block", "confirm": confirm})
    assert response.status_code == 404
    assert not User.get_by_id(foreign.id).blocked
    assert not User.get_by_id(own.id).blocked


def test_technical_account_of_another_company_is_404(app, alpha_manager):
    beta = Company.get(Company.name == "Belcom Beta")
    account = TechnicalAccount.create(company=beta, name="Beta robot", token_hash="b" * 64,
                                      token_hint="bbbbbb")
    for rule in _id_rules(app, "account_id"):
        path = rule.build({"account_id": account.id}, append_unknown=False)[1]
        assert alpha_manager.post(path).status_code == 404
    assert TechnicalAccount.get_by_id(account.id).revoked_at is None
    assert "Beta robot" not in alpha_manager.get("/console/xml").get_data(as_text=True)


def test_lists_and_exports_never_show_another_company(alpha_manager):
    foreign = User.get(User.username == "stts2.beta")
    for path in ("/console/users", "/console/users?complement=y&last_name=zzz",
                 "/console/users.csv?complement=y&last_name=zzz", "/console/xml",
                 "/console/activity"):
        body = alpha_manager.get(path).get_data(as_text=True)
        assert "beta" not in body.lower(), path
    for complement in ("", "y"):  # a search by number is posted
        body = alpha_manager.post("/console/users", data={
            "national_number": foreign.national_number, "complement": complement})
        assert "beta" not in body.get_data(as_text=True).lower(), complement


def test_tampered_company_in_own_data_and_xml_settings_is_ignored(alpha_manager):
    alpha = Company.get(Company.name == "Telco Alpha")
    beta = Company.get(Company.name == "Belcom Beta")
    manager = User.get(User.username == "lm.alpha")
    alpha_manager.post("/console/own-data", data={
        "email": "a@alpha.example.com", "company_email": "c@alpha.example.com",
        "language": "en", "version": manager.version, "company_version": alpha.version,
        "company_id": beta.id, "company": beta.id})
    alpha_manager.post("/console/xml", data={
        "enabled": "y", "result_email": "r@alpha.example.com",
        "version": Company.get_by_id(alpha.id).version, "company_id": beta.id})
    assert Company.get_by_id(alpha.id).email == "c@alpha.example.com"
    assert Company.get_by_id(alpha.id).xml_enabled
    fresh_beta = Company.get_by_id(beta.id)
    assert fresh_beta.email == beta.email and not fresh_beta.xml_enabled
    assert User.get_by_id(manager.id).company_id == alpha.id
