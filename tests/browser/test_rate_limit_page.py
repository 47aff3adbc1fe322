"""The 429 page in a real browser: a flood of public requests from one address is answered
with the translated page (French here), with Retry-After."""
import pytest

from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def test_a_flood_of_public_pages_gets_the_translated_429_page(page, axe_check):
    statuses = [page.request.get("/login").status for _ in range(125)]
    assert 429 in statuses
    response = page.goto("/login")
    assert response.status == 429
    assert int(response.headers["retry-after"]) > 0
    assert page.locator("h1").inner_text().strip() == "Trop de requêtes"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rate-limit-429.png"), full_page=True)
    axe_check(page)


def test_an_htmx_request_refused_for_volume_says_so_in_the_readers_language(page):
    """A live request answered 429 (here the desk's lookup, limited per user) shows the
    server's translated explanation, not the generic failure message."""
    from stts.demo_dossiers import DEMO
    from tests.browser.conftest import log_in

    log_in(page, "stts1.alpha")
    page.goto("/desk/request")
    with page.expect_navigation():  # the switcher: this user now works in French
        page.select_option("form[data-autosubmit] select", "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    statuses = [page.request.post("/desk/lookup", headers={"X-CSRFToken": token},
                                  form={"national_number": DEMO["eligible"]}).status
                for _ in range(35)]
    assert 429 in statuses
    with page.expect_response(lambda r: r.url.endswith("/desk/lookup")) as answer:
        page.locator("#national_number").fill(DEMO["eligible"])
        page.locator("#national_number").press("Tab")
    assert answer.value.status == 429
    banner = page.locator("#error-banner")
    banner.wait_for(state="visible")
    text = banner.inner_text()
    assert text.startswith("Trop de requêtes — "), text
    assert "Erreur 429" in text and "action a échoué" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rate-limit-htmx-banner.png"), full_page=True)
