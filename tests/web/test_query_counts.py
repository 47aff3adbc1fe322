"""The number of SQL statements a list page runs does not grow with its page size:
no query per row (N+1) in the dossier search, the task inbox, the user search and the review
queue. Each page is requested twice, with a page size of 3 and of 30, on more rows than
that; the statements are counted by wrapping the database's ``execute_sql``. The user
search's page is also checked for the rest of its work per row (model objects, the
templates' url_for and gettext)."""
import collections
import functools
import types
from datetime import date, datetime, timedelta

import pytest

from stts.db import database
from stts.identifiers import national_number
from stts.models import Beneficiary, Company, Dossier, Task, User
from tests.conftest import HX, login

ROWS = 40
MARK = "Querycount"


@pytest.fixture
def bulk(app):
    """ROWS active and ROWS review dossiers, ROWS open tasks and ROWS users at Telco Alpha,
    all named MARK."""
    alpha = Company.get(Company.name == "Telco Alpha")
    now = datetime(2026, 1, 1)
    people = [{"national_number": national_number(date(1931, 1, 1) + timedelta(days=i), 7),
               "last_name": MARK, "first_name": f"P{i}", "last_name_key": MARK.lower(),
               "first_name_key": f"p{i}"} for i in range(2 * ROWS)]
    Beneficiary.insert_many(people).execute()
    ids = [b.id for b in Beneficiary.select(Beneficiary.id)
           .where(Beneficiary.last_name == MARK).order_by(Beneficiary.id)]
    Dossier.insert_many([{
        "beneficiary": person, "company": alpha.id, "household_key": f"P:q{person}",
        "category": "AGE65", "state": "ACTIVE" if n < ROWS else "REVIEW",
        "created_at": now + timedelta(minutes=n), "updated_at": now} for n, person in enumerate(ids)
    ]).execute()
    dossiers = [d.id for d in Dossier.select(Dossier.id).where(Dossier.beneficiary.in_(ids))]
    Task.insert_many([{"type": "CLOSE_FILE", "dossier": d, "company": alpha.id,
                       "created_at": now, "due_date": date(2020, 1, 1), "details": "{}"}
                      for d in dossiers[:ROWS]]).execute()
    template = User.get(User.username == "stts3.alpha")
    User.insert_many([{
        "company": alpha.id, "username": f"qc{i}", "last_name": MARK, "first_name": f"U{i}",
        "last_name_key": MARK.lower(), "first_name_key": f"u{i}",
        "national_number": national_number(date(1950, 1, 1) + timedelta(days=i), 9),
        "password_hash": template.password_hash} for i in range(ROWS)]).execute()
    return alpha


class Counter:
    def __init__(self, monkeypatch):
        self.statements = []
        real = database.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.statements.append(sql)
            return real(sql, params, *args, **kwargs)

        monkeypatch.setattr(database.obj, "execute_sql", counting)

    def around(self, call):
        self.statements.clear()
        response = call()
        return response, list(self.statements)


def _compare(client, monkeypatch, url, set_size):
    counter = Counter(monkeypatch)
    set_size(3)
    small, small_sql = counter.around(lambda: client.get(url, headers=HX))
    set_size(30)
    large, large_sql = counter.around(lambda: client.get(url, headers=HX))
    assert small.status_code == large.status_code == 200
    assert "<html" not in large.get_data(as_text=True)
    small_rows = small.get_data(as_text=True).count(MARK)
    large_rows = large.get_data(as_text=True).count(MARK)
    assert large_rows >= small_rows + 20, (small_rows, large_rows)  # the page did grow
    assert large_sql and len(large_sql) == len(small_sql), "\n".join(large_sql)
    return large_sql


def test_dossier_search_runs_the_same_queries_for_any_page_size(client, bulk, monkeypatch):
    import stts.services.dossiers.search as service

    login(client, "stts3.alpha")
    sql = _compare(client, monkeypatch, f"/desk/dossiers?name={MARK.lower()}",
                   lambda n: monkeypatch.setattr(service, "PAGE_SIZE", n))
    assert len(sql) <= 12


def test_deep_state_page_runs_the_same_queries(client, bulk, monkeypatch):
    import stts.services.dossiers.search as service

    login(client, "stts3.alpha")
    counter = Counter(monkeypatch)
    monkeypatch.setattr(service, "PAGE_SIZE", 5)
    first, first_sql = counter.around(
        lambda: client.get("/desk/dossiers?state=ACTIVE&page=1", headers=HX))
    deep, deep_sql = counter.around(
        lambda: client.get("/desk/dossiers?state=ACTIVE&page=6", headers=HX))
    assert first.status_code == deep.status_code == 200
    assert "Page 6 of" in deep.get_data(as_text=True)
    assert len(deep_sql) == len(first_sql)


