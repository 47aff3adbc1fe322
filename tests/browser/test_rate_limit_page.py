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
