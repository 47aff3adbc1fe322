"""Hypothesis over every form and query endpoint: whatever is typed, never a 500.

The forms are discovered from the pages themselves, so new screens are fuzzed without
being listed here.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login

pytestmark = pytest.mark.fuzz

ROLES = ("lm.alpha", "stts3.alpha", "stts1.beta", "agent.bipt", "handler.bipt", "auditor.bipt",
         None)
SKIP_FORMS = {"/logout"}  # ends the session the fuzzer needs

hostile = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "1e308", "NaN", "null",
                     "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\x00", "../../etc/passwd",
                     "85073003328", "0403019261", "+32470123456", "2026-02-30", "a" * 5000,
                     "=cmd|' /C calc'!A0", "{{7*7}}", "on", "true", "STTS1", "STTS_WEB"]),
    # ids: the database's bound and what str.isdigit() accepts but int() does not
    st.sampled_from([str(2**63 - 1), str(2**63), str(2**64), "9" * 19, "²", "١٢", "１２",
                     "-9223372036854775809", "0"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "",
                               "method": (attrs.get("method") or "get").lower(), "fields": set()})
        elif tag in ("input", "select", "textarea", "button") and self.forms and attrs.get("name"):
            if attrs.get("name") != "csrf_token":
                self.forms[-1]["fields"].add(attrs["name"])
        elif tag == "a" and (attrs.get("href") or "").startswith("/") and "static" not in attrs["href"]:
            self.links.add(attrs["href"].split("#")[0])


def _shape(path: str) -> str:
    """/desk/tasks/12/process and /desk/tasks/3/process have the same shape."""
    return re.sub(r"\d+", "N", path.split("?")[0])


def discover(client, start_paths):
    """Crawl from the start pages (three levels, one page per URL shape) and return one form
    per action shape."""
    seen, forms, shapes = set(), {}, set()
    frontier = list(start_paths)
    for _depth in range(3):
        next_frontier = []
        for path in frontier:
            if path in seen or _shape(path) in shapes or any(
                    word in path for word in ("logout", ".csv", "export", "download", "gazette")):
                continue
            seen.add(path)
            shapes.add(_shape(path))
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            parser = FormParser()
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                action = form["action"] or path.split("?")[0]
                if action in SKIP_FORMS or not action.startswith("/"):
                    continue
                if any(_shape(action) == _shape(known) for _, known in forms) and (
                        form["method"], action) not in forms:
                    continue
                key = (form["method"], action)
                forms.setdefault(key, set()).update(form["fields"])
            next_frontier.extend(sorted(parser.links))
        frontier = next_frontier
    return forms


@pytest.mark.parametrize("role", ROLES)
def test_no_form_or_query_gives_a_server_error(client, role):
    if role:
        login(client, role)
    start = ["/", "/login", "/home", "/desk/", "/console/", "/backoffice/", "/account/password",
             "/desk/dossiers?state=ACTIVE", "/console/users", "/backoffice/review",
             "/backoffice/access-requests", "/access-request/category"]
    forms = discover(client, start)
    assert forms, "the crawler found no form at all"
    print(f"\n{role}: fuzzing {len(forms)} forms: {sorted(action for _, action in forms)}")

    @settings(max_examples=12, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(data=st.data())
    def fuzz(data):
        for (method, action), fields in sorted(forms.items()):
            values = {name: data.draw(hostile) for name in sorted(fields)}
            headers = {"HX-Request": "true"} if data.draw(st.booleans()) else {}
            if method == "post":
                response = client.post(action, data=values, headers=headers)
            else:
                response = client.get(action, query_string=values, headers=headers)
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (method, action, values, response.status_code)
            assert "Traceback" not in body
            assert not re.search(r"<script>alert\(1\)</script>", body), (action, "unescaped")
        # The session must survive: no input may log the user out.
        if role:
            assert client.get("/home").status_code == 200

    fuzz()
