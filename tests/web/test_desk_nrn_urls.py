"""Checklist 32: a national register number never travels in a URL. The desk's lookup and
its search by number are POSTs; a search by number adds nothing to the browser's history;
every address the desk's pages offer (links, htmx requests, pushed addresses, GET forms,
redirects) is crawled and none holds a national number in any written form."""
from __future__ import annotations

import html
import re
from urllib.parse import unquote_plus, urljoin, urlsplit

import pytest

from stts.demo_dossiers import DEMO
from stts.identifiers import NATIONAL_NUMBER_PATTERN, InvalidIdentifier, clean_national_number
from tests.conftest import HX, login

URL_ATTRIBUTES = re.compile(
    r'\b(href|src|hx-get|hx-push-url|hx-replace-url|hx-post|action|formaction)="([^"]*)"')
GET_FORM = re.compile(r"<form\b(?![^>]*method=\"post\")[^>]*>", re.I)
URL_HEADERS = ("Location", "HX-Push-Url", "HX-Replace-Url", "HX-Redirect", "HX-Location")


def national_numbers_in(url: str) -> list[str]:
    """Every valid national number written in ``url`` (any form the parser accepts)."""
    found = []
    for text in (url, unquote_plus(url)):
        for match in NATIONAL_NUMBER_PATTERN.finditer(text):
            try:
                found.append(clean_national_number(re.sub(r"%[0-9A-Fa-f]{2}", " ",
                                                          match.group(0))))
            except InvalidIdentifier:
                pass
    return found


def addresses(response) -> list[tuple[str, str]]:
    """(where, address) of every URL a response offers or sends the browser to."""
    body = response.get_data(as_text=True)
    found = [(name, html.unescape(value)) for name, value in URL_ATTRIBUTES.findall(body)]
    for form in GET_FORM.findall(body):  # a GET form puts its fields in the address
        if "hx-post" not in form:
            found.append(("GET form", form))
    found += [(name, response.headers[name]) for name in URL_HEADERS if name in response.headers]
    return found


