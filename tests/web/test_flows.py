"""Flows a daily user can trust: the request form keeps what the lookup found, every select
starts on a labelled prompt, tasks lead to their action, no double actions."""
import re
from html.parser import HTMLParser

import pytest

from stts.demo_dossiers import DEMO
from tests.conftest import HX, text_of
from tests.conftest import login as _login


def login(client, username):
    _login(client, username)
    client.post("/language", data={"language": "en", "next": "/home"})


# --- the request form keeps what the lookup found ---------------------------------------------

def test_lookup_never_reveals_the_category_by_prefilling_it(client):
    """Checklist 33: the lookup says "eligible", not the benefit category; the user chooses
    the category from the person's attestation (the automatic check compares them)."""
    login(client, "stts1.alpha")
    response = client.post("/desk/lookup", headers=HX,
                          data={"national_number": DEMO["eligible"], "category": ""})
    body = response.get_data(as_text=True)
    assert 'id="category-field" hx-swap-oob' not in body
    assert "LARYNGECTOMY" not in body


def test_lookup_never_overrides_a_category_the_user_chose(client):
    login(client, "stts1.alpha")
    response = client.post("/desk/lookup", headers=HX,
                          data={"national_number": DEMO["eligible"], "category": "AGE65"})
    assert 'id="category-field" hx-swap-oob' not in response.get_data(as_text=True)


def test_lookup_full_page_has_the_category_field_once(client):
    login(client, "stts1.alpha")
    body = client.post("/desk/lookup",
                       data={"national_number": DEMO["eligible"]}).get_data(as_text=True)
    assert body.count('id="category-field"') == 1
    assert '<option selected value="LARYNGECTOMY">' not in body


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_refused_request_keeps_the_lookup_banner_and_the_chosen_category(client, headers):
    login(client, "stts1.alpha")
    response = client.post("/desk/request", headers=headers, data={
        "national_number": DEMO["eligible"], "category": "AGE65", "phone_number": "not a phone"})
    assert response.status_code == 422
    page = text_of(response)
    assert "Known to the eligibility source" in page
    assert '<option selected value="AGE65">' in page
    assert '<option selected value="LARYNGECTOMY">' not in page


def test_a_refused_duplicate_keeps_the_lookup_banner(client):
    login(client, "stts1.alpha")
    response = client.post("/desk/request", headers=HX, data={
        "national_number": DEMO["active_beta"], "category": "AGE65", "service": "MOBILE",
        "phone_number": "0470 12 34 56", "customer_number": "C-1", "tariff_formula": "S"})
    assert response.status_code == 422
    assert 'id="lookup-result"' in response.get_data(as_text=True)
    assert "already benefits from the social tariff with another operator" in text_of(response)


# --- every select starts on a labelled prompt --------------------------------------------------

class _Selects(HTMLParser):
    def __init__(self):
        super().__init__()
        self.empty_options, self.links = [], set()
        self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "option":
            self._option = {"value": attrs.get("value"), "text": ""}
        elif tag == "a" and (attrs.get("href") or "").startswith("/"):
            self.links.add(attrs["href"].split("#")[0])

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            if not self._option["text"].strip():
                self.empty_options.append(self._option)
            self._option = None


@pytest.mark.parametrize("role", ["stts3.alpha", "lm.alpha", "agent.bipt", "handler.bipt", None])
def test_no_select_anywhere_has_an_unlabelled_option(client, role):
    """Crawl every role's pages (two levels, one page per URL shape): no option is blank."""
    if role:
        login(client, role)
    start = ["/", "/home", "/desk/", "/desk/request", "/desk/transfer", "/console/",
             "/console/users/new", "/backoffice/", "/backoffice/review",
             "/desk/dossiers?state=ACTIVE", "/access-request/category"]
    seen, shapes, frontier, checked = set(), set(), list(start), 0
    for _depth in range(3):
        following = []
        for path in frontier:
            shape = re.sub(r"\d+", "N", path.split("?")[0])
            if path in seen or shape in shapes or any(
                    word in path for word in ("logout", ".csv", "export", "gazette", "static")):
                continue
            seen.add(path)
            shapes.add(shape)
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            parser = _Selects()
            parser.feed(response.get_data(as_text=True))
            checked += 1
            assert not parser.empty_options, (path, parser.empty_options)
            following.extend(sorted(parser.links))
        frontier = following
    assert checked > 3


# --- tasks lead to their action and close when it is done --------------------------------------

def _missing_data_task(company=1):
    from stts.models import Dossier, Task

    return (Task.select().join(Dossier)
            .where((Task.type == "ENTER_MISSING_DATA") & (Task.state == "OPEN")
                   & (Task.company == company) & (Dossier.state == "INCOMPLETE")).first())


