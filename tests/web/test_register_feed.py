"""The National Register feed through HTTP and the CLI: address change, death, idempotent
re-import, bad lines with their line numbers, upload limits and access."""
import io
from datetime import date, timedelta

import pytest

from stts.demo_dossiers import DEMO, person
from stts.models import (
    AuditEvent,
    Beneficiary,
    DeskJob,
    Dossier,
    DossierAction,
    RegisterEvent,
    Task,
)
from tests.conftest import HX, login, text_of

HEADER = "event_id,kind,national_number,date,street,postcode,city\n"
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _dossier(nrn) -> Dossier:
    return (Dossier.select().join(Beneficiary).where(Beneficiary.national_number == nrn)
            .order_by(Dossier.id.desc()).get())


def _upload(client, text, headers=None, name="feed.csv"):
    data = {"file": (io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text), name)}
    return client.post("/backoffice/register-feed", data=data, headers=headers or {},
                       content_type="multipart/form-data")


@pytest.fixture
def handler(client):
    login(client, "handler.bipt")
    return client


FEED = (HEADER
        + f"E-1,ADDRESS,{DEMO['active_alpha']},{YESTERDAY},Rue Neuve 5,1000,Bruxelles\n"
        + f"E-2,DEATH,{DEMO['active_beta']},{YESTERDAY},,,\n"
        + f"E-3,ADDRESS,{DEMO['unknown']},{YESTERDAY},Meir 1,2000,Antwerpen\n")


def test_upload_applies_address_change_and_death(handler):
    alpha = _dossier(DEMO["active_alpha"])
    beta = _dossier(DEMO["active_beta"])
    response = _upload(handler, FEED)
    assert response.status_code == 302
    job = DeskJob.get(DeskJob.kind == "REGISTER_IMPORT")
    assert response.headers["Location"].endswith(f"/backoffice/register-feed/{job.id}")
    assert job.state == "DONE" and job.total == 3 and job.done == 3

    # address change: the beneficiary (and so the dossier) has the new address, a task
    person_a = Beneficiary.get(Beneficiary.national_number == DEMO["active_alpha"])
    assert (person_a.street, person_a.postcode, person_a.city) == ("Rue Neuve 5", "1000",
                                                                  "Bruxelles")
    assert Dossier.get_by_id(alpha.id).state == "ACTIVE"
    task = Task.get((Task.dossier == alpha.id) & (Task.type == "ADDRESS_CHANGED"))
    assert task.company_id == alpha.company_id
    assert DossierAction.select().where((DossierAction.dossier == alpha.id)
                                        & (DossierAction.type == "ADDRESS_CHANGE")).exists()

    # death: the live dossier ends automatically, two tasks for its operator
    ended = Dossier.get_by_id(beta.id)
    assert ended.state == "ENDED" and ended.end_reason == "DEATH"
    assert Beneficiary.get_by_id(beta.beneficiary_id).deceased_on == date.today() - timedelta(1)
    types = {t.type for t in Task.select().where(Task.dossier == beta.id)}
    assert {"TERMINATE_REDUCTION", "BENEFICIARY_DECEASED"} <= types
    assert all(t.company_id == beta.company_id for t in Task.select().where(Task.dossier == beta.id))
    action = DossierAction.select().where(DossierAction.dossier == beta.id).order_by(
        DossierAction.id.desc()).first()
    assert action.type == "DEATH" and action.state_before == "ACTIVE"

    # the unknown person is remembered, ignored
    assert RegisterEvent.get(RegisterEvent.event_id == "E-3").ignored

    # audit: events recorded, national numbers never in clear
    details = " ".join(e.details for e in AuditEvent.select().where(
        AuditEvent.action.startswith("register.")))
    assert "register" in " ".join(e.action for e in AuditEvent.select())
    for key in ("active_alpha", "active_beta", "unknown"):
        assert DEMO[key] not in details
    assert AuditEvent.select().where(AuditEvent.action == "register.death").exists()

    page = text_of(handler.get(f"/backoffice/register-feed/{job.id}"))
    assert "Finished" in page and "Events applied" in page


def test_reimport_of_the_same_file_changes_nothing(handler):
    _upload(handler, FEED)
    tasks = Task.select().count()
    actions = DossierAction.select().count()
    response = _upload(handler, FEED)
    assert response.status_code == 302
    job = DeskJob.select().where(DeskJob.kind == "REGISTER_IMPORT").order_by(
        DeskJob.id.desc()).get()
    result = __import__("json").loads(job.result)
    assert result["duplicates"] == 3 and result["applied"] == 0
    assert Task.select().count() == tasks and DossierAction.select().count() == actions
    assert RegisterEvent.select().count() == 3


