"""The regulator's review in a real browser: the case handler opens the review queue,
approves the demo dossier under review, and the operator (STTS 3 at Telco Alpha) finds the
task "Decision taken"."""
import re

import pytest

from stts.demo_dossiers import names
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def log_out(page):
    page.locator("#logout-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/login"))


def test_handler_approves_and_operator_sees_decision_taken(page, axe_check):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "handler.bipt")
    page.goto("/backoffice/")
    page.locator("#card-review a").click()
    page.wait_for_url(re.compile(r"/backoffice/review$"))
    axe_check(page)

    # The queue, filtered by htmx (the URL follows), then the demo dossier's review page.
    page.select_option("#operator", label="Telco Alpha")
    page.wait_for_url(re.compile(r"operator=\d+"))
    last, first = names(190)  # DEMO["review_alpha"] is person 190
    row = page.locator("#review-queue tbody tr", has_text=f"{last}, {first}")
    row.locator("a").click()
    page.wait_for_url(re.compile(r"/backoffice/review/\d+$"))
    review_url = page.url
    dossier_id = review_url.rsplit("/", 1)[1]
    assert page.locator("#review-state").get_attribute("class").endswith("review")
    axe_check(page)

    # A decision without a reason is refused inline (422 swapped in), input kept.
    page.select_option("#decide-decision", "APPROVE")
    page.locator("#decide-form button[type=submit]").click()
    page.locator("#decide-form .field-invalid").wait_for()
    assert page.locator("#decide-decision").input_value() == "APPROVE"
    axe_check(page)

    page.fill("#decide-reason", "Certificate checked by the regulator")
    page.locator("#decide-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/backoffice/review$"))
    assert page.locator(".banner-success").count() == 1
    assert page.locator(f"a[href='/backoffice/review/{dossier_id}']").count() == 0
    log_out(page)

    # The operator's STTS 3 sees the task.
    log_in(page, "stts3.alpha")
    page.goto("/desk/tasks?type=DECISION_TAKEN")
    row = page.locator("#tasks tr.task-row", has_text=dossier_id)
    row.wait_for()
    assert "Decision taken" in row.inner_text()
    axe_check(page)
    page.goto(f"/desk/dossiers/{dossier_id}")
    assert page.locator("#dossier-state").get_attribute("class").endswith("approved")
