"""The dossier desk through HTTP: request, lookup, transfer, modify, activate, cease, cancel,
search + CSV, dossier page (timeline, consultation log), tasks, conflicts."""
import re

import pytest

from stts.demo_dossiers import DEMO, person
from stts.models import AuditEvent, Dossier, DossierAction, Task, User
from tests.conftest import HX, text_of
from tests.conftest import login as _login


def login(client, username):
    """Log in and switch to English (demo users default to French)."""
    _login(client, username)
    client.post("/language", data={"language": "en", "next": "/home"})

COMMERCIAL = {"service": "MOBILE", "phone_number": "0470 12 34 56", "customer_number": "C-1",
              "tariff_formula": "Social mobile"}


def _request(client, nrn, category="AGE65", headers=None, **extra):
    data = {"national_number": nrn, "category": category, **COMMERCIAL, **extra}
    return client.post("/desk/request", data=data, headers=headers or {})


def _category_of(n):
    from stts.models.dossiers import CATEGORIES

    return CATEGORIES[n % len(CATEGORIES)]


def _new_dossier(nrn):
    return Dossier.select().join_from(Dossier, Dossier.beneficiary.rel_model).where(
        Dossier.beneficiary.rel_model.national_number == nrn).order_by(Dossier.id.desc()).first()


# --- request ---------------------------------------------------------------------------------

def test_request_complete_eligible_is_approved(client):
    login(client, "stts1.alpha")
    response = _request(client, DEMO["eligible"], _category_of(10))
    assert response.status_code == 303
    dossier = _new_dossier(DEMO["eligible"])
    assert dossier.state == "APPROVED"
    assert dossier.phone_number == "+32470123456"
    assert response.headers["Location"].endswith(f"/desk/dossiers/{dossier.id}")
    action = DossierAction.get(DossierAction.dossier == dossier)
    assert action.type == "REQUEST" and action.author.username == "stts1.alpha"
    event = AuditEvent.select().where(AuditEvent.action == "dossier.requested").get()
    assert DEMO["eligible"] not in event.details and "nrn:" in event.details


def test_request_via_htmx_redirects_with_header(client):
    login(client, "stts1.alpha")
    response = _request(client, DEMO["eligible"], _category_of(10), headers=HX)
    assert response.status_code == 200
    assert "/desk/dossiers/" in response.headers["HX-Redirect"]


def test_request_other_category_goes_to_review(client):
    login(client, "stts2.alpha")
    _request(client, DEMO["eligible"], "WAR_BLIND" if _category_of(10) != "WAR_BLIND" else "AGE65")
    assert _new_dossier(DEMO["eligible"]).state == "REVIEW"


def test_request_unknown_person_needs_names_then_review(client):
    login(client, "stts1.alpha")
    response = _request(client, DEMO["unknown"], headers=HX)
    assert response.status_code == 422
    assert "enter the last name" in text_of(response)
    assert "<html" not in response.get_data(as_text=True)
    assert f'value="{DEMO["unknown"]}"' in response.get_data(as_text=True)  # input kept
    response = _request(client, DEMO["unknown"], last_name="Nouveau", first_name="Zoé")
    assert response.status_code == 303
    dossier = _new_dossier(DEMO["unknown"])
    assert dossier.state == "REVIEW" and dossier.beneficiary.last_name_key == "nouveau"


def test_request_expired_right_goes_to_review(client):
    login(client, "stts1.alpha")
    _request(client, DEMO["expired"], _category_of(2900))
    assert _new_dossier(DEMO["expired"]).state == "REVIEW"


def test_request_missing_commercial_data_is_incomplete_with_task(client):
    login(client, "stts1.alpha")
    response = client.post("/desk/request", data={"national_number": DEMO["eligible"],
                                                  "category": _category_of(10)})
    assert response.status_code == 303
    dossier = _new_dossier(DEMO["eligible"])
    assert dossier.state == "INCOMPLETE"
    task = Task.get(Task.dossier == dossier)
    assert task.type == "ENTER_MISSING_DATA" and task.company_id == dossier.company_id