@pytest.mark.parametrize("headers", [{}, HX])
def test_missing_data_task_cannot_be_closed_while_the_dossier_is_incomplete(client, headers):
    from stts.models import Task

    login(client, "stts3.alpha")
    task = _missing_data_task()
    response = client.post(f"/desk/tasks/{task.id}/process", headers=headers,
                           data={f"task{task.id}-note": "Done, I promise"})
    assert response.status_code == 422
    assert "still lacks data" in text_of(response)
    assert Task.get_by_id(task.id).state == "OPEN"


def test_missing_data_task_page_links_to_the_action_and_closes_when_it_is_done(client):
    from stts.models import Dossier, Task

    login(client, "stts3.alpha")
    task = _missing_data_task()
    page = text_of(client.get(f"/desk/tasks/{task.id}"))
    modify = f"/desk/dossiers/{task.dossier_id}/modify"
    assert f'href="{modify}"' in page and "<table" not in page
    assert 'id="task-blocked"' in page and "<textarea" not in page
    inbox = text_of(client.get("/desk/tasks"))
    assert f'href="{modify}"' in inbox
    dossier = Dossier.get_by_id(task.dossier_id)
    response = client.post(modify, data={
        "version": dossier.version, "service": "MOBILE", "phone_number": "0470 12 34 56",
        "customer_number": "C-77", "tariff_formula": "Social mobile"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert Dossier.get_by_id(task.dossier_id).state != "INCOMPLETE"
    done = Task.get_by_id(task.id)
    assert done.state == "DONE" and done.processed_by.username == "stts3.alpha"


@pytest.mark.parametrize("type_", ["CLOSE_FILE", "TERMINATE_REDUCTION", "ADDRESS_CHANGED",
                                   "BENEFICIARY_DECEASED", "TRANSFERRED_AWAY", "DECISION_TAKEN",
                                   "ENTER_MISSING_DATA"])
def test_every_task_page_says_what_to_do_and_links_to_its_dossier(client, type_):
    from stts.models import Dossier
    from stts.services.tasks import raise_task

    login(client, "stts3.alpha")
    dossier = Dossier.select().where((Dossier.company == 1)
                                     & (Dossier.state == "ACTIVE")).first()
    task = raise_task(type_, dossier, 1)
    page = client.get(f"/desk/tasks/{task.id}")
    body = text_of(page)
    assert page.status_code == 200
    assert 'class="task-todo"></p>' not in body and 'class="task-todo">' in body
    assert f'href="/desk/dossiers/{dossier.id}"' in body


def test_a_transfer_raises_one_task_at_the_old_operator(client):
    from stts.models import Dossier, Task

    login(client, "stts1.alpha")
    before = Task.select().count()
    response = client.post("/desk/transfer", data={
        "national_number": DEMO["active_beta"], "service": "MOBILE",
        "phone_number": "0470 12 34 56", "customer_number": "A-1", "tariff_formula": "S"})
    assert response.status_code == 303
    new = list(Task.select().order_by(Task.id).offset(before))
    assert [(t.type, t.company.name) for t in new] == [("TRANSFERRED_AWAY", "Belcom Beta")]
    assert new[0].dossier.company_id == Dossier.get_by_id(new[0].dossier_id).company_id == 1


def _processable(company=1):
    from stts.models import Dossier
    from stts.services.tasks import raise_task

    dossier = Dossier.select().where((Dossier.company == company)
                                     & (Dossier.state == "ACTIVE")).first()
    return raise_task("ADDRESS_CHANGED", dossier, company)


def test_processing_inline_updates_the_navigation_count_out_of_band(client):
    from stts.models import Task

    login(client, "stts3.alpha")
    task = _processable()
    open_before = Task.select().where((Task.company == 1) & (Task.state == "OPEN")).count()
    response = client.post(f"/desk/tasks/{task.id}/process", headers=HX,
                           data={f"task{task.id}-note": "Checked the address"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert re.search(r'<template><span class="count" id="nav-task-count" '
                     rf'hx-swap-oob="true">{open_before - 1}</span></template>', body)


def test_processing_inline_updates_the_inbox_count_of_the_filters_shown(client):
    """The inbox's own count ("12 tasks") follows too, for the filters the page shows
    (htmx sends the page's address); from any other page, or with filters that do not
    validate, no count is sent."""
    from stts.models import Task

    login(client, "stts3.alpha")
    first, second = _processable(), _processable()

    def open_of(type_=None):
        query = Task.select().where((Task.company == 1) & (Task.state == "OPEN"))
        return query.where(Task.type == type_).count() if type_ else query.count()

    def process(task, page):
        response = client.post(f"/desk/tasks/{task.id}/process", data={
            f"task{task.id}-note": "Checked"}, headers={**HX, "HX-Current-URL": page})
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def tasks(count):
        return f"{count} task" if count == 1 else f"{count} tasks"

    shown = text_of(client.get("/desk/tasks?type=ADDRESS_CHANGED"))
    assert open_of("ADDRESS_CHANGED") == 2
    assert '<p id="task-count">2 tasks</p>' in shown
    body = process(first, "http://localhost/desk/tasks?type=ADDRESS_CHANGED&due=&state=OPEN")
    assert '<template><p id="task-count" hx-swap-oob="true">1 task</p></template>' in body
    body = process(second, "http://localhost/desk/tasks")  # every open task
    assert (f'<template><p id="task-count" hx-swap-oob="true">{tasks(open_of())}</p>'
            '</template>') in body
    for page in ("http://localhost/desk/tasks/1", "http://localhost/desk/",
                 "http://localhost/desk/tasks?due=yesterday", "not an address", ""):
        body = process(_processable(), page)
        assert 'id="nav-task-count"' in body and 'id="task-count"' not in body, page


def test_processing_without_script_redirects_and_a_reload_sends_nothing(client):
    """Post/Redirect/Get: the note is sent once; the page after it is a GET."""
    from stts.models import AuditEvent

    login(client, "stts3.alpha")
    task = _processable()
    response = client.post(f"/desk/tasks/{task.id}/process",
                           data={f"task{task.id}-note": "Checked the address"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/desk/tasks/{task.id}")
    page = text_of(client.get(response.headers["Location"]))
    assert "The task is marked as processed." in page and "Checked the address" in page
    assert AuditEvent.select().where(AuditEvent.action == "task.processed").count() == 1


# --- a household member is never sent round in a loop ------------------------------------------

def test_household_member_gets_one_path_from_lookup_request_and_transfer(client):
    """One social tariff per household: the member (no dossier of their own) whose household
    benefits elsewhere is told the same thing everywhere — transfer the holder's tariff —
    and never "Use Transfer" here and "Use Request" there."""
    from stts.models import Dossier

    login(client, "stts3.alpha")
    member = DEMO["household_member"]
    count = Dossier.select().count()
    lookup = text_of(client.post("/desk/lookup", data={"national_number": member},
                                 headers=HX))
    request = text_of(client.post("/desk/request", data={
        "national_number": member, "category": "AGE65", "service": "MOBILE",
        "phone_number": "0470 12 34 56", "customer_number": "C-1", "tariff_formula": "S"}))
    transfer = text_of(client.post("/desk/transfer", data={
        "national_number": member, "service": "MOBILE", "phone_number": "0470 12 34 56",
        "customer_number": "C-1", "tariff_formula": "S"}))
    path = "use Transfer with the national register number of the member who holds it"
    for page in (lookup, request, transfer):
        assert path in page
        assert "Use Request" not in page and 'href="/desk/transfer?national_number' not in page
    assert Dossier.select().count() == count


# --- no double actions ---------------------------------------------------------------------------

def _once_of(page: str, action: str) -> str:
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    return re.search(r'name="_once" value="([^"]+)"', form.group(0)).group(1)


def test_a_reloaded_new_password_post_issues_no_second_password(client):
    from stts.models import User

    login(client, "lm.alpha")
    target = User.get(User.username == "stts1.alpha")
    page = client.get(f"/console/users/{target.id}").get_data(as_text=True)
    action = f"/console/users/{target.id}/password"
    token = _once_of(page, action)
    first = client.post(action, data={"_once": token})
    assert first.status_code == 200 and "Provisional password" in text_of(first)
    issued = User.get_by_id(target.id).password_hash
    again = client.post(action, data={"_once": token},
                        headers={"Referer": f"http://localhost/console/users/{target.id}"})
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/console/users/{target.id}")
    assert User.get_by_id(target.id).password_hash == issued
    assert "already sent" in text_of(client.get(again.headers["Location"]))


def test_a_reloaded_technical_account_post_creates_no_second_account(client):
    from stts.models import TechnicalAccount

    login(client, "lm.alpha")
    page = client.get("/console/xml").get_data(as_text=True)
    token = _once_of(page, "/console/xml/accounts")
    before = TechnicalAccount.select().count()
    assert client.post("/console/xml/accounts", data={"_once": token, "name": "Billing"}
                       ).status_code == 201
    again = client.post("/console/xml/accounts", data={"_once": token, "name": "Billing"},
                        headers=HX)
    assert again.status_code == 200 and again.headers["HX-Redirect"]
    assert TechnicalAccount.select().count() == before + 1


def test_every_posting_form_carries_a_fresh_one_time_token(client):
    login(client, "lm.alpha")
    first = client.get("/console/users/new").get_data(as_text=True)
    second = client.get("/console/users/new").get_data(as_text=True)
    tokens = re.findall(r'name="_once" value="([^"]+)"', first)
    assert tokens and set(tokens).isdisjoint(re.findall(r'name="_once" value="([^"]+)"', second))