def test_bad_lines_are_reported_with_line_numbers_good_ones_applied(handler):
    feed = (HEADER
            + f"B-1,ADDRESS,{DEMO['active_alpha']},{YESTERDAY},Rue Neuve 5,1000,Bruxelles\n"
            + f"B-2,MARRIAGE,{DEMO['active_beta']},{YESTERDAY},,,\n"
            + f"B-3,DEATH,85073003329,{YESTERDAY},,,\n"
            + f"B-4,DEATH,{DEMO['active_beta']},31/12/2024,,,\n"
            + f"B-5,ADDRESS,{DEMO['active_gamma']},{YESTERDAY},,1000,Bruxelles\n"
            + f"B-6,DEATH,{DEMO['active_gamma']},{(date.today() + timedelta(5)).isoformat()},,,\n")
    response = _upload(handler, feed)
    assert response.status_code == 302
    job = DeskJob.get(DeskJob.kind == "REGISTER_IMPORT")
    page = text_of(handler.get(f"/backoffice/register-feed/{job.id}", headers=HX))
    assert "<html" not in page
    for line, message in ((3, "Unknown kind"), (4, "Invalid national register number"),
                          (5, "The date must be YYYY-MM-DD"), (6, "Missing value: street"),
                          (7, "The date is in the future")):
        assert f"<td>{line}</td><td>{message}" in page.replace("</td> <td>", "</td><td>")
    assert Beneficiary.get(Beneficiary.national_number == DEMO["active_alpha"]).street == \
        "Rue Neuve 5"
    assert _dossier(DEMO["active_beta"]).state == "ACTIVE"
    assert _dossier(DEMO["active_gamma"]).state == "ACTIVE"
    assert RegisterEvent.select().count() == 1  # bad lines are not remembered: fix and resend


def test_file_without_required_columns_is_422(handler):
    response = _upload(handler, "id,what\n1,2\n", headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and "lacks columns" in body
    assert not DeskJob.select().exists()


def test_file_not_utf8_is_422(handler):
    response = _upload(handler, HEADER.encode() + "E,ADDRESS,1,2,Rue \xe9\n".encode("latin-1"))
    assert response.status_code == 422 and "not UTF-8" in text_of(response)


def test_missing_file_is_422(handler):
    response = handler.post("/backoffice/register-feed", data={},
                            content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose the CSV file" in text_of(response)


def test_oversize_upload_is_refused(handler, app):
    app.config["REGISTER_FEED_MAX_BYTES"] = 1024
    response = _upload(handler, HEADER + "x" * 200_000)
    assert response.status_code == 413
    assert not DeskJob.select().exists()


def test_upload_page_lists_recent_imports(handler):
    _upload(handler, FEED)
    page = text_of(handler.get("/backoffice/register-feed"))
    assert "Recent imports" in page and "Finished" in page


def test_job_of_other_kind_is_404(handler):
    job = DeskJob.create(kind="YEARLY_CHECK", state="DONE")
    assert handler.get(f"/backoffice/register-feed/{job.id}").status_code == 404


@pytest.mark.parametrize("username", ["stts3.alpha", "lm.beta", "agent.bipt", "auditor.bipt"])
def test_only_case_handlers_import(client, username):
    login(client, username)
    assert client.get("/backoffice/register-feed").status_code == 403
    assert _upload(client, FEED).status_code == 403
    assert not RegisterEvent.select().exists()


def test_anonymous_cannot_import(client):
    assert _upload(client, FEED).status_code == 401
    assert not RegisterEvent.select().exists()


def test_cli_import_register(app, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text(FEED + f"E-9,DEATH,{person(5001)},bad,,,\n", encoding="utf-8")
    from stts.db import database

    database.close()
    result = app.test_cli_runner().invoke(args=["stts", "import-register", str(path)])
    database.connect(reuse_if_open=True)
    assert result.exit_code == 1
    assert "applied: 2" in result.output and "bad lines: 1" in result.output
    assert "line 5: The date must be YYYY-MM-DD." in result.output
    assert _dossier(DEMO["active_beta"]).state == "ENDED"


@pytest.mark.parametrize("language, label", [("fr", "Registre national"),
                                             ("nl", "Rijksregister"),
                                             ("de", "Nationalregister"),
                                             ("en", "National Register")])
def test_feed_actions_read_in_the_operators_language(app, handler, language, label):
    """The reason of the feed's actions is a code shown as its label, never English text
    with an ISO date."""
    import re

    alpha = _dossier(DEMO["active_alpha"])
    _upload(handler, FEED)
    action = DossierAction.get((DossierAction.dossier == alpha.id)
                               & (DossierAction.type == "ADDRESS_CHANGE"))
    assert action.reason == "NATIONAL_REGISTER"
    from stts.models import User

    User.update(language=language).where(User.username == "stts3.alpha").execute()
    operator = app.test_client()
    login(operator, "stts3.alpha")
    timeline = text_of(operator.get(f"/desk/dossiers/{alpha.id}"))
    timeline = timeline[timeline.index("Rue Neuve 5") - 400:]
    assert label in timeline
    assert "NATIONAL_REGISTER" not in timeline
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", timeline)


def test_earlier_feed_reasons_become_the_code(app):
    """Actions recorded before the code existed ("National Register <ISO date>") are
    converted by the migration; a person's own words are left as typed."""
    import importlib

    from stts.db import database

    migration = importlib.import_module("stts.migrations.0016_register_reason_code")
    first, second = DossierAction.select().order_by(DossierAction.id).limit(2)
    DossierAction.update(reason="National Register 2026-11-01").where(
        DossierAction.id == first.id).execute()
    DossierAction.update(reason="National Register office called").where(
        DossierAction.id == second.id).execute()
    migration.up(None, database)
    assert DossierAction.get_by_id(first.id).reason == "NATIONAL_REGISTER"
    assert DossierAction.get_by_id(second.id).reason == "National Register office called"