@pytest.mark.parametrize("nrn,expected", [
    ("85073003329", "not valid"),
    ("8507300332", "11 digits"),
    ("", "Enter a national register number"),
])
def test_request_invalid_national_number_is_422(client, nrn, expected):
    login(client, "stts1.alpha")
    response = _request(client, nrn, headers=HX)
    assert response.status_code == 422
    assert expected in text_of(response)


def test_request_duplicate_at_own_operator_refused(client):
    login(client, "stts1.alpha")
    response = _request(client, DEMO["active_alpha"], _category_of(100))
    assert response.status_code == 422
    assert "already has a social tariff with your company" in text_of(response)


def test_request_duplicate_elsewhere_says_use_transfer(client):
    login(client, "stts1.alpha")
    response = _request(client, DEMO["active_beta"], _category_of(130))
    assert response.status_code == 422
    body = text_of(response)
    assert "another operator. Use Transfer." in body
    assert "B-000130" not in body  # never the other operator's customer number


def test_request_household_member_refused(client):
    login(client, "stts1.alpha")
    response = _request(client, DEMO["household_member"], _category_of(2001))
    assert response.status_code == 422
    assert "household" in text_of(response)
    assert Dossier.select().where(Dossier.household_key == "H:HH002000").count() == 1


# --- lookup ----------------------------------------------------------------------------------

