"""Deny by default: every endpoint is public by an explicit list or guarded by the table."""
import re

import pytest

from stts.models import User
from stts.rights import PERMISSIONS, allowed
from tests.conftest import login

PUBLIC = {"static"}


def test_every_endpoint_is_public_or_guarded(app):
    unguarded = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        access = getattr(view, "stts_access", None)
        if rule.endpoint in PUBLIC:
            continue
        if access is None:
            unguarded.append(rule.endpoint)
        elif access != "public":
            assert access in PERMISSIONS, f"{rule.endpoint} uses unknown action {access}"
    assert not unguarded, f"endpoints with neither @public nor @requires: {unguarded}"


def _sample_url(rule):
    values = {arg: 1 for arg in rule.arguments}
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % arg, "1", url)
    return url, values


def test_guarded_endpoints_refuse_anonymous_users(app, client):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "stts_access", "public") == "public" or rule.endpoint in PUBLIC:
            continue
        url, _ = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (401, 404, 405), (rule.endpoint, method,
                                                                response.status_code)
            if response.status_code != 404:
                assert response.status_code == 401, (rule.endpoint, method)


@pytest.mark.parametrize("username,action,expected", [
    ("stts1.alpha", "desk.request", True),
    ("stts1.alpha", "desk.cease", False),
    ("stts1.alpha", "desk.cancel_action", False),
    ("stts1.alpha", "desk.tasks", False),
    ("stts2.alpha", "desk.cease", True),
    ("stts2.alpha", "desk.cancel_action", False),
    ("stts2.alpha", "desk.tasks", False),
    ("stts3.alpha", "desk.cancel_action", True),
    ("stts3.alpha", "desk.tasks", True),
    ("stts3.alpha", "console.users", False),
    ("lm.alpha", "console.users", True),
    ("lm.alpha", "desk.tasks", True),      # the local manager has STTS 3 rights
    ("lm.alpha", "desk.cancel_action", True),
    ("lm.alpha", "backoffice.home", False),
    ("agent.bipt", "backoffice.access_requests", True),
    ("agent.bipt", "backoffice.review", False),
    ("agent.bipt", "desk.search", False),
    ("handler.bipt", "backoffice.review", True),
    ("handler.bipt", "console.users", False),
    ("auditor.bipt", "backoffice.audit", True),
])
def test_permission_table(app, username, action, expected):
    user = User.get(User.username == username)
    assert allowed(user, action) is expected


def test_profile_without_web_application_gives_no_desk(app):
    from stts.models import UserApplication

    user = User.get(User.username == "stts3.alpha")
    UserApplication.delete().where(UserApplication.user == user).execute()
    assert not allowed(User.get_by_id(user.id), "desk.search")


@pytest.mark.parametrize("username,path,status", [
    ("stts1.alpha", "/desk/", 200),
    ("stts1.alpha", "/console/", 403),
    ("stts1.alpha", "/backoffice/", 403),
    ("lm.alpha", "/console/", 200),
    ("agent.bipt", "/backoffice/", 200),
    ("agent.bipt", "/desk/", 403),
])
def test_faces_by_role(client, username, path, status):
    login(client, username)
    assert client.get(path).status_code == status


def test_desk_home_shows_only_what_the_profile_allows(client):
    login(client, "stts1.alpha")
    page = client.get("/desk/").get_data(as_text=True)
    assert "Request a social tariff" in page
    assert "Cease a reduction" not in page
    assert "Cancel an action" not in page
