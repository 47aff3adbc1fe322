"""Every link a list offers keeps the list's filters: its pages, its CSV export, its sorting.
A link that drops them shows or exports other rows than the ones on screen."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import HX, login

LISTS = [
    # (user, list URL with filters, the filters each link must keep)
    ("stts3.alpha", "/desk/dossiers?state=ACTIVE&category=AGE65", {"state": ["ACTIVE"],
                                                                  "category": ["AGE65"]}),
    ("stts3.alpha", "/desk/tasks?type=ENTER_MISSING_DATA", {"type": ["ENTER_MISSING_DATA"]}),
    ("lm.alpha", "/console/users?last_name=u&blocked=no", {"last_name": ["u"],
                                                           "blocked": ["no"]}),
    ("handler.bipt", "/backoffice/review?category=AGE65", {"category": ["AGE65"]}),
]
LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"[^>]*\b(?:rel="(?:next|prev)"|download)')


def _list_links(page: str) -> list[str]:
    return [html.unescape(href) for href in LINK.findall(page)]


@pytest.mark.parametrize(("username", "url", "kept"), LISTS)
def test_pages_and_exports_keep_the_filters(client, username, url, kept, monkeypatch):
    import stts.pagination as pagination
    import stts.services.dossiers.search as dossier_search
    import stts.services.review as review
    import stts.services.tasks as tasks
    import stts.services.user_search as user_search

    for module in (dossier_search, review, tasks, user_search):
        if hasattr(module, "PAGE_SIZE"):
            monkeypatch.setattr(module, "PAGE_SIZE", 1)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 1000)
    login(client, username)
    for headers in ({}, HX):
        page = client.get(url, headers=headers)
        assert page.status_code == 200
        links = _list_links(page.get_data(as_text=True))
        assert links, f"{url}: no page or export link to check"
        for link in links:
            query = parse_qs(urlsplit(link).query)
            for name, values in kept.items():
                assert query.get(name) == values, f"{url}: {link} dropped {name}"
            assert client.get(link).status_code == 200
