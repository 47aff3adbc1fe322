"""Checklist 32 in the local-manager console: the user search by national register number is
a POST, adds nothing to the browser's history, and no address the console offers (links,
htmx requests, pushed addresses, GET forms, redirects) holds a national number."""
from __future__ import annotations

import re

import pytest

from stts.models import User
from tests.conftest import HX, login
from tests.web.test_desk_nrn_urls import assert_no_number, crawl


def rows(response):
    return [int(i) for i in re.findall(r'id="user-row-(\d+)"', response.get_data(as_text=True))]


def written_forms(number: str) -> list[str]:
    return [number, f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}",
            f"{number[:2]} {number[2:4]} {number[4:6]} {number[6:9]} {number[9:]}"]


@pytest.fixture
def manager(client):
    login(client, "lm.alpha")
    return client


def test_the_search_form_posts_with_its_csrf_token(manager):
    body = manager.get("/console/users").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="user-search"[^>]*>', body).group(0)
    assert 'method="post"' in form and 'hx-post="/console/users"' in form
    assert "hx-push-url" not in form and "hx-get" not in form
    assert 'name="csrf_token"' in body.split('id="user-search"')[1].split("</form>")[0]


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_a_search_by_number_finds_the_user_and_never_reaches_the_address(manager, headers):
    user = User.get(User.username == "stts2.alpha")
    for written in written_forms(user.national_number):
        answer = manager.post("/console/users", headers=headers,
                              data={"national_number": written, "sort": "username"})
        assert answer.status_code == 200
        assert rows(answer) == [user.id]
        assert_no_number(answer, written)
        if headers:
            assert "HX-Push-Url" not in answer.headers
            assert answer.headers["HX-Replace-Url"] == "/console/users?sort=username"
        else:  # without JavaScript: the answer itself, with what was typed kept
            body = answer.get_data(as_text=True)
            assert f'value="{written}"' in body or f'value="{user.national_number}"' in body


def test_the_complement_by_number_lists_the_others_without_carrying_the_number(manager):
    user = User.get(User.username == "stts2.alpha")
    answer = manager.post("/console/users", headers=HX,
                          data={"national_number": user.national_number, "complement": "y"})
    assert user.id not in rows(answer) and rows(answer)
    assert_no_number(answer, "complement")


def test_other_searches_stay_bookmarkable(manager):
    pushed = manager.post("/console/users", headers=HX, data={"last_name": "v", "sort": "name"})
    assert pushed.headers["HX-Push-Url"] == "/console/users?last_name=v&sort=name"
    redirected = manager.post("/console/users", data={"last_name": "v"})
    assert redirected.status_code == 303
    assert redirected.headers["Location"] == "/console/users?last_name=v"
    assert manager.get(redirected.headers["Location"]).status_code == 200


def test_a_number_in_a_query_string_is_neither_used_nor_carried_on(manager):
    user = User.get(User.username == "stts2.alpha")
    response = manager.get(f"/console/users?national_number={user.national_number}&sort=name")
    assert len(rows(response)) > 1  # the unfiltered list, not the person
    assert f'value="{user.national_number}"' not in response.get_data(as_text=True)
    assert_no_number(response, "query string")  # sort, page and CSV links drop it


def test_no_console_address_holds_a_national_number(manager):
    """Crawl every console page the manager reaches (links and their htmx fragments), and
    the answers of searches by every user's number, plain and htmx."""
    responses = []
    for user in User.select().where(User.company == User.get(User.username == "lm.alpha").company):
        for headers in ({}, HX):
            for complement in ("", "y"):
                responses.append((f"search {user.username}", manager.post(
                    "/console/users", headers=headers,
                    data={"national_number": user.national_number, "complement": complement})))
    pages = crawl(manager, ["/console/", "/console/users", "/console/activity", "/console/xml"],
                  "/console/", limit=80)
    assert len({url for url, _response in pages}) > 8
    responses += pages
    for label, response in responses:
        assert response.status_code < 500, label
        assert_no_number(response, label)
