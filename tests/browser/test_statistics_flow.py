"""The dashboards in a real browser (French, Belgian formats): the operator's charts under
the strict CSP, a filter that htmx applies and the URL keeps, a reload, the data table one
click away, the page without JavaScript and in print; the regulator's yearly report.
Screenshots are written to test-artifacts/ (statistics-*.png) to be looked at."""
import re
from pathlib import Path

import pytest

from stts.models import User
from stts.services.statistics import summary
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def in_french(*usernames):
    """The test database speaks English; these pages are checked the way a French reader
    sees them."""
    User.update(language="fr").where(User.username.in_(usernames)).execute()
    summary.rebuild()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"statistics-{name}.png"), full_page=True)


def test_operator_dashboard_filters_reload_no_script_and_print(app, page, browser,
                                                                live_server, axe_check):
    in_french("lm.alpha")
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    log_in(page, "lm.alpha")
    page.goto("/statistics/")
    page.wait_for_url(re.compile(r"/statistics/operator$"))
    assert page.locator("h1").inner_text() == "Statistiques de Telco Alpha"
    assert page.locator("svg.chart-svg[role=img]").count() >= 4
    assert "30 tarifs sociaux actifs" in page.locator("#states-summary").inner_text()
    axe_check(page)
    shot(page, "operator-fr")

    # A filter: htmx swaps the figures and the address keeps the filter.
    page.select_option("#category", "AGE65")
    page.wait_for_url(re.compile(r"category=AGE65"))
    page.locator("#states-summary", has_text="5 tarifs sociaux actifs").wait_for()
    page.reload()
    assert page.locator("#category").input_value() == "AGE65"
    assert "5 tarifs sociaux actifs" in page.locator("#states-summary").inner_text()

    # The data table is one click away, with Belgian month names.
    table = page.locator("#chart-states details table")
    assert not table.is_visible()
    page.locator("#chart-states details summary").click()
    assert table.is_visible()
    assert "nov. 2026" in table.inner_text() or "2026" in table.inner_text()
    axe_check(page)

    # In print: the navigation and the filters go, the charts stay.
    page.emulate_media(media="print")
    assert not page.locator("nav.main-nav").is_visible()
    assert not page.locator("#stats-filters").is_visible()
    assert page.locator("#chart-states svg").is_visible()
    shot(page, "operator-print")
    page.emulate_media(media="screen")
    assert violations == []

    # Without JavaScript the charts are there and the form's button applies the filters.
    context = browser.new_context(base_url=live_server, locale="fr-BE",
                                  java_script_enabled=False)
    plain = context.new_page()
    log_in(plain, "lm.alpha")
    plain.goto("/statistics/operator")
    plain.select_option("#service", "MOBILE")
    plain.locator("#stats-filters button[type=submit]").click()
    plain.wait_for_url(re.compile(r"service=MOBILE"))
    assert plain.locator("svg.chart-svg").count() >= 3
    assert "10 tarifs sociaux actifs" in plain.locator("#states-summary").inner_text()
    context.close()


def test_regulator_market_and_yearly_report(app, page, axe_check):
    in_french("handler.bipt")
    log_in(page, "handler.bipt")
    page.goto("/statistics/")
    page.wait_for_url(re.compile(r"/statistics/market$"))
    assert "81 tarifs sociaux actifs" in page.locator("#states-summary").inner_text()
    axe_check(page)
    shot(page, "market-fr")
    page.select_option("#operator", label="Belcom Beta")
    page.wait_for_url(re.compile(r"operator=\d+"))
    page.locator("#states-summary", has_text="31 tarifs sociaux actifs").wait_for()

    page.goto("/statistics/market/yearly?month=2025-12")
    assert "fin décembre 2025" in page.locator("h1").inner_text()
    row = page.locator("table.yearly-report tfoot tr")
    assert row.locator("td").last.inner_text() == "81"
    axe_check(page)
    with page.expect_download() as download:
        page.locator("a[download]").click()
    assert download.value.suggested_filename == "stts-beneficiaries-2025-12.csv"
    page.goto("/statistics/market/yearly?month=2025-12&print=1")
    assert page.locator("form").filter(has=page.locator("#month")).count() == 0
    shot(page, "yearly-print")