@pytest.mark.parametrize("key,expected", [
    ("eligible", "Known to the eligibility source"),
    ("unknown", "Not known to the eligibility source"),
    ("expired", "without a right valid today"),
    ("active_alpha", "already has a social tariff with your company"),
    ("active_beta", "Use Transfer"),
    ("household_member", "with another operator"),
])
def test_lookup_fragment(client, key, expected):
    login(client, "stts1.alpha")
    response = client.post("/desk/lookup", data={"national_number": DEMO[key]}, headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert expected in text_of(response)
    assert "Social basic" not in body and "B-000" not in body


def test_lookup_without_htmx_gets_the_full_page(client):
    login(client, "stts1.alpha")
    response = client.post("/desk/lookup", data={"national_number": DEMO["eligible"]})
    assert response.status_code == 200
    assert "<html" in response.get_data(as_text=True)
    assert "Known to the eligibility source" in text_of(response)


# --- transfer --------------------------------------------------------------------------------

def test_transfer_moves_dossier_and_raises_tasks_at_old_operator(client):
    login(client, "stts1.alpha")
    before = Dossier.select().count()
    response = client.post("/desk/transfer", data={"national_number": DEMO["active_beta"],
                                                   **COMMERCIAL, "customer_number": "A-NEW"})
    assert response.status_code == 303
    assert Dossier.select().count() == before  # never a second dossier
    dossier = _new_dossier(DEMO["active_beta"])
    assert dossier.company.name == "Telco Alpha" and dossier.state == "ACTIVE"
    assert dossier.customer_number == "A-NEW"
    tasks = {t.type: t for t in Task.select().where(Task.dossier == dossier)}
    assert set(tasks) == {"TRANSFERRED_AWAY"}  # one event, one task
    assert all(t.company.name == "Belcom Beta" for t in tasks.values())
    # The old operator sees its task with its own customer number, not the dossier.
    other = client.application.test_client()
    login(other, "stts3.beta")
    page = other.get("/desk/tasks")
    assert "Transferred away" in text_of(page) and "B-000130" in text_of(page)
    assert "A-NEW" not in text_of(page)
    assert other.get(f"/desk/dossiers/{dossier.id}").status_code == 404


@pytest.mark.parametrize("key,expected", [
    ("active_alpha", "already with your company"),
    ("eligible", "no social tariff to transfer"),
])
def test_transfer_refusals(client, key, expected):
    login(client, "stts1.alpha")
    response = client.post("/desk/transfer", data={"national_number": DEMO[key], **COMMERCIAL},
                           headers=HX)
    assert response.status_code == 422
    assert expected in text_of(response)


def test_transfer_of_pending_dossier_refused(client):
    login(client, "stts1.beta")
    response = client.post("/desk/transfer", data={"national_number": DEMO["review_alpha"],
                                                   **COMMERCIAL})
    assert response.status_code == 422
    assert "Only an active social tariff can be transferred" in text_of(response)


def test_transfer_requires_commercial_data(client):
    login(client, "stts1.alpha")
    response = client.post("/desk/transfer", data={"national_number": DEMO["active_beta"]})
    assert response.status_code == 422
    assert "Enter your customer number" in text_of(response)


# --- modify / activate / cease / cancel -------------------------------------------------------

def _demo_dossier(key):
    return _new_dossier(DEMO[key])


def test_modify_incomplete_to_complete_decides(client):
    login(client, "stts1.alpha")
    dossier = _demo_dossier("incomplete_alpha")
    response = client.post(f"/desk/dossiers/{dossier.id}/modify",
                           data={"version": dossier.version, **COMMERCIAL})
    assert response.status_code == 303
    dossier = Dossier.get_by_id(dossier.id)
    assert dossier.state == "APPROVED" and dossier.version == 2
    assert DossierAction.select().where((DossierAction.dossier == dossier)
                                        & (DossierAction.type == "COMPLETE")).exists()


def test_modify_without_a_change_saves_nothing_and_says_so(client):
    """Saving the form as it was shown records no action, no audit entry and no new version
    (the audit trail showed a modification with nothing before or after); the form stays."""
    login(client, "stts1.alpha")
    dossier = _demo_dossier("active_alpha")
    form = client.get(f"/desk/dossiers/{dossier.id}/modify").get_data(as_text=True)
    shown = dict(re.findall(r'<input[^>]* name="(\w+)"[^>]* value="([^"]*)"', form))
    shown.update(re.findall(r'<select[^>]* name="(\w+)"[^>]*>.*?<option[^>]* value="([^"]*)" '
                            r'selected', form, re.S))
    actions, events = DossierAction.select().count(), AuditEvent.select().count()
    response = client.post(f"/desk/dossiers/{dossier.id}/modify", data=shown, headers=HX)
    assert response.status_code == 422, text_of(response)
    assert "Nothing to save: the data is the same as before." in text_of(response)
    assert 'name="customer_number"' in response.get_data(as_text=True)
    assert Dossier.get_by_id(dossier.id).version == dossier.version
    assert DossierAction.select().count() == actions
    assert AuditEvent.select().where(AuditEvent.action == "dossier.modified").count() == 0
    assert AuditEvent.select().count() <= events + 1  # at most the page's own consultation
    changed = client.post(f"/desk/dossiers/{dossier.id}/modify",
                          data={**shown, "customer_number": "C-NEW"})
    assert changed.status_code == 303


def test_modify_stale_version_is_409_and_keeps_input(client, make_client):
    dossier = _demo_dossier("active_alpha")
    login(client, "stts1.alpha")
    second = make_client()
    login(second, "stts2.alpha")
    first = client.post(f"/desk/dossiers/{dossier.id}/modify",
                        data={"version": 1, **COMMERCIAL, "customer_number": "FIRST"})
    assert first.status_code == 303
    stale = second.post(f"/desk/dossiers/{dossier.id}/modify",
                        data={"version": 1, **COMMERCIAL, "customer_number": "SECOND"},
                        headers=HX)
    assert stale.status_code == 409
    assert 'value="SECOND"' in stale.get_data(as_text=True)
    assert "changed this dossier meanwhile" in text_of(stale)
    assert Dossier.get_by_id(dossier.id).customer_number == "FIRST"


def test_activate_approved(client):
    login(client, "stts1.alpha")
    _request(client, DEMO["eligible"], _category_of(10))
    dossier = _new_dossier(DEMO["eligible"])
    page = client.get(f"/desk/dossiers/{dossier.id}")
    assert 'id="activate-form"' in page.get_data(as_text=True)
    response = client.post(f"/desk/dossiers/{dossier.id}/activate", data={
        "activate-version": dossier.version, "activate-activation_date": "2025-01-01",
        "activate-invoice_date": "2025-02-01"})
    assert response.status_code == 303
    assert Dossier.get_by_id(dossier.id).state == "ACTIVE"


def test_activate_with_invoice_before_activation_is_422(client):
    login(client, "stts1.alpha")
    _request(client, DEMO["eligible"], _category_of(10))
    dossier = _new_dossier(DEMO["eligible"])
    response = client.post(f"/desk/dossiers/{dossier.id}/activate", headers=HX, data={
        "activate-version": dossier.version, "activate-activation_date": "2025-03-01",
        "activate-invoice_date": "2025-02-01"})
    assert response.status_code == 422
    assert "cannot be before the activation date" in text_of(response)
    assert "<html" not in response.get_data(as_text=True)


def _cease(client, dossier, **overrides):
    data = {"cease-version": dossier.version, "cease-reason": "CUSTOMER_REQUEST",
            "cease-effective_date": "2025-06-30", **overrides}
    return client.post(f"/desk/dossiers/{dossier.id}/cease", data=data)


def test_cease_then_cancel_restores_active(client):
    login(client, "stts3.alpha")
    dossier = _demo_dossier("active_alpha")
    assert _cease(client, dossier).status_code == 303
    dossier = Dossier.get_by_id(dossier.id)
    assert dossier.state == "ENDED" and str(dossier.end_date) == "2025-06-30"
    last = DossierAction.select().where(DossierAction.dossier == dossier).order_by(
        DossierAction.id.desc()).first()
    missing_reason = client.post(f"/desk/dossiers/{dossier.id}/cancel", data={
        "cancel-version": dossier.version, "cancel-action_id": last.id, "cancel-reason": ""})
    assert missing_reason.status_code == 422
    response = client.post(f"/desk/dossiers/{dossier.id}/cancel", data={
        "cancel-version": dossier.version, "cancel-action_id": last.id,
        "cancel-reason": "Wrong customer"})
    assert response.status_code == 303
    dossier = Dossier.get_by_id(dossier.id)
    assert dossier.state == "ACTIVE" and dossier.end_date is None
    page = text_of(client.get(f"/desk/dossiers/{dossier.id}"))
    assert "Cancellation" in page and "Wrong customer" in page and "cancelled" in page
    # Only the latest action: a cancellation cannot itself be cancelled.
    assert 'id="cancel-form"' not in page


def test_cancel_of_transfer_returns_dossier_to_old_operator(client):
    login(client, "stts3.alpha")
    client.post("/desk/transfer", data={"national_number": DEMO["active_beta"], **COMMERCIAL})
    dossier = _demo_dossier("active_beta")
    last = DossierAction.select().where(DossierAction.dossier == dossier).order_by(
        DossierAction.id.desc()).first()
    response = client.post(f"/desk/dossiers/{dossier.id}/cancel", data={
        "cancel-version": dossier.version, "cancel-action_id": last.id,
        "cancel-reason": "Customer changed their mind"})
    assert response.status_code == 303
    dossier = Dossier.get_by_id(dossier.id)
    assert dossier.company.name == "Belcom Beta" and dossier.customer_number == "B-000130"


def test_cease_refused_for_pending_dossier(client):
    login(client, "stts2.alpha")
    dossier = _demo_dossier("review_alpha")
    response = _cease(client, dossier)
    assert response.status_code == 422
    assert Dossier.get_by_id(dossier.id).state == "REVIEW"


def test_cease_stale_version_is_409(client):
    login(client, "stts2.alpha")
    dossier = _demo_dossier("active_alpha")
    response = _cease(client, dossier, **{"cease-version": "0"})
    assert response.status_code == 409
    assert Dossier.get_by_id(dossier.id).state == "ACTIVE"


# --- dossier page, search, CSV ------------------------------------------------------------------

def test_dossier_page_records_consultation_and_shows_timeline(client):
    login(client, "stts1.alpha")
    dossier = _demo_dossier("active_alpha")
    response = client.get(f"/desk/dossiers/{dossier.id}")
    assert response.status_code == 200
    body = text_of(response)
    assert "Activation" in body and "Request" in body
    event = (AuditEvent.select().where((AuditEvent.action == "dossier.viewed")
                                       & (AuditEvent.object_id == str(dossier.id))).get())
    assert event.actor_username == "stts1.alpha"
    again = text_of(client.get(f"/desk/dossiers/{dossier.id}"))
    assert again.count("stts1.alpha") >= 2  # consultation log lists both views


def test_other_operators_dossier_is_404(client):
    login(client, "stts3.alpha")
    dossier = _demo_dossier("active_beta")
    for url in (f"/desk/dossiers/{dossier.id}", f"/desk/dossiers/{dossier.id}/modify"):
        assert client.get(url).status_code == 404
    assert _cease(client, dossier).status_code == 404
    assert client.post(f"/desk/dossiers/{dossier.id}/cancel",
                       data={"cancel-reason": "x"}).status_code == 404


def test_search_by_name_prefix_accent_insensitive(client):
    login(client, "stts1.alpha")
    # Person 111 is "Lefèvre" (LAST_NAMES[111 % 20] == "Lefèvre"), active at alpha.
    response = client.get("/desk/dossiers", query_string={"name": "lefev"}, headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Lefèvre" in body
    assert "Peeters" not in body
    assert person(111)[:6] not in body or "***" in body  # NRN masked in lists


def test_search_by_national_number_exact(client):
    login(client, "stts1.alpha")
    response = client.post("/desk/dossiers", data={"national_number": DEMO["active_alpha"]})
    assert "1 dossier" in text_of(response)
    response = client.post("/desk/dossiers", data={"national_number": DEMO["active_beta"]})
    assert "0 dossiers" in text_of(response)  # another operator's person: nothing


@pytest.mark.parametrize("query,count", [
    ({"state": "INCOMPLETE"}, 10),
    ({"state": "REVIEW"}, 10),
    ({"phone_number": "+32470000100"}, 1),
    ({"customer_number": "A-000101"}, 1),
    ({"activated_from": "2024-01-01", "activated_to": "2024-12-31"}, 30),
    ({"created_from": "2030-01-01"}, 0),
])
def test_search_filters(client, query, count):
    login(client, "stts1.alpha")
    response = client.get("/desk/dossiers", query_string=query, headers=HX)
    match = re.search(r"(\d+) dossiers?", text_of(response))
    assert match and int(match.group(1)) == count


def test_search_pagination(client):
    login(client, "stts1.alpha")
    first = text_of(client.get("/desk/dossiers"))
    assert "Page 1 of 2" in first
    second = text_of(client.get("/desk/dossiers?page=2"))
    assert "Page 2 of 2" in second


def test_search_invalid_nrn_shows_error(client):
    login(client, "stts1.alpha")
    response = client.post("/desk/dossiers", data={"national_number": "123"})
    assert response.status_code == 200
    assert "11 digits" in text_of(response)


def test_csv_export_streams_own_rows_masked(client):
    login(client, "stts1.alpha")
    response = client.get("/desk/dossiers.csv", query_string={"state": "ACTIVE"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 31  # header + 30 active dossiers of Telco Alpha
    assert "***" in lines[1] and DEMO["active_alpha"] not in response.get_data(as_text=True)
    assert "B-000" not in response.get_data(as_text=True)


# --- tasks -----------------------------------------------------------------------------------

def _processable_task(username):
    """An open task that a note closes ("Address changed" on an active dossier): the demo's
    "Enter missing data" tasks close only by completing their dossiers."""
    from stts.models import User
    from stts.services.tasks import raise_task

    company = User.get(User.username == username).company_id
    dossier = Dossier.select().where((Dossier.company == company)
                                     & (Dossier.state == "ACTIVE")).first()
    return raise_task("ADDRESS_CHANGED", dossier, company)


def test_task_inbox_overdue_and_process(client):
    login(client, "stts3.alpha")
    page = client.get("/desk/tasks")
    body = page.get_data(as_text=True)
    assert 'class="task-row overdue"' in body  # demo tasks were due in 2024
    assert "Enter missing data" in body
    task = _processable_task("stts3.alpha")
    empty = client.post(f"/desk/tasks/{task.id}/process", data={f"task{task.id}-note": ""},
                        headers=HX)
    assert empty.status_code == 422
    done = client.post(f"/desk/tasks/{task.id}/process",
                       data={f"task{task.id}-note": "Called the customer"}, headers=HX)
    assert done.status_code == 200 and "<html" not in done.get_data(as_text=True)
    assert "Called the customer" in text_of(done)
    task = Task.get_by_id(task.id)
    assert task.state == "DONE" and task.processed_by.username == "stts3.alpha"


@pytest.mark.parametrize("query,expected", [
    ({"type": "ENTER_MISSING_DATA"}, 10),
    ({"type": "DECISION_TAKEN"}, 0),
    ({"due": "overdue"}, 10),
    ({"state": "DONE"}, 0),
])
def test_task_filters(client, query, expected):
    login(client, "stts3.alpha")
    response = client.get("/desk/tasks", query_string=query, headers=HX)
    match = re.search(r"(\d+) tasks?", text_of(response))
    assert match and int(match.group(1)) == expected


def test_nav_shows_open_task_count_for_stts3_only(client, make_client):
    login(client, "stts3.alpha")
    assert 'id="nav-task-count">10<' in client.get("/desk/").get_data(as_text=True)
    other = make_client()
    login(other, "stts1.alpha")
    assert "nav-task-count" not in other.get("/desk/").get_data(as_text=True)


def test_the_navigation_marks_one_current_page(client):
    import re

    login(client, "stts3.alpha")
    for url, current in (("/desk/", "Dossier desk"), ("/desk/dossiers", "Dossier desk"),
                         ("/desk/tasks", "Tasks")):
        page = client.get(url).get_data(as_text=True)
        marked = re.findall(r'aria-current="page">([^<]+)<', page)
        assert [label.strip() for label in marked] == [current], (url, marked)


def test_other_operators_task_is_404(client):
    login(client, "stts3.beta")
    task = Task.select().join(Dossier).where(Dossier.state == "INCOMPLETE").first()
    response = client.post(f"/desk/tasks/{task.id}/process", data={f"task{task.id}-note": "x"})
    assert response.status_code == 404


def test_request_sent_with_only_a_number_shows_the_situation(client):
    """Without JavaScript the lookup's answer comes with the form sent back."""
    from stts.demo_dossiers import DEMO

    login(client, "stts3.gamma")
    page = text_of(client.post("/desk/request", data={"national_number": DEMO['active_alpha']}))
    assert "already benefits from the social tariff with another operator" in page
    assert "Use Transfer" in page
    known = text_of(client.post("/desk/request", data={"national_number": DEMO['eligible']}))
    assert "Known to the eligibility source" in known
    # Only "eligible": neither the category (person 10 is in LARYNGECTOMY) nor the name.
    assert not re.search(r'<option selected value="LARYNGECTOMY">', known)


def test_csv_export_defuses_spreadsheet_formulas(client):
    login(client, "stts3.alpha")
    dossier = Dossier.select().where(Dossier.company == 1, Dossier.state == "ACTIVE").first()
    Dossier.update(customer_number="=HYPERLINK(\"http://evil\")").where(
        Dossier.id == dossier.id).execute()
    body = client.get("/desk/dossiers.csv?state=ACTIVE").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body


def test_inbox_rows_fetch_their_note_form_on_demand(client):
    login(client, "stts3.alpha")
    inbox = text_of(client.get("/desk/tasks"))
    task = _processable_task("stts3.alpha")
    inbox = text_of(client.get("/desk/tasks"))
    assert f'hx-get="/desk/tasks/{task.id}"' in inbox
    assert "<textarea" not in inbox  # no form per row
    row = client.get(f"/desk/tasks/{task.id}", headers=HX)
    assert row.status_code == 200 and "<html" not in text_of(row)
    assert f'name="task{task.id}-note"' in text_of(row)
    page = client.get(f"/desk/tasks/{task.id}")  # the same without script: a page
    assert "<html" in text_of(page) and f'name="task{task.id}-note"' in text_of(page)
    client.post("/logout")
    login(client, "stts3.beta")  # another operator's task does not exist for Beta
    assert client.get(f"/desk/tasks/{task.id}").status_code == 404


def test_the_task_count_stops_at_its_limit(client):
    """The navigation and the desk home count open tasks on every page: up to the limit
    (99), then "99+", whatever the backlog (one bounded index range)."""
    from datetime import date

    from stts.services.tasks import OPEN_TASK_COUNT_LIMIT

    login(client, "stts3.alpha")
    staff = User.get(User.username == "stts3.alpha")
    dossier = Dossier.select().where(Dossier.company == staff.company_id).first()
    open_now = Task.select().where((Task.company == staff.company_id)
                                   & (Task.state == "OPEN")).count()
    missing = OPEN_TASK_COUNT_LIMIT - open_now
    rows = [{"type": "ADDRESS_CHANGED", "dossier": dossier.id, "company": staff.company_id,
             "due_date": date(2030, 1, 1), "details": "{}"} for _ in range(missing)]
    Task.insert_many(rows).execute()
    assert f'id="nav-task-count">{OPEN_TASK_COUNT_LIMIT}<' in client.get("/desk/").get_data(
        as_text=True)
    Task.insert_many(rows[:1]).execute()
    page = client.get("/desk/").get_data(as_text=True)
    assert f'id="nav-task-count">{OPEN_TASK_COUNT_LIMIT}+<' in page
    assert f"Open tasks: {OPEN_TASK_COUNT_LIMIT}+" in text_of(client.get("/desk/"))


@pytest.mark.parametrize(("language", "opened", "done", "filter_option"), [
    ("fr", "Ouverte", "Traitée", "Ouvertes"), ("nl", "Open", "Behandeld", "Open"),
    ("de", "Offen", "Bearbeitet", "Offen"), ("en", "Open", "Processed", "Open")])
def test_a_task_says_its_own_state_while_the_filter_speaks_of_tasks(client, language, opened,
                                                                    done, filter_option):
    """One task's state is written for one task (French: "Ouverte", "Traitée"), while the
    inbox's state filter keeps the plural of the list ("Ouvertes")."""
    _login(client, "stts3.alpha")
    client.post("/language", data={"language": language, "next": "/home"})
    from datetime import date

    staff = User.get(User.username == "stts3.alpha")
    dossier = Dossier.select().where(Dossier.company == staff.company_id).first()
    task = Task.create(type="ADDRESS_CHANGED", dossier=dossier.id, company=staff.company_id,
                       due_date=date(2020, 1, 1), details="{}")
    inbox = client.get("/desk/tasks").get_data(as_text=True)
    row = re.search(rf'<tr id="task-{task.id}".*?</tr>', inbox, re.S).group(0)
    assert re.search(rf"<td>{opened}</td>", row), row
    assert re.search(rf'<option[^>]*value="OPEN"[^>]*>{filter_option}</option>', inbox)
    assert f"<dd>{opened}</dd>" in client.get(f"/desk/tasks/{task.id}").get_data(as_text=True)
    answer = client.post(f"/desk/tasks/{task.id}/process", headers=HX,
                         data={f"task{task.id}-note": "Done."}).get_data(as_text=True)
    assert f"<td>{done} " in answer, answer[:2000]
