"""The dossier desk in a real browser: request → automatic approval → activation →
transfer by a second operator → one task at the first → cessation → cancel of the cessation."""
import re

import pytest

from stts.demo_dossiers import DEMO, person
from stts.models.dossiers import CATEGORIES
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def log_out(page):
    page.goto("/desk/")
    page.locator("form[action='/logout'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/login"))


def test_request_transfer_task_cease_cancel(page, axe_check):
    page.on("dialog", lambda dialog: dialog.accept())
    nrn = DEMO["eligible"]

    # Telco Alpha requests the tariff; the lookup answers inline while typing.
    log_in(page, "stts3.alpha")
    page.goto("/desk/")
    axe_check(page)
    page.goto("/desk/request")
    axe_check(page)
    with page.expect_response(lambda r: r.url.endswith("/desk/lookup") and r.request.method == "POST"):
        page.locator("#national_number").press_sequentially(nrn)
    page.locator("#lookup-result .banner-success").wait_for()
    page.select_option("#category", CATEGORIES[10 % 6])
    page.select_option("#service", "MOBILE")
    page.fill("#phone_number", "0470 12 34 56")
    page.fill("#customer_number", "ALPHA-1")
    page.fill("#tariff_formula", "Social mobile")
    page.locator("#request-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/desk/dossiers/\d+$"))
    dossier_url = page.url
    assert page.locator("#dossier-state").get_attribute("class").endswith("approved")
    axe_check(page)

    # Activation: APPROVED → ACTIVE.
    page.fill("#activate-activation_date", "2025-01-01")
    page.fill("#activate-invoice_date", "2025-02-01")
    page.locator("#activate-form button[type=submit]").click()
    page.locator(".dossier-state-active").wait_for()
    log_out(page)

    # Belcom Beta takes it over.
    log_in(page, "stts3.beta")
    page.goto("/desk/transfer")
    axe_check(page)
    page.fill("#national_number", nrn)
    page.select_option("#service", "FIXED")
    page.fill("#phone_number", "02 226 88 88")
    page.fill("#customer_number", "BETA-9")
    page.fill("#tariff_formula", "Social fixed")
    page.locator("#transfer-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/desk/dossiers/\d+$"))
    assert page.url == dossier_url  # the same dossier moved
    assert "BETA-9" in page.locator("#dossier").inner_text()
    assert "ALPHA-1" not in page.content()  # never the former operator's data
    log_out(page)

    # Telco Alpha gets one task for the transfer and can no longer open the dossier.
    log_in(page, "stts3.alpha")
    page.goto("/desk/tasks")
    axe_check(page)
    rows = page.locator("#tasks tbody tr")
    assert rows.filter(has_text="ALPHA-1").count() == 1  # one event, one task
    assert page.goto(dossier_url).status == 404
    log_out(page)

    # Belcom Beta ceases the tariff, then cancels the cessation.
    log_in(page, "stts3.beta")
    page.goto(dossier_url)
    page.select_option("#cease-reason", "CUSTOMER_REQUEST")
    page.fill("#cease-effective_date", "2030-12-31")
    page.locator("#cease-form button[type=submit]").click()
    page.locator(".dossier-state-ended").wait_for()
    page.fill("#cancel-reason", "Ceased by mistake")
    page.locator("#cancel-form button[type=submit]").click()
    page.locator(".dossier-state-active").wait_for()
    timeline = page.locator("#timeline").inner_text()
    assert "Ceased by mistake" in timeline
    axe_check(page)
    assert person(10) == nrn
