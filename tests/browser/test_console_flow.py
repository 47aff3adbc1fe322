"""The console in a real browser: a local manager creates a user, the user logs in with the
provisional password, must change it, and the desk offers only what the profile allows."""
import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a quiet harbour at seven"


def test_create_user_then_first_login_and_desk_rights(page, axe_check):
    log_in(page, "lm.alpha")
    page.goto("/console/")
    assert page.locator("#console-sections section").count() == 4
    axe_check(page)

    # Active search: typing filters the list through htmx (the form posts) and the answer
    # puts the query in the URL.
    page.goto("/console/users")
    axe_check(page)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(
            "/console/users") and "last_name=van" in (r.request.post_data or "")):
        page.locator("#last_name").press_sequentially("van")
    page.wait_for_url(re.compile(r"last_name=van"))
    assert page.locator("#user-results tbody tr").count() == 3

    # Create a user with the web application and profile STTS 1 (the form swaps in place).
    page.goto("/console/users/new")
    axe_check(page)
    page.fill("#username", "browser.user")
    page.fill("#username_confirm", "browser.user")
    page.fill("#last_name", "Navigateur")
    page.fill("#first_name", "Noémie")
    page.fill("#national_number", "90051200211")
    page.fill("#email", "noemie@alpha.example.com")
    page.select_option("#language", "en")
    page.check("#app_web")
    page.select_option("#profile", "STTS1")
    with page.expect_response(lambda r: r.url.endswith("/console/users/new")) as info:
        page.locator("#user-new-form button[type=submit]").click()
    assert info.value.status == 201
    password = page.locator("#provisional-password").inner_text().strip()
    assert len(password) == 16
    assert page.locator("header").count() == 1
    axe_check(page)

    page.locator("#logout-form button").click()
    page.wait_for_url(re.compile(r"/login"))

    # First login: every page leads to the password change until it is done.
    log_in(page, "browser.user", password)
    page.wait_for_url(re.compile(r"/account/password"))
    page.goto("/desk/")
    assert page.url.endswith("/account/password")
    page.fill("#current_password", password)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD)
    # The change answers with HX-Redirect: the browser navigates to the home page.
    with page.expect_navigation(url=re.compile(r"/home$")):
        page.locator("#password-form button[type=submit]").click()
    assert page.locator("#password-form").count() == 0
    # The password is changed: every page opens normally again.
    assert page.goto("/home").status == 200
    assert page.url.endswith("/home")

    # The desk shows what STTS 1 may do, and nothing more.
    page.goto("/desk/")
    assert page.locator("#desk-rights li").count() == 4
    assert page.locator("a[href='/desk/tasks']").count() == 0
    assert page.goto("/desk/tasks").status == 403
    assert page.goto("/console/").status == 403
