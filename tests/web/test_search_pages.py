"""The dossier search's pages: walked by their links (keyset pages: the next page
follows the last row shown, the previous one precedes the first), they list exactly the rows
that the numbered pages list, for many random filter combinations, forwards and backwards,
with ties on the creation time; a cursor from another company, an unknown one or a stale one
changes nothing but the cost; the links work as full pages and as htmx partials."""
import random
import re
from datetime import date, datetime, timedelta
from html import unescape

import pytest

from stts.db import is_sqlite
from stts.identifiers import national_number
from stts.models import Beneficiary, Company, Dossier, User
from stts.pagination import COUNT_LIMIT
from stts.services.dossiers import search as search_module
from stts.services.dossiers.search import search_dossiers
from tests.conftest import HX, login

ROWS = 90
NAMES = ["Pagewalk", "Pagewise", "Pagoda", "Quire"]
FIRST = ["Ann", "Bert", "Sofie"]
STATES = ["ACTIVE", "ACTIVE", "REVIEW", "ENDED"]
CATEGORIES = ["AGE65", "HEARING_LOSS"]


@pytest.fixture
def many(app):
    """ROWS dossiers at Telco Alpha in few names, states and categories, created in bursts
    (several dossiers share one creation time: the order's tie-breaker is the id)."""
    alpha = Company.get(Company.name == "Telco Alpha")
    rng = random.Random(15)
    people = []
    for i in range(ROWS):
        last, first = rng.choice(NAMES), rng.choice(FIRST)
        people.append({"national_number": national_number(date(1933, 1, 1) + timedelta(days=i),
                                                          11),
                       "last_name": last, "first_name": first,
                       "last_name_key": last.lower(), "first_name_key": first.lower()})
    Beneficiary.insert_many(people).execute()
    persons = [b.id for b in Beneficiary.select(Beneficiary.id)
               .where(Beneficiary.last_name.in_(NAMES)).order_by(Beneficiary.id)]
    start = datetime(2024, 1, 1)
    Dossier.insert_many([{
        "beneficiary": person, "company": alpha.id, "household_key": f"P:kp{person}",
        "category": rng.choice(CATEGORIES), "state": rng.choice(STATES),
        "activation_date": date(2024, 1, 1) + timedelta(days=n % 50),
        "created_at": start + timedelta(hours=n // 3), "updated_at": start}
        for n, person in enumerate(persons)]).execute()
    return alpha


def _filters(rng):
    pool = {
        "name": lambda: rng.choice(["pag", "page", "q", "pagew s", "p a"]),
        "state": lambda: rng.choice(["ACTIVE", "REVIEW"]),
        "category": lambda: rng.choice(CATEGORIES),
        "created_from": lambda: date(2024, 1, 1) + timedelta(days=rng.randint(0, 3)),
        "activated_to": lambda: date(2024, 1, 1) + timedelta(days=rng.randint(20, 60)),
    }
    chosen = rng.sample(sorted(pool), rng.randint(0, 3))
    return {name: pool[name]() for name in chosen}


def _ids(page):
    return [row["id"] for row in page.rows]


def test_keyset_pages_list_what_numbered_pages_list(app, many):
    staff = User.get(User.username == "stts3.alpha")
    rng = random.Random(15)
    with app.test_request_context():
        for _ in range(30):
            filters = _filters(rng)
            first = search_dossiers(staff, filters, 1)
            numbered = [_ids(first)]
            for number in range(2, first.pages + 1):
                numbered.append(_ids(search_dossiers(staff, filters, number)))
            everything = [i for page in numbered for i in page]
            assert len(everything) == len(set(everything)) == first.total, filters
            # Forwards by the links' cursors, then backwards from the last page.
            page, walked = first, [_ids(first)]
            while page.has_next:
                page = search_dossiers(staff, filters, page.page + 1, ("after", page.last_key))
                assert page.more is not None, "a keyset page"
                walked.append(_ids(page))
            assert walked == numbered, filters
            back = [_ids(page)]
            while page.page > 1:
                page = search_dossiers(staff, filters, page.page - 1, ("before", page.first_key))
                back.append(_ids(page))
            assert back[::-1] == numbered, filters


def test_a_foreign_unknown_or_stale_cursor_changes_nothing_but_the_cost(app, many):
    staff = User.get(User.username == "stts3.alpha")
    foreign = Dossier.select(Dossier.id).where(Dossier.company != many.id).scalar()
    filters = {"name": "pag"}
    with app.test_request_context():
        second = _ids(search_dossiers(staff, filters, 2))
        assert second
        for cursor in (("after", foreign), ("before", foreign), ("after", 2**62)):
            page = search_dossiers(staff, filters, 2, cursor)
            assert _ids(page) == second and page.more is None, cursor
        # A bookmarked link whose page number no longer exists: the last page, by number.
        last = search_dossiers(staff, filters, 10_000)
        first_row = search_dossiers(staff, filters, 1).rows[0]["id"]
        assert _ids(search_dossiers(staff, filters, 10_000, ("after", first_row))) == _ids(last)


def test_a_long_list_is_counted_to_its_limit_on_a_keyset_page(app, many, monkeypatch):
    monkeypatch.setattr("stts.pagination.COUNT_LIMIT", 40)
    staff = User.get(User.username == "stts3.alpha")
    with app.test_request_context():
        first = search_dossiers(staff, {}, 1)
        assert not first.exact and first.total == 40
        page = search_dossiers(staff, {}, 2, ("after", first.last_key))
        assert not page.exact and page.total == 40 and page.has_next
    assert COUNT_LIMIT >= 1000


def _links(html):
    return {rel: unescape(href) for href, rel in
            re.findall(r'<a href="([^"]+)" rel="(next|prev)"', html)}


@pytest.mark.parametrize("headers", [{}, HX], ids=["full page", "htmx"])
def test_the_pager_links_carry_the_cursor_and_work(client, many, headers):
    login(client, "stts3.alpha")
    response = client.get("/desk/dossiers?name=pag", headers=headers)
    following = _links(response.get_data(as_text=True))["next"]
    assert "page=2" in following and "after=" in following
    second = client.get(following, headers=headers)
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert ("<html" in html) == (not headers)
    links = _links(html)
    assert "before=" not in links["prev"], "page 1 is the plain search"
    third = client.get(links["next"], headers=headers).get_data(as_text=True)
    back = _links(third)["prev"]
    assert "page=2" in back and "before=" in back
    again = client.get(back, headers=headers).get_data(as_text=True)
    assert re.findall(r'/desk/dossiers/(\d+)"', again) == re.findall(r'/desk/dossiers/(\d+)"',
                                                                     html)
    # The export link drops the pager's arguments.
    assert "after=" not in re.search(r'href="([^"]*dossiers\.csv[^"]*)"', html).group(1)


def test_the_search_walks_the_index_its_filters_choose():
    choose = search_module.search_index
    assert choose(("company", "national_number", "last_name_like", "state")) is None
    assert choose(("company", "phone_number", "state")) == "dossier_company_id_phone_number"
    assert choose(("company", "last_name_like", "state")) == "dossier_search_name"
    assert choose(("category", "company", "state")) == "dossier_search_state"
    assert choose(("activated_from", "category", "company")) == "dossier_search_date"


def test_the_first_name_copy_follows_the_person(app, many):
    """Migration 0020's triggers: the dossier's copy of the folded first name is filled on
    insert and follows a renamed person, so the two-word name search stays right."""
    dossier = Dossier.select().where(Dossier.company == many.id,
                                     Dossier.household_key.startswith("P:kp")).first()
    person = Beneficiary.get_by_id(dossier.beneficiary_id)
    assert Dossier.get_by_id(dossier.id).first_name_key == person.first_name_key
    Beneficiary.update(first_name="Zoë", first_name_key="zoe").where(
        Beneficiary.id == person.id).execute()
    assert Dossier.get_by_id(dossier.id).first_name_key == "zoe"
    staff = User.get(User.username == "stts3.alpha")
    with app.test_request_context():
        found = search_dossiers(staff, {"name": f"{person.last_name_key} zo"})
    assert dossier.id in _ids(found)


def test_a_first_page_that_is_not_full_is_not_counted(app, many, monkeypatch):
    """SQLite: a search with few matches walks its index once, the short first page is the
    list. PostgreSQL (a generic plan cannot know the matches are few): the count first, then
    the few matches read and sorted; a search that matches nothing is the count alone."""
    from stts.db import database, is_sqlite

    staff = User.get(User.username == "stts3.alpha")
    seen = []
    real = database.obj.execute_sql

    def catching(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return real(sql, params, *args, **kwargs)

    with app.test_request_context():
        search_dossiers(staff, {"name": "q"})  # prepares the statements
        monkeypatch.setattr(database.obj, "execute_sql", catching)
        few = search_dossiers(staff, {"name": "quire a", "state": "REVIEW"})
        assert few.exact and few.total == len(few.rows) < 25
        if is_sqlite():
            assert len(seen) == 1 and "COUNT" not in seen[0].upper()
        else:
            assert len(seen) == 2 and "COUNT" in seen[0].upper() and "COUNT" not in seen[1]
            seen.clear()
            none = search_dossiers(staff, {"name": "quire a", "state": "CLOSED"})
            assert none.rows == [] and none.total == 0
            assert len(seen) == 1 and "COUNT" in seen[0].upper()
        seen.clear()
        full = search_dossiers(staff, {})
        assert len(full.rows) == 25 and len(seen) == 2


@pytest.mark.parametrize("narrow_limit", [0, 10, 40, 10_000])
def test_a_narrow_index_lists_what_the_walk_in_order_lists(app, many, monkeypatch,
                                                           narrow_limit):
    """Whichever index a search reads (the covering index in the list's order, or the index
    of a filter with few matches, then sorted), the pages list the same rows in the same
    order, by number and by their links."""
    staff = User.get(User.username == "stts3.alpha")
    rng = random.Random(21)
    chosen = set()
    with app.test_request_context():
        for _ in range(40):
            filters = _filters(rng)
            if rng.random() < 0.5:
                filters["activated_from"] = date(2024, 1, 1) + timedelta(days=rng.randint(0, 30))
            monkeypatch.setattr(search_module, "NARROW_LIMIT", 0)
            expected = _all_pages(staff, filters)
            monkeypatch.setattr(search_module, "NARROW_LIMIT", narrow_limit)
            values = search_module._search_values(staff, filters)
            chosen.add(search_module.narrow_index(values, tuple(sorted(values))))
            assert _all_pages(staff, filters) == expected, filters
            assert _linked_pages(staff, filters) == expected, filters
    if narrow_limit == 10_000 and is_sqlite():
        assert {"dossier_narrow_category", "dossier_narrow_activation"} <= chosen
    if narrow_limit == 0 or not is_sqlite():  # PostgreSQL's planner makes the choice
        assert chosen == {None}


def _all_pages(staff, filters):
    first = search_dossiers(staff, filters, 1)
    return [_ids(first)] + [_ids(search_dossiers(staff, filters, number))
                            for number in range(2, first.pages + 1)]


def _linked_pages(staff, filters):
    page = search_dossiers(staff, filters, 1)
    pages = [_ids(page)]
    while page.has_next:
        page = search_dossiers(staff, filters, page.page + 1, ("after", page.last_key))
        pages.append(_ids(page))
    return pages


def test_every_result_links_to_its_dossier(client, many):
    login(client, "stts3.alpha")
    page = client.get("/desk/dossiers?state=ACTIVE", headers=HX).get_data(as_text=True)
    rows = re.findall(r'<a href="(/desk/dossiers/(\d+))">(\d+)</a>', page)
    assert len(rows) == 25
    for href, linked, shown in rows[:5]:
        assert linked == shown
        assert client.get(href).status_code == 200
