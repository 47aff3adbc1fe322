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

def test_lookup_prefills_the_category_out_of_band_when_none_is_chosen(client):
    login(client, "stts1.alpha")
    response = client.get("/desk/lookup", headers=HX,
                          query_string={"national_number": DEMO["eligible"], "category": ""})
    body = response.get_data(as_text=True)
    assert re.search(r'id="category-field" hx-swap-oob="true"', body)
    assert re.search(r'<option selected value="LARYNGECTOMY">', body)


def test_lookup_never_overrides_a_category_the_user_chose(client):
    login(client, "stts1.alpha")
    response = client.get("/desk/lookup", headers=HX,
                          query_string={"national_number": DEMO["eligible"], "category": "AGE65"})
    assert "hx-swap-oob" not in response.get_data(as_text=True)


def test_lookup_full_page_has_the_category_field_once(client):
    login(client, "stts1.alpha")
    body = client.get("/desk/lookup",
                      query_string={"national_number": DEMO["eligible"]}).get_data(as_text=True)
    assert body.count('id="category-field"') == 1
    assert '<option selected value="LARYNGECTOMY">' in body


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_refused_request_keeps_the_lookup_banner_and_the_known_category(client, headers):
    login(client, "stts1.alpha")
    response = client.post("/desk/request", headers=headers, data={
        "national_number": DEMO["eligible"], "category": "", "phone_number": "not a phone"})
    assert response.status_code == 422
    page = text_of(response)
    assert "Known to the eligibility source" in page
    assert '<option selected value="LARYNGECTOMY">' in page


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
