"""Duplicate submits refused: every form that posts carries a one-time token (the
``post_form`` macro puts ``once_token()`` in it). The first post of a token goes through; a
second one — a reload of the answer page, the back button, a double click that got past the
disabled button — is refused before the view runs, so a "New password" or a new technical
account is never issued twice by accident. Forms posted without a token (API clients, tests
that post by hand) are not affected."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import flash, redirect, request, session, url_for

from stts.htmx import hx_redirect, is_htmx
from stts.i18n import gettext as _

FIELD = "_once"
SESSION_KEY = "once_used"
KEEP = 40  # the tokens of the last posts remembered per session


def init_app(app) -> None:
    app.jinja_env.globals["once_token"] = lambda: secrets.token_urlsafe(12)

    @app.before_request
    def _refuse_a_second_post():
        if request.method != "POST":
            return None
        token = request.form.get(FIELD, "")
        if not token or len(token) > 32:
            return None
        used = list(session.get(SESSION_KEY) or [])
        if token in used:
            flash(_("This form was already sent; it was not sent again. Check the result "
                    "before you try again."), "error")
            target = _back()
            return hx_redirect(target) if is_htmx() else redirect(target, code=303)
        session[SESSION_KEY] = (used + [token])[-KEEP:]
        return None


def _back() -> str:
    """The page the form was on (same site only), else home."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("auth.home")