def crawl(client, starts: list[str], prefix: str, limit: int) -> list[tuple[str, object]]:
    """(url, response) of every page under ``prefix`` reached by links from ``starts``, as
    a page and as an htmx fragment."""
    responses, seen, queue = [], set(), list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            responses.append((url, response))
        for _where, link in addresses(response):
            target = urlsplit(urljoin(url, link))
            if target.path.startswith(prefix) and not target.path.endswith(".csv"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return responses


def assert_no_number(response, label):
    for where, url in addresses(response):
        assert not national_numbers_in(url), (label, where, url)


def test_the_pattern_check_finds_numbers_in_urls():
    number = DEMO["eligible"]
    assert national_numbers_in(f"/desk/dossiers?national_number={number}") == [number] * 2
    spaced = f"{number[:2]}.{number[2:4]}.{number[4:6]} - {number[6:9]}.{number[9:]}"
    assert number in national_numbers_in("/x?q=" + spaced.replace(" ", "+"))
    assert not national_numbers_in("/desk/dossiers/123?page=2")


@pytest.mark.parametrize("username", ["stts3.alpha", "stts1.alpha", "lm.alpha"])
def test_no_desk_address_holds_a_national_number(client, username):
    """Crawl every desk page a user reaches (GET links, their htmx fragments) and every answer
    the desk's POSTs give with a number (lookup for every kind of person, search by number,
    request and transfer sent back with errors)."""
    login(client, username)
    responses = []
    for key, number in DEMO.items():
        for headers in ({}, HX):
            responses.append((f"lookup {key}", client.post("/desk/lookup", headers=headers,
                                                           data={"national_number": number})))
            responses.append((f"search {key}", client.post("/desk/dossiers", headers=headers,
                                                           data={"national_number": number})))
            responses.append((f"request {key}", client.post("/desk/request", headers=headers,
                                                            data={"national_number": number})))
            responses.append((f"transfer {key}", client.post(
                "/desk/transfer", headers=headers, data={"national_number": number})))
            responses.append((f"use transfer {key}", client.post(
                "/desk/transfer", headers=headers, data={"national_number": number, "start": "1"})))
    # The GET side: every desk page reached by links, and its fragment.
    pages = crawl(client, ["/desk/", "/desk/dossiers", "/desk/request", "/desk/transfer",
                           "/desk/tasks"], "/desk/", limit=120)
    assert len({url for url, _response in pages}) > 10
    responses += pages
    for label, response in responses:
        assert response.status_code < 500, label
        assert_no_number(response, label)


def test_the_lookup_is_a_post_only(client):
    login(client, "stts3.alpha")
    assert client.get(f"/desk/lookup?national_number={DEMO['eligible']}").status_code == 405
    body = client.get("/desk/request").get_data(as_text=True)
    assert 'hx-post="/desk/lookup"' in body and "hx-get" not in body
    # The request form's one-time token is not spent by the lookup (it posts inside it).
    assert 'hx-params="not _once"' in body


def test_a_search_by_number_is_posted_and_never_pushed_to_the_history(client):
    login(client, "stts3.alpha")
    page = client.get("/desk/dossiers?state=ACTIVE").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/desk/dossiers"', page)
    assert 'name="csrf_token"' in page and 'hx-push-url' not in page.split("<form")[1].split(">")[0]
    number = DEMO["active_alpha"]
    # htmx: the answer replaces the address with the other criteria only, pushes nothing.
    answer = client.post("/desk/dossiers", headers=HX,
                         data={"national_number": number, "state": "ACTIVE"})
    assert answer.status_code == 200 and "1 dossier" in answer.get_data(as_text=True)
    assert "HX-Push-Url" not in answer.headers
    assert answer.headers["HX-Replace-Url"] == "/desk/dossiers?state=ACTIVE"
    # Without JavaScript: the answer itself (reloading it asks the browser to send again).
    plain = client.post("/desk/dossiers", data={"national_number": number})
    assert plain.status_code == 200 and "1 dossier" in plain.get_data(as_text=True)
    assert f'value="{number}"' in plain.get_data(as_text=True)  # what was typed stays


def test_other_searches_stay_bookmarkable(client):
    login(client, "stts3.alpha")
    pushed = client.post("/desk/dossiers", headers=HX, data={"state": "ACTIVE", "name": "a"})
    assert pushed.headers["HX-Push-Url"] == "/desk/dossiers?name=a&state=ACTIVE"
    redirected = client.post("/desk/dossiers", data={"state": "ACTIVE", "name": "a"})
    assert redirected.status_code == 303
    assert redirected.headers["Location"] == "/desk/dossiers?name=a&state=ACTIVE"
    assert client.get(redirected.headers["Location"]).status_code == 200


def test_a_number_in_a_query_string_is_ignored(client):
    """An old bookmark with a number: the number is not used (nor shown back)."""
    login(client, "stts3.alpha")
    number = DEMO["active_alpha"]
    body = client.get(f"/desk/dossiers?national_number={number}").get_data(as_text=True)
    assert f'value="{number}"' not in body
    assert "1 dossier<" not in body.replace(" ", "")  # the unfiltered list, not the person's


def test_use_transfer_posts_the_number_and_opens_the_transfer_form(client):
    login(client, "stts3.gamma")
    number = DEMO["active_alpha"]
    answer = client.post("/desk/lookup", headers=HX, data={"national_number": number})
    body = answer.get_data(as_text=True)
    assert re.search(r'<form id="use-transfer" method="post" action="/desk/transfer" '
                     r'hx-swap-oob="true">', body)
    assert 'form="use-transfer"' in body
    transfer = client.post("/desk/transfer", data={"national_number": number, "start": "1"})
    assert transfer.status_code == 200
    assert f'value="{number}"' in transfer.get_data(as_text=True)
    assert "error" not in transfer.get_data(as_text=True).split("<main")[1].split("</main>")[0] \
        .lower().replace("errors_summary", "")