def test_task_inbox_runs_the_same_queries_for_any_page_size(client, bulk, monkeypatch):
    import stts.services.tasks as service

    login(client, "stts3.alpha")
    _compare(client, monkeypatch, "/desk/tasks",
             lambda n: monkeypatch.setattr(service, "PAGE_SIZE", n))


def test_user_search_runs_the_same_queries_for_any_page_size(client, bulk, monkeypatch):
    import stts.services.user_search as service

    login(client, "lm.alpha")
    _compare(client, monkeypatch, f"/console/users?last_name={MARK.lower()}",
             lambda n: monkeypatch.setattr(service.search_users, "__defaults__", (1, n)))


def test_review_queue_runs_the_same_queries_for_any_page_size(client, bulk, monkeypatch):
    import stts.services.review as service

    login(client, "handler.bipt")
    _compare(client, monkeypatch, "/backoffice/review",
             lambda n: monkeypatch.setattr(service, "PAGE_SIZE", n))


def test_name_search_keeps_the_denormalized_key_in_step(client, bulk):
    """The (company, last_name_key) copy on the dossier follows a renamed person (trigger)."""
    person = Beneficiary.get(Beneficiary.first_name == "P0")
    Beneficiary.update(last_name="Renamed", last_name_key="renamed").where(
        Beneficiary.id == person.id).execute()
    login(client, "stts3.alpha")
    page = client.get("/desk/dossiers?name=renam", headers=HX).get_data(as_text=True)
    assert "Renamed" in page
    dossier = Dossier.get(Dossier.beneficiary == person.id)
    assert dossier.last_name_key == "renamed"


def test_the_one_statement_duplicate_check_lists_exactly_the_live_states():
    from stts.models.dossiers import LIVE_STATES
    from stts.services.dossiers import lookup

    expected = "d.state IN (" + ", ".join(f"'{state}'" for state in LIVE_STATES) + ")"
    for text in (lookup._LIVE_OWNERS, lookup._LIVE_OWNERS_HOUSEHOLD):
        assert text.count("d.state IN (") == text.count(expected) >= 2


def test_name_and_first_name_search_reads_the_person(client, bulk):
    login(client, "stts3.alpha")
    page = client.get(f"/desk/dossiers?name={MARK.lower()}+p1", headers=HX)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" not in text
    # P1 and P10..P19: 11 people, every row one of them.
    import re

    assert sorted(re.findall(MARK + r", (P\d+)", text)) == sorted(
        ["P1"] + [f"P{n}" for n in range(10, 20)])


def test_long_lists_are_counted_only_up_to_a_limit(client, bulk, monkeypatch):
    """Counting stops at COUNT_LIMIT (or just past the page asked for): the cost of a page
    does not grow with the data. The summary then says "more than", the pager keeps a Next
    link, and a page past the end is still clamped to the last one."""
    import stts.pagination as pagination
    import stts.services.dossiers.search as service

    monkeypatch.setattr(pagination, "COUNT_LIMIT", 12)
    monkeypatch.setattr(service, "PAGE_SIZE", 5)
    login(client, "stts3.alpha")
    first = client.get(f"/desk/dossiers?state=ACTIVE&name={MARK.lower()}", headers=HX).get_data(as_text=True)
    assert "More than 12 dossiers" in first
    assert "Page 1<" in first and "Page 1 of" not in first
    assert 'rel="next"' in first
    # Page 5 (rows 21–25) counts up to 26 rows: still more than that.
    fifth = client.get(f"/desk/dossiers?state=ACTIVE&name={MARK.lower()}&page=5", headers=HX)
    assert "More than 25 dossiers" in fifth.get_data(as_text=True)
    assert fifth.get_data(as_text=True).count(MARK) >= 5
    # Page 8 (rows 36–40) counts up to 41 rows: there are 40, the count is exact again.
    last = client.get(f"/desk/dossiers?state=ACTIVE&name={MARK.lower()}&page=8", headers=HX)
    last_text = last.get_data(as_text=True)
    assert "40 dossiers" in last_text and "More than" not in last_text
    assert "Page 8 of 8" in last_text and 'rel="next"' not in last_text
    beyond = client.get(f"/desk/dossiers?state=ACTIVE&name={MARK.lower()}&page=999", headers=HX)
    assert "Page 8 of 8" in beyond.get_data(as_text=True)


