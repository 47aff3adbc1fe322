"""No double actions: on every posting form of every face, the form's submit controls are
disabled (and the form marked aria-busy) while its request runs, htmx or plain, so a second
click sends nothing. Each form's request is held, checked, then aborted: nothing changes."""
import re

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_small_screens import FACES, face_pages

pytestmark = pytest.mark.browser

# The posting forms of a page: not the live searches (each keystroke re-posts them) and not
# forms without a control of their own to click.
FORMS = """() => [...document.querySelectorAll('main form')].map((form, index) => ({
  index,
  posting: (form.getAttribute('method') || 'get').toLowerCase() === 'post'
           || form.hasAttribute('hx-post'),
  search: form.getAttribute('role') === 'search',
  submitters: [...form.elements].filter(e => e.type === 'submit').length,
  action: form.getAttribute('hx-post') || form.getAttribute('action') || location.pathname,
}))"""
# A plain post's page cannot be read while its navigation is pending: the form's busy state
# is recorded as it happens (in sessionStorage, which outlives the aborted navigation).
SUBMIT = """(index) => {
  const form = document.querySelectorAll('main form')[index];
  sessionStorage.removeItem('busy-seen');
  const record = () => {
    const submitters = [...form.elements].filter(e => e.type === 'submit');
    if (form.getAttribute('aria-busy') === 'true' && submitters.every(e => e.disabled)) {
      sessionStorage.setItem('busy-seen', 'yes');
    }
  };
  new MutationObserver(record).observe(form, {attributes: true, subtree: true});
  form.noValidate = true;  // the empty form is sent: only the busy state is under test
  form.requestSubmit([...form.elements].find(e => e.type === 'submit'));
}"""
BUSY_SEEN = "() => sessionStorage.getItem('busy-seen') === 'yes'"


def _holder(held):
    """A route handler that holds the first POST in ``held`` and lets the rest through
    (Playwright passes a second argument to a handler that takes two)."""
    def hold(route):
        if route.request.method == "POST" and not held:
            held.append(route)
        else:
            route.continue_()
    return hold


@pytest.mark.parametrize("face", sorted(FACES))
def test_every_posting_form_disables_its_controls_while_its_request_runs(page, face):
    username, start, prefixes, _shot = FACES[face]
    if username:
        log_in(page, username)
    page.on("dialog", lambda dialog: dialog.accept())
    checked, not_busy, not_sent = [], [], []
    for path in list(face_pages(page, start, prefixes)):
        page.goto(path)
        forms = [f for f in page.evaluate(FORMS)
                 if f["posting"] and not f["search"] and f["submitters"]]
        for form in forms:
            if "/logout" in form["action"]:
                continue
            page.goto(path)
            held = []
            page.route(re.compile(".*"), _holder(held))
            page.evaluate(SUBMIT, form["index"])
            for _ in range(250):  # the handler runs when Playwright next reads its events
                if held:
                    break
                page.wait_for_timeout(20)
            else:
                not_sent.append(f"{path} → {form['action']}")
                page.unroute(re.compile(".*"))
                continue
            page.wait_for_timeout(100)  # the form's own handlers run (no assertion on time)
            held[0].abort()
            page.unroute(re.compile(".*"))
            page.goto(path)
            if not page.evaluate(BUSY_SEEN):
                not_busy.append(f"{path} → {form['action']}")
            checked.append(f"{path} → {form['action']}")
    assert not not_sent, f"{face}: sent nothing when submitted:\n" + "\n".join(not_sent)
    assert checked, f"{face}: no posting form found"
    assert not not_busy, f"{face}: still clickable while posting:\n" + "\n".join(not_busy)
