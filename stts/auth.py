"""flask-login wiring: the session cookie names a server-side LoginSession. (The login page
that answers an anonymous request is the auth blueprint's: ``login_manager.unauthorized``.)"""
from __future__ import annotations

from flask import g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from stts.htmx import hx_redirect, is_htmx
from stts.services.sessions import end_session, load_session

login_manager = LoginManager()
login_manager.session_protection = "basic"

# While a provisional password is in use, only these endpoints answer.
PROVISIONAL_ALLOWED = {"auth.change_password", "auth.logout", "auth.set_language", "static",
                       "auth.first_login"}


def init_app(app) -> None:
    login_manager.init_app(app)

    @login_manager.user_loader
    def _load(token: str):
        row = load_session(token)
        if row is None:
            return None
        user = row.user
        user.session_token = token
        user.login_session = row
        return user

    @app.before_request
    def _fresh_user():
        # Each request loads its session afresh, even when one application context spans
        # several requests (tests, CLI): a revoked session must never be served from g.
        g.pop("_login_user", None)

    @app.before_request
    def _provisional_gate():
        if not current_user.is_authenticated:
            return None
        allowed = PROVISIONAL_ALLOWED
        if current_user.username_provisional:
            # A local manager's provisional account leads only to "create the local manager".
            allowed = PROVISIONAL_ALLOWED - {"auth.change_password"}
        elif not current_user.login_session.must_change_password:
            return None
        if request.endpoint not in allowed:
            target = url_for(provisional_landing(current_user))
            return hx_redirect(target) if is_htmx() else redirect(target)
        return None


def provisional_landing(user) -> str:
    """Where a user with a provisional password must go first."""
    if user.username_provisional:
        return "auth.first_login"
    return "auth.change_password"


def start_session(user, token: str) -> None:
    session.clear()  # no session fixation: everything from before login is dropped
    user.session_token = token
    user.login_session = load_session(token)
    login_user(user)
    # The new session's CSRF secret leaves with the login's own cookie. Otherwise the first
    # pages after login each drew one: requests sent together (a page and its htmx loads)
    # each wrote a different secret into the cookie, the last write won and the forms of
    # the others were refused; and a client that kept the login's cookie made every
    # request draw, sign and set a new one.
    g.pop("csrf_token", None)
    generate_csrf()


def finish_session() -> None:
    token = getattr(current_user, "session_token", None)
    if token:
        end_session(token)
    logout_user()
    session.clear()


def _safe_next(path: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    if any(ord(character) < 32 or ord(character) == 127 for character in path):
        return None  # a control character (a newline) cannot go into a Location header
    return path.rstrip("?")