def test_a_name_search_lists_by_name_then_newest_first(client):
    """The order of the name index (company, last_name_key, created_at DESC, id DESC): a
    page of a common name never sorts all its matches."""
    alpha = Company.get(Company.name == "Telco Alpha")
    people = [("Zorbach", "Old", 1), ("Zorbach", "New", 5), ("Zoran", "Middle", 3),
              ("Zoran", "Newest", 9)]
    for index, (last, first, day) in enumerate(people):
        person = Beneficiary.create(
            national_number=national_number(date(1932, 2, 1) + timedelta(days=index), 11),
            last_name=last, first_name=first, last_name_key=last.lower(),
            first_name_key=first.lower())
        Dossier.create(beneficiary=person, company=alpha.id, household_key=f"P:z{person.id}",
                       category="AGE65", state="ACTIVE", created_at=datetime(2026, 1, day),
                       updated_at=datetime(2026, 1, day))
    login(client, "stts3.alpha")
    page = client.get("/desk/dossiers?name=zor", headers=HX).get_data(as_text=True)
    shown = [name for name in ("Zoran, Newest", "Zoran, Middle", "Zorbach, New", "Zorbach, Old")
             if name in page]
    assert len(shown) == 4
    assert sorted(shown, key=page.index) == [
        "Zoran, Newest", "Zoran, Middle", "Zorbach, New", "Zorbach, Old"]
    export = client.get("/desk/dossiers.csv?name=zor").get_data(as_text=True)
    assert [line.split(",")[3] for line in export.splitlines()[1:]] == [
        "Newest", "Middle", "New", "Old"]


def test_user_search_does_the_same_work_for_any_page_size(app, client, bulk, monkeypatch):
    """The user search's page reads its rows as plain values through prepared statements and
    renders what every row shares once: the same statements (none of them built by Peewee
    for this request), the same User objects (the signed-in manager's) and the same calls of
    the templates' functions (url_for, gettext, show_value…) for 3 rows and for 30."""
    import stts.services.user_search as service

    login(client, "lm.alpha")
    built, made, calls = [], [], collections.Counter()
    real_execute = database.obj.execute
    monkeypatch.setattr(database.obj, "execute", lambda query, *args, **kwargs: (
        built.append(query), real_execute(query, *args, **kwargs))[1])
    real_init = User.__init__

    def counting_init(self, *args, **kwargs):
        made.append(type(self))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(User, "__init__", counting_init)

    def counted(name, function):
        @functools.wraps(function)  # keeps Jinja's pass_context mark
        def call(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return call

    for name, value in list(app.jinja_env.globals.items()):
        if type(value) in (types.FunctionType, types.MethodType):  # not current_user's proxy
            monkeypatch.setitem(app.jinja_env.globals, name, counted(name, value))
    url = f"/console/users?last_name={MARK.lower()}&complement="
    work = {}
    for size in (3, 30, 3):
        monkeypatch.setattr(service.search_users, "__defaults__", (1, size))
        built.clear(), made.clear(), calls.clear()
        page = client.get(url, headers=HX)
        assert page.status_code == 200
        assert page.get_data(as_text=True).count('id="user-row-') == min(size, ROWS)
        work[size] = (len(built), len(made), dict(calls))
    assert work[3] == work[30], work
    assert work[3][0] == 0, "a statement of the user search was built by Peewee"
    assert calls["url_for"] and calls["_"]  # the counting did see the templates


def test_a_long_user_list_is_counted_only_up_to_a_limit(client, bulk, monkeypatch):
    import stts.pagination as pagination

    monkeypatch.setattr(pagination, "COUNT_LIMIT", 12)
    login(client, "lm.alpha")
    found = client.get(f"/console/users?last_name={MARK.lower()}", headers=HX)
    assert "More than 20 users found." in found.get_data(as_text=True)  # past page 1
    others = client.get("/console/users?last_name=zzz&complement=y", headers=HX)
    assert "More than 20 users do not match." in others.get_data(as_text=True)
    third = client.get(f"/console/users?last_name={MARK.lower()}&page=2", headers=HX)
    assert f"{ROWS} users found." in third.get_data(as_text=True)


ROLES = ("lm.alpha", "stts1.alpha", "stts3.alpha", "agent.bipt", "handler.bipt",
         "auditor.bipt")


@pytest.mark.parametrize("username", ROLES)
def test_no_page_reads_the_same_thing_twice(app, make_client, monkeypatch, username):
    """Every page a role reaches by its links (full pages and htmx fragments): no SELECT
    runs twice with the same values in one request (the navigation's task count was
    counted twice on the desk home)."""
    from tests.web.rendered import _Links

    client = make_client()
    login(client, username)
    caught = []
    real = database.obj.execute_sql

    def catching(sql, params=None, *args, **kwargs):
        caught.append((sql, repr(params)))
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(database.obj, "execute_sql", catching)
    queue, seen, twice = ["/home"], {"/home"}, {}
    while queue and len(seen) < 60:
        path = queue.pop(0)
        caught.clear()
        response = client.get(path)
        reads = [entry for entry in caught if entry[0].lstrip().upper().startswith("SELECT")]
        repeated = {sql for sql, params in reads if reads.count((sql, params)) > 1}
        if repeated:
            twice[path] = sorted(repeated)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        links = _Links()
        links.feed(response.get_data(as_text=True))
        for href in links.links:
            if (href.startswith("/") and not href.startswith(("/static", "/logout", "/language"))
                    and not href.split("?")[0].endswith((".csv", ".xml", ".pdf", ".xsd"))
                    and href not in seen):
                seen.add(href)
                queue.append(href)
    assert len(seen) > 5
    assert not twice, twice
