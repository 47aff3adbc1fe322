"""Designating a local manager end to end in a real browser: request → official form →
original received → approval → e-mail in the outbox → first login → own username → login →
the local manager's home."""
import email
import re
from email import policy

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NEW_PASSWORD = "Seven green trams cross Liege"


def _continue(page, next_path):
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("#wizard button[value=next]").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def _credentials(outbox):
    files = sorted(outbox.glob("*.eml"))
    assert files, "no mail in the outbox"
    with open(files[-1], "rb") as handle:
        message = email.message_from_binary_file(handle, policy=policy.default)
    assert message["To"] == "ann.peeters@example.com"
    lines = message.get_content().split("\n\n")[2].splitlines()
    return lines[0].rsplit(": ", 1)[1].strip(), lines[1].rsplit(": ", 1)[1].strip()


def test_designate_a_local_manager_end_to_end(page, live_instance, axe_check):
    page.on("dialog", lambda dialog: dialog.accept())

    # The portal: request access.
    page.goto("/")
    page.locator("a[href='/access-request']").click()
    page.wait_for_url(re.compile(r"/access-request/category$"))
    axe_check(page)
    page.select_option("#category", "onss_employer")
    _continue(page, "/access-request/company")

    # Inline validation: a wrong number is flagged as soon as the field is left.
    page.fill("#enterprise_number", "0403019262")
    with page.expect_response(lambda r: "/check/company/enterprise_number" in r.url):
        page.locator("#company_name").focus()
    # The swap follows the response: wait for it (expect retries) rather than race it.
    expect(page.locator("#enterprise_number-error")).to_be_visible()
    page.fill("#enterprise_number", "0450123451")
    with page.expect_response(lambda r: "/check/company/enterprise_number" in r.url):
        page.locator("#company_name").focus()
    expect(page.locator("#enterprise_number")).to_have_value("0450.123.451")
    expect(page.locator("#enterprise_number-error")).to_have_count(0)
    page.fill("#company_name", "Delta Telecom")
    _continue(page, "/access-request/manager")

    page.fill("#last_name", "Peeters")
    page.fill("#first_name", "Ann")
    page.fill("#national_number", "85073003328")
    page.select_option("#quality", "worker")
    page.fill("#email", "ann.peeters@example.com")
    page.fill("#phone", "0470 12 34 56")
    page.select_option("#language", "fr")
    axe_check(page)
    _continue(page, "/access-request/signer")

    # Going back keeps what was typed.
    page.fill("#last_name", "Dubois")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("#wizard button[value=back]").click()
    page.wait_for_url(re.compile(r"/access-request/manager$"))
    assert page.locator("#last_name").input_value() == "Peeters"
    _continue(page, "/access-request/signer")
    assert page.locator("#last_name").input_value() == "Dubois"

    page.fill("#first_name", "Marc")
    page.fill("#national_number", "90.05.12-002.11")
    page.select_option("#quality", "director")
    page.fill("#email", "marc.dubois@example.com")
    page.fill("#phone", "+32 2 226 88 88")
    page.select_option("#active", "no")
    page.set_input_files("#gazette", files=[{"name": "moniteur.pdf", "mimeType": "application/pdf",
                                              "buffer": PDF}])
    _continue(page, "/access-request/overview")

    # A full reload resumes the step.
    page.reload()
    assert page.locator("#confirm").count() == 1
    assert "0450.123.451" in page.locator("#wizard").inner_text()
    axe_check(page)
    page.check("#confirm")
    page.locator("#wizard button[value=submit]").click()
    page.wait_for_url(re.compile(r"/access-request/submitted$"))
    ticket = page.locator(".ticket").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", ticket)
    axe_check(page)

    # The official form, to print and sign.
    page.locator("a[href='/access-request/official-form']").click()
    page.wait_for_url(re.compile(r"/official-form$"))
    assert ticket in page.locator(".official-form").inner_text()
    assert page.locator(".signature-box").is_visible()
    axe_check(page)

    # The institution: original received, approval.
    log_in(page, "agent.bipt")
    page.goto("/backoffice/access-requests")
    axe_check(page)
    page.locator("#q").press_sequentially(ticket)
    page.wait_for_url(re.compile(r"[?&]q="))  # the search is in the address bar (bookmarkable)
    page.wait_for_function(
        "t => document.querySelectorAll('#queue-results tbody tr').length === 1"
        " && document.querySelector('#queue-results').innerText.includes(t)", arg=ticket)
    assert ticket in page.url
    page.locator(f"#queue-results a:has-text('{ticket}')").click()
    page.wait_for_url(re.compile(r"/backoffice/access-requests/\d+$"))
    axe_check(page)
    page.check("#gazette_received")
    page.locator("form[action$='/original'] button").click()
    page.wait_for_selector("form[action$='/approve'] button")
    page.locator("form[action$='/approve'] button").click()
    page.wait_for_selector("form[action$='/approve']", state="detached")
    assert page.locator(".banner-success").is_visible()

    # The e-mail with the provisional credentials.
    username, password = _credentials(live_instance / "outbox")
    assert username.startswith("lm-")

    # First login: only "create the local manager" is offered.
    page.context.clear_cookies()
    log_in(page, username, password)
    page.wait_for_url(re.compile(r"/first-login$"))
    axe_check(page)
    page.fill("#username", "ann.peeters")
    page.fill("#username_confirm", "ann.peeters")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirm", NEW_PASSWORD)
    page.fill("#national_number", "85.07.30-033.28")
    page.locator("#first-login-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.locator(".banner-success").is_visible()

    # Log in again with the chosen credentials: the local manager's home.
    log_in(page, "ann.peeters", NEW_PASSWORD)
    assert page.url.endswith("/home")
    page.goto("/console/")
    assert page.locator("h1").count() == 1
    assert "Delta Telecom" in page.locator(".who-company").inner_text()
