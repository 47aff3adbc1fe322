"""Feedback and keyboard in a real browser: focus moves into the content htmx inserts,
posting forms are busy (disabled, aria-busy, progress after 300 ms) while the request runs,
and the live search shows its indicator."""
import re
import time

import pytest

from tests.browser.conftest import ROOT, log_in

pytestmark = pytest.mark.browser

RECORD = """() => {
  window.sttsSeen = [];
  document.addEventListener("htmx:beforeSend", (event) => {
    const form = event.detail.elt.closest("form") || event.detail.elt;
    const button = form.querySelector && form.querySelector("button[type=submit]");
    const indicator = document.getElementById("search-busy");
    window.sttsSeen.push({
      busy: form.getAttribute && form.getAttribute("aria-busy"),
      disabled: button ? button.disabled : null,
      indicator: indicator ? getComputedStyle(indicator).visibility : null,
    });
    setTimeout(() => { window.sttsSeen.push({slow: form.classList && form.classList.contains("is-busy")}); }, 450);
  });
}"""


def _active(page):
    return page.evaluate("() => { const e = document.activeElement;"
                         " return e.tagName + '#' + (e.id || '') + ':' + (e.getAttribute('name') || ''); }")


def _slow(page, pattern, seconds=0.8):
    def handler(route):
        time.sleep(seconds)
        route.continue_()
    page.route(pattern, handler)


def test_processing_a_task_with_the_keyboard(page, app):
    from stts.models import Dossier
    from stts.services.tasks import raise_task

    dossier = Dossier.select().where((Dossier.company == 1) & (Dossier.state == "ACTIVE")).first()
    task = raise_task("ADDRESS_CHANGED", dossier, 1)
    log_in(page, "stts3.alpha")
    page.goto("/desk/tasks?type=ADDRESS_CHANGED")
    count_before = page.locator("#nav-task-count").inner_text()
    listed_before = page.locator("#task-count").inner_text()
    page.evaluate(RECORD)
    process = page.locator(f"#task-{task.id} a.button")
    process.focus()
    page.keyboard.press("Enter")
    note = page.locator(f"#task{task.id}-note")
    note.wait_for()
    # Focus went into the inserted form: the note, not <body>.
    page.wait_for_function(f"() => document.activeElement.id === 'task{task.id}-note'")
    # Sent empty with the keyboard: the refusal comes back, focus on the invalid field.
    page.keyboard.press("Tab")
    assert "BUTTON" in _active(page)
    page.keyboard.press("Enter")
    page.locator(f"#task-{task.id} [aria-invalid=true]").wait_for()
    page.wait_for_function(f"() => document.activeElement.id === 'task{task.id}-note'")
    page.screenshot(path=str(ROOT / "test-artifacts" / "task-error-focus.png"))
    # Then written and sent, slowly: the form is busy while the request runs.
    page.keyboard.type("Checked the new address")
    _slow(page, re.compile(r"/desk/tasks/\d+/process"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(f"#task-{task.id}", has_text="Checked the new address").wait_for()
    seen = page.evaluate("window.sttsSeen")
    sends = [s for s in seen if s.get("disabled") is not None]  # the posts, not the GET
    assert sends and all(s["busy"] == "true" and s["disabled"] is True for s in sends), seen
    assert any(s.get("slow") for s in seen), seen
    # The navigation's count and the inbox's own followed (out-of-band swaps).
    assert int(page.locator("#nav-task-count").inner_text()) == int(count_before) - 1
    listed = int(listed_before.split()[0])
    assert page.locator("#task-count").inner_text().split()[0] == str(listed - 1)
    assert page.locator("#task-count").count() == 1


def test_live_search_shows_its_indicator(page):
    log_in(page, "stts3.alpha")
    page.goto("/desk/dossiers")
    page.evaluate(RECORD)
    _slow(page, re.compile(r"/desk/dossiers($|\?)"), 0.6)
    with page.expect_response(re.compile(r"/desk/dossiers($|\?)")):
        page.locator("#name").press_sequentially("Pe")
    seen = page.evaluate("window.sttsSeen")
    assert any(s.get("indicator") == "visible" for s in seen), seen
    # Typing keeps the focus in the field (the results swap does not take it).
    assert _active(page).startswith("INPUT#name")


def test_add_user_errors_take_the_focus(page):
    log_in(page, "lm.alpha")
    page.goto("/console/users/new")
    page.locator("main form button[type=submit]").last.focus()
    page.keyboard.press("Enter")
    page.locator("main [aria-invalid=true]").first.wait_for()
    page.wait_for_function("() => document.activeElement.getAttribute('aria-invalid') === 'true'")


# Every live search and filter: (user, page, what the user does, its indicator, the
# address of its request). The indicator shows while a slow answer is awaited, then hides.
SEARCHES = {
    "desk-dossiers": ("stts3.alpha", "/desk/dossiers", ("type", "#name", "Pe"), "#search-busy",
                      r"/desk/dossiers($|\?)"),  # the form posts: no query string
    "desk-tasks": ("stts3.alpha", "/desk/tasks", ("select", "#due", "overdue"), "#tasks-busy",
                   r"/desk/tasks\?"),
    "console-users": ("lm.alpha", "/console/users", ("type", "#last_name", "Va"),
                      "#user-search-busy", r"/console/users($|\?)"),  # the form posts
    "console-activity": ("lm.alpha", "/console/activity", ("type", "#actor", "stts"),
                         "#activity-busy", r"/console/activity\?"),
    "backoffice-queue": ("agent.bipt", "/backoffice/access-requests", ("type", "#q", "Del"),
                         "#queue-busy", r"/backoffice/access-requests\?"),
    "backoffice-review": ("handler.bipt", "/backoffice/review", ("click", "#review-filters button", ""),
                          "#review-busy", r"/backoffice/review\?"),
    "backoffice-audit": ("auditor.bipt", "/backoffice/audit", ("type", "#actor", "lm"),
                         "#audit-busy", r"/backoffice/audit\?"),
}

VISIBLE = "(sel) => getComputedStyle(document.querySelector(sel)).visibility === 'visible'"
HIDDEN = "(sel) => getComputedStyle(document.querySelector(sel)).visibility === 'hidden'"


@pytest.mark.parametrize("search", sorted(SEARCHES))
def test_every_live_search_shows_progress_while_it_runs(page, search):
    username, path, (how, target, value), indicator, address = SEARCHES[search]
    log_in(page, username)
    page.goto(path)
    assert page.evaluate(HIDDEN, indicator)
    held = []  # the search's requests wait here until the indicator was seen
    pattern = re.compile(address)

    def hold(route):  # the first request waits; any later one goes through
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(pattern, hold)
    if how == "type":
        page.locator(target).press_sequentially(value)
    elif how == "select":
        page.select_option(target, value)
    else:
        page.locator(target).click()
    page.wait_for_function(VISIBLE, arg=indicator)
    while not held:  # the handler runs when Playwright next reads its events
        page.wait_for_timeout(20)
    held[0].continue_()
    page.wait_for_function(HIDDEN, arg=indicator)
    if how == "type":  # typing keeps the focus in the field
        assert _active(page).startswith("INPUT#" + target[1:])
