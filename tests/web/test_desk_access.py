"""The desk's access matrix: STTS 1, 2, 3 and the local manager × every desk action, on a
dossier of their own operator and of another operator; plus the UI mirroring the rights."""
import pytest

from stts.demo_dossiers import DEMO
from stts.models import Beneficiary, Dossier, Task
from tests.conftest import login

RIGHTS = {
    "stts1": {"desk.home", "desk.request", "desk.transfer", "desk.modify", "desk.search"},
    "stts2": {"desk.home", "desk.request", "desk.transfer", "desk.modify", "desk.search",
              "desk.cease"},
    "stts3": {"desk.home", "desk.request", "desk.transfer", "desk.modify", "desk.search",
              "desk.cease", "desk.cancel_action", "desk.tasks"},
}
RIGHTS["lm"] = RIGHTS["stts3"]

# (method, url template, action, uses a dossier/task id)
ENDPOINTS = [
    ("GET", "/desk/", "desk.home", False),
    ("GET", "/desk/dossiers", "desk.search", False),
    ("GET", "/desk/dossiers.csv", "desk.search", False),
    ("GET", "/desk/request", "desk.request", False),
    ("POST", "/desk/lookup", "desk.request", False),
    ("GET", "/desk/transfer", "desk.transfer", False),
    ("GET", "/desk/tasks", "desk.tasks", False),
    ("GET", "/desk/dossiers/{id}", "desk.search", True),
    ("GET", "/desk/dossiers/{id}/modify", "desk.modify", True),
    ("POST", "/desk/dossiers/{id}/modify", "desk.modify", True),
    ("POST", "/desk/dossiers/{id}/activate", "desk.modify", True),
    ("POST", "/desk/dossiers/{id}/cease", "desk.cease", True),
    ("POST", "/desk/dossiers/{id}/cancel", "desk.cancel_action", True),
    ("POST", "/desk/tasks/{task}/process", "desk.tasks", True),
]


def _targets(own: bool):
    """A dossier and a task of Telco Alpha (own) or of Belcom Beta (other)."""
    nrn = DEMO["incomplete_alpha"]
    dossier = Dossier.select().join(Beneficiary).where(Beneficiary.national_number == nrn).get()
    task = Task.get(Task.dossier == dossier)
    if own:
        return dossier.id, task.id
    # Give Belcom Beta a dossier with a task too.
    other = Dossier.select().join(Beneficiary).where(
        Beneficiary.national_number == DEMO["active_beta"]).get()
    other_task = Task.create(type="ADDRESS_CHANGED", dossier=other, company=other.company,
                             due_date="2030-01-01")
    return other.id, other_task.id


@pytest.mark.parametrize("profile", ["stts1", "stts2", "stts3", "lm"])
@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
def test_access_matrix(client, profile, own):
    login(client, f"{profile}.alpha")
    dossier_id, task_id = _targets(own)
    failures = []
    for method, template, action, uses_id in ENDPOINTS:
        if not own and not uses_id:
            continue
        url = template.format(id=dossier_id, task=task_id)
        response = client.open(url, method=method, data={} if method == "POST" else None)
        allowed = action in RIGHTS[profile]
        if not allowed:
            expected_ok = response.status_code == 403
        elif uses_id and not own:
            expected_ok = response.status_code == 404
        else:
            expected_ok = response.status_code not in (401, 403, 404, 500)
        if not expected_ok:
            failures.append((method, url, action, response.status_code))
    assert failures == []


@pytest.mark.parametrize("username", ["auditor.bipt", "handler.bipt", "agent.bipt"])
def test_institution_users_have_no_desk(client, username):
    login(client, username)
    for url in ("/desk/", "/desk/dossiers", "/desk/request", "/desk/tasks"):
        assert client.get(url).status_code == 403


def test_anonymous_gets_401(client):
    for url in ("/desk/", "/desk/dossiers", "/desk/dossiers/1", "/desk/tasks"):
        assert client.get(url).status_code == 401
    response = client.get("/desk/dossiers", headers={"HX-Request": "true"})
    assert response.status_code == 401 and "HX-Redirect" in response.headers


@pytest.mark.parametrize("profile,cease,cancel,tasks", [
    ("stts1", False, False, False),
    ("stts2", True, False, False),
    ("stts3", True, True, True),
    ("lm", True, True, True),
])
def test_ui_offers_only_allowed_actions(client, profile, cease, cancel, tasks):
    login(client, f"{profile}.alpha")
    dossier = Dossier.select().join(Beneficiary).where(
        Beneficiary.national_number == DEMO["active_alpha"]).get()
    page = client.get(f"/desk/dossiers/{dossier.id}").get_data(as_text=True)
    assert ('id="cease-form"' in page) is cease
    assert ('id="cancel-form"' in page) is cancel
    assert ("/desk/tasks" in client.get("/desk/").get_data(as_text=True)) is tasks
    assert f'href="/desk/dossiers/{dossier.id}/modify"' in page
