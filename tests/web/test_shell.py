"""Headers, errors, CSRF and the htmx page/fragment rule."""
import base64
import glob
import hashlib
import os
import re

import pytest
from flask import Blueprint

from stts.app import create_app
from stts.assets import HTMX_FILE, HTMX_INTEGRITY, HTMX_VERSION
from stts.db import database
from stts.permissions import public
from tests.conftest import HX, CSRFClient, login, text_of

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Strict-Transport-Security": "max-age=",
}


@pytest.fixture
def boom_client(app):
    """A client of an application of its own with one more route that fails: the shared
    test application may not gain routes once it has served requests."""
    bp = Blueprint("boom", __name__)

    @bp.route("/__boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail /etc/passwd")

    config = {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "AUDIT_HMAC_KEY",
                                               "AUDIT_CHAIN_KEY", "SESSION_COOKIE_SECURE",
                                               "SQLITE_PATH",
                                               "DATABASE_URL") if app.config.get(key)}
    boom_app = create_app({**config, "PROPAGATE_EXCEPTIONS": False})
    boom_app.register_blueprint(bp)
    boom_app.test_client_class = CSRFClient
    yield boom_app.test_client()
    database.initialize(app.extensions["stts_database"])


def _assert_headers(response):
    for name, fragment in SECURITY_HEADERS.items():
        assert fragment in response.headers.get(name, ""), (name, response.status_code)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "form-action 'self'"):
        assert directive in csp


def test_headers_on_pages_fragments_and_errors(boom_client):
    client = boom_client
    login(client, "stts1.alpha")
    for response in (
        client.get("/home"),
        client.get("/home", headers=HX),
        client.get("/no-such-page"),
        client.get("/no-such-page", headers=HX),
        client.get("/console/"),
        client.get("/__boom"),
        client.get("/static/css/app.css"),
    ):
        _assert_headers(response)
    assert client.get("/home").headers["Cache-Control"] == "no-store"
    vary = client.get("/home").headers["Vary"]
    for name in ("HX-Request", "HX-Boosted", "HX-History-Restore-Request"):
        assert name in vary


def test_500_is_generic_with_incident_and_no_traceback(boom_client):
    client = boom_client
    for headers in ({}, HX):
        response = client.get("/__boom", headers=headers)
        body = text_of(response)
        assert response.status_code == 500
        assert "Traceback" not in body and "secret internal detail" not in body
        assert re.search(r"incident [0-9A-F]{8}", body)
    assert "<html" not in client.get("/__boom", headers=HX).get_data(as_text=True)


def test_404_and_403_pages_and_fragments(client):
    page = client.get("/nowhere")
    assert page.status_code == 404 and "<html" in text_of(page) and "incident" in text_of(page)
    fragment = client.get("/nowhere", headers=HX)
    assert fragment.status_code == 404 and "<html" not in text_of(fragment)
    login(client, "stts1.alpha")
    forbidden = client.get("/console/")
    assert forbidden.status_code == 403 and "Access denied" in text_of(forbidden)


def test_errors_are_translated(client):
    client.set_cookie("stts_lang", "nl")
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert '<html lang="nl">' in text_of(response)
    assert "Not found" not in text_of(response)


def test_413_for_oversize_bodies(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "larger than allowed" in text_of(response) or "incident" in text_of(response)


def test_post_without_csrf_token_is_refused(client):
    client.send_csrf = False
    response = client.post("/login", data={"username": "stts1.alpha", "password": "x" * 20})
    assert response.status_code == 400
    assert "Nothing was saved" in text_of(response)


def test_csrf_header_is_accepted_for_htmx(client):
    response = client.post("/login", data={"username": "stts1.alpha", "password": "x" * 20},
                           headers=HX)
    assert response.status_code == 422
    assert "<html" not in text_of(response)


def test_body_carries_the_csrf_header_for_htmx(client):
    page = text_of(client.get("/login"))
    assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'", page)


@pytest.mark.parametrize("headers,fragment", [
    ({}, False),
    ({"HX-Request": "true"}, True),
    ({"HX-Request": "true", "HX-Boosted": "true"}, False),
    ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
])
def test_page_or_fragment(client, headers, fragment):
    response = client.get("/login", headers=headers)
    assert ("<html" in text_of(response)) is not fragment
    assert 'id="login-form"' in text_of(response)


def test_the_committed_htmx_is_the_pinned_release():
    """The vendored file is the release its name and the page's integrity hash say, with
    its licence beside it (a changed file would also be refused by the browser)."""
    path = os.path.join("stts", "static", HTMX_FILE)
    with open(path, "rb") as handle:
        content = handle.read()
    digest = "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()
    assert digest == HTMX_INTEGRITY
    assert HTMX_VERSION.startswith("2.0.") and f'version:"{HTMX_VERSION}"' in content.decode()
    assert os.path.exists(os.path.join("stts", "static", "vendor", "htmx.LICENSE"))


def test_htmx_is_vendored_and_configured(client):
    page = text_of(client.get("/login"))
    assert f"/static/{HTMX_FILE}" in page and f'integrity="{HTMX_INTEGRITY}"' in page
    assert client.get(f"/static/{HTMX_FILE}").status_code == 200
    assert '"historyCacheSize":0' in page and '"allowEval":false' in page
    assert '"code":"422","swap":true' in page and '"code":"409","swap":true' in page


TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "stts", "templates")


def test_templates_have_no_inline_script_style_or_handlers():
    offenders = []
    for path in glob.glob(os.path.join(TEMPLATE_DIR, "**", "*.html"), recursive=True):
        text = open(path, encoding="utf-8").read()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append((path, "inline script"))
        if re.search(r"<style\b", text) or re.search(r"\sstyle\s*=", text):
            offenders.append((path, "inline style"))
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append((path, "event handler attribute"))
        if re.search(r"\|\s*safe\b", text):
            offenders.append((path, "|safe"))
        if re.search(r"hx-on", text):
            offenders.append((path, "hx-on"))
    assert not offenders, offenders


def test_nul_characters_are_refused_before_any_view(client):
    # PostgreSQL cannot store NUL in text; no person types one. Found by the form fuzzer.
    login(client, "lm.alpha")
    response = client.post("/console/xml/accounts", data={"name": "robot\x00"})
    assert response.status_code == 400
    assert "incident" in text_of(response)
    assert client.get("/desk/dossiers?name=du\x00").status_code == 400
    assert client.get("/desk/dossiers?name=du").status_code == 200


def test_pages_name_their_icon(client):
    page = text_of(client.get("/login"))
    assert '<link rel="icon" href="/static/img/icon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/img/icon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
