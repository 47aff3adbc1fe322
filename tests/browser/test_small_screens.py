"""Every face at 375 px wide (a small phone), walked in a real browser: the page body never
scrolls sideways (document.scrollingElement.scrollWidth <= innerWidth), every table sits in
a scrollable region a keyboard can reach (role=region, tabindex=0, a name), no marked token
(ticket, phone, national or enterprise number, username, customer number) wraps inside
itself unless it is wider than the whole line (then it breaks rather than leave the
screen), and no e-mail address runs out of its box. The data holds the widest values the
app accepts (a ticket of W, a 64-character username, long e-mail addresses). A screenshot of each face is kept."""
import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ROOT, log_in

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-artifacts"
WIDTH = 375
LONG_EMAIL = "a.very.long.mailbox.name.for.testing@customer-service.telco-alpha.example.com"
# The widest values the app accepts: a ticket of its widest letter, a 64-character username.
WIDE_TICKET = "WWWW-WWWW-WWWW-WWWW"
LONG_USERNAME = "wilhelmina-maximiliane.vanwesterhuizen-wijnmalen.operations-desk"

CHECK = """() => {
  const trouble = [];
  const root = document.scrollingElement;
  if (root.scrollWidth > window.innerWidth) {
    const wide = [...document.querySelectorAll("body *")].filter(e => {
      const r = e.getBoundingClientRect();
      return r.right > window.innerWidth + 1 && !e.closest(".table-scroll") && r.width > 0;
    }).slice(0, 5).map(e => e.tagName + "." + e.className + "#" + e.id);
    trouble.push(`page scrolls sideways: ${root.scrollWidth} > ${window.innerWidth} (${wide})`);
  }
  document.querySelectorAll("table").forEach(table => {
    const region = table.closest(".table-scroll");
    if (!region || region.getAttribute("role") !== "region" || region.getAttribute("tabindex") !== "0"
        || !(region.getAttribute("aria-label") || region.getAttribute("aria-labelledby"))) {
      trouble.push("table outside a named scrollable region: " + (table.id || table.className || table.rows[0].innerText.slice(0, 40)));
    }
  });
  document.querySelectorAll(".token, .ticket").forEach(token => {
    // A token may break only when it is wider than the whole line its box may use.
    const box = token.getBoundingClientRect();
    const lineHeight = parseFloat(getComputedStyle(token).fontSize) * 1.8;
    const wrapped = token.getClientRects().length > 1 || box.height > lineHeight;
    if (wrapped) {
      const saved = token.style.whiteSpace;
      token.style.whiteSpace = "nowrap";
      const text = document.createRange();
      text.selectNodeContents(token);
      const oneLine = text.getBoundingClientRect().width;
      token.style.whiteSpace = saved;
      const inTable = token.closest("td, th");
      if (inTable || oneLine <= box.width + 1) {
        trouble.push("token wraps: " + token.textContent);
      }
    }
    if (!token.closest(".table-scroll") && box.right > window.innerWidth + 1) {
      trouble.push("token runs off the screen: " + token.textContent);
    }
  });
  document.querySelectorAll(".email").forEach(email => {
    const box = email.parentElement.getBoundingClientRect();
    if (email.getBoundingClientRect().right > box.right + 1) {
      trouble.push("e-mail runs out of its box: " + email.textContent);
    }
  });
  return trouble;
}"""


def _kind(path):
    parts = urlsplit(path)
    return re.sub(r"\d+", "N", parts.path)


def face_pages(page, start, prefixes, limit=14):
    """Open one page of each kind of a face, reached by links from ``start``; yields each
    path while the browser shows it."""
    seen, queue = set(), [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if _kind(path) in seen:
            continue
        seen.add(_kind(path))
        page.goto(path)
        page.wait_for_load_state()
        yield path
        for href in page.evaluate("() => [...document.querySelectorAll('main a[href]')]"
                                  ".map(a => a.getAttribute('href'))"):
            target = urlsplit(href)
            if target.netloc or not target.path.startswith(prefixes):
                continue
            if target.path.endswith((".csv", ".xml", ".pdf", ".xsd")):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))


def _walk(page, start, prefixes, limit=14):
    """The pages of one face reached from ``start`` (one of each kind), each checked."""
    found, seen = {}, set()
    for path in face_pages(page, start, prefixes, limit):
        seen.add(_kind(path))
        trouble = page.evaluate(CHECK)
        if trouble:
            found[path] = trouble
    return found, seen


FACES = {
    # face: (user or None for the visitor, start, prefixes of its pages, page to photograph)
    "portal": (None, "/", ("/access-request", "/login"), "/access-request/follow"),
    "console": ("lm.alpha", "/console/", ("/console",), "/console/users"),
    "desk": ("stts3.alpha", "/desk/", ("/desk",), "/desk/tasks"),
    "backoffice-access": ("agent.bipt", "/backoffice/", ("/backoffice",),
                          "/backoffice/access-requests"),
    "backoffice-review": ("handler.bipt", "/backoffice/", ("/backoffice",), "/backoffice/review"),
    "backoffice-audit": ("auditor.bipt", "/backoffice/", ("/backoffice",),
                         "/backoffice/audit?q=alpha"),
}


@pytest.fixture
def long_values(app):
    """Long e-mail addresses and names, as real data has."""
    from stts.models import AccessRequest, Company, User
    from tests.conftest import CSRFClient
    from tests.web.portal_helpers import MANAGER, submit_request

    User.update(email=LONG_EMAIL).where(User.username.in_(["stts1.alpha", "lm.alpha"])).execute()
    Company.update(email=LONG_EMAIL).execute()
    # An access request waiting in the back-office queue, with a long e-mail address.
    app.test_client_class = CSRFClient
    submit_request(app.test_client(), manager={**MANAGER, "email": LONG_EMAIL})
    AccessRequest.update(ticket=WIDE_TICKET).execute()
    assert len(LONG_USERNAME) == User.username.max_length
    User.update(username=LONG_USERNAME).where(User.username == "stts2.alpha").execute()


@pytest.mark.parametrize("face", sorted(FACES))
def test_every_face_fits_a_small_screen(page, long_values, face):
    username, start, prefixes, shot = FACES[face]
    page.set_viewport_size({"width": WIDTH, "height": 800})
    if username:
        log_in(page, username)
    found, seen = _walk(page, start, prefixes)
    assert len(seen) >= (2 if face in ("portal", "backoffice-audit") else 3), seen
    page.goto(shot)
    page.wait_for_load_state()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"small-{face}.png"), full_page=True)
    trouble = page.evaluate(CHECK)
    if trouble:
        found[shot] = trouble
    summary = "\n".join(f"{path}: {trouble}" for path, trouble in sorted(found.items()))
    assert not found, f"{face} at {WIDTH} px:\n{summary}"
