"""Error pages and fragments: generic, translated, with an incident id, never a traceback."""
from __future__ import annotations

import logging
import secrets

from flask import g, request
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from stts.i18n import lazy_gettext as _l
from stts.render import render
from stts.services import NotFound as ServiceNotFound

log = logging.getLogger("stts.errors")

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Access denied"), _l("Your profile does not give access to this page or action.")),
    404: (_l("Not found"), _l("This page does not exist, or you do not have access to it.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    409: (_l("Changed meanwhile"), _l("Someone changed this data meanwhile.")),
    413: (_l("File too large"), _l("The file or form is larger than allowed (%(size)s MB).")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"),
          _l("The error was recorded. Try again; if it persists, give the incident number "
             "to the support desk.")),
    503: (_l("Service unavailable"),
          _l("STTS cannot reach its database right now. Nothing was lost; "
             "try again in a moment.")),
}


def render_error(code: int, message=None):
    incident = secrets.token_hex(4).upper()
    title, default = MESSAGES.get(code, MESSAGES[500])
    text = message or default
    if code == 413:
        # The limit of this request: an upload's own (stts.uploads), or any request's.
        text = str(text) % {"size": request.max_content_length // (1024 * 1024)}
    return render("errors/error.html", "errors/_error.html", status=code, code=code,
                  title=title, message=text, incident=incident), incident


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        response, incident = render_error(
            400,
            _l("This form expired or was sent from elsewhere. Nothing was saved: "
               "reload the page and send it again."),
        )
        return response

    @app.errorhandler(ServiceNotFound)
    def _missing(error):
        # A service's NotFound (another company's object, an unknown id) is the 404 page:
        # views need not catch it, unless they answer it another way (the API's JSON).
        response, _incident = render_error(404)
        return response

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code in MESSAGES:
            response, _incident = render_error(error.code)
            if error.code == 405 and error.valid_methods:
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        return error

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        code = 503 if isinstance(error, (OperationalError, InterfaceError)) else 500
        if code == 503:
            # Render without touching the database again: treat the visitor as anonymous.
            g._login_user = AnonymousUserMixin()
        response, incident = render_error(code)
        log.error("incident %s", incident, exc_info=error)
        return response

    app.register_error_handler(InternalServerError, _unexpected)
