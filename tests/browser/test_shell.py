"""The shell in a real browser: log in, switch language, an htmx swap, log out, accessibility."""
import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_login_language_htmx_and_logout(page, axe_check):
    page.goto("/")
    assert page.locator("h1").count() == 1
    axe_check(page)

    page.goto("/login")
    axe_check(page)
    # A refused login swaps the form with its error (status 422 handled by htmx config).
    log_in(page, "stts2.alpha", "not the right password at all")
    assert page.locator("#password-error").is_visible()

    log_in(page, "stts2.alpha")
    assert page.url.endswith("/home")
    assert page.locator(".who-company").inner_text() == "Telco Alpha"
    axe_check(page)

    # Switch language: the choice applies at once and is saved for the user.
    with page.expect_navigation():
        page.select_option("#language-select", "nl")
    assert page.url.endswith("/home")
    assert page.locator("html").get_attribute("lang") == "nl"
    with page.expect_navigation():
        page.select_option("#language-select", "de")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("#logout-form button").inner_text() != "Log out"

    # An htmx swap: the password form answers with its fragment, not a whole page.
    page.goto("/account/password")
    axe_check(page)
    page.fill("#current_password", "wrong current password")
    page.fill("#new_password", "a fresh long passphrase 2026")
    page.fill("#confirm_password", "a fresh long passphrase 2026")
    with page.expect_response(lambda r: r.url.endswith("/account/password")) as info:
        page.locator("#password-form button[type=submit]").click()
    response = info.value
    assert response.status == 422
    assert "<html" not in response.text()
    assert page.locator("#current_password-error").is_visible()
    assert page.locator("header").count() == 1  # swapped in place, not a page inside a page

    # Log out: back to the login page; the protected page now asks to log in.
    page.locator("#logout-form button").click()
    page.wait_for_url(re.compile(r"/login"))
    response = page.goto("/home")
    assert response.status == 401
    assert page.locator("#login-form").count() == 1
