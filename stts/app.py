"""The application factory: configuration → extensions → database → worker → blueprints →
errors → CLI."""
from __future__ import annotations

import logging as std_logging  # stts.logging is our redaction module
import os
import secrets

from flask import Flask, request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter

import stts.worker.tasks  # noqa: F401 (declares every background task)
from stts import (
    assets,
    auth,
    db,
    errors,
    html_attributes,
    i18n,
    identifiers,
    input_guard,
    once,
    proxies,
    ratelimit,
    uploads,
)
from stts.blueprints.api import bp as api_bp
from stts.blueprints.auth import bp as auth_bp
from stts.blueprints.backoffice import bp as backoffice_bp
from stts.blueprints.console import bp as console_bp
from stts.blueprints.desk import bp as desk_bp
from stts.blueprints.portal import bp as portal_bp
from stts.blueprints.stats import bp as stats_bp
from stts.cli import register_cli
from stts.htmx import add_vary
from stts.labels import key_label, label_context, show_value
from stts.logging import install as install_log_redaction
from stts.models.dossiers import CEASABLE_STATES, MODIFIABLE_STATES
from stts.pagination import query_args
from stts.permissions import can
from stts.services import MAX_ID
from stts.stored_text import thaw
from stts.worker import worker

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(config: dict | None = None) -> Flask:
    """Application factory: config → extensions → database → blueprints → errors → CLI."""
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get("STTS_INSTANCE_PATH") or None)
    _configure(app, config)
    app.url_map.converters["int"] = DatabaseIdConverter
    input_guard.init_app(app)
    uploads.init_app(app)
    csrf.init_app(app)
    html_attributes.install()  # every form's attributes written without Markup.format
    once.init_app(app)  # after CSRF: a forged post never marks a token used
    i18n.init_app(app)
    db.init_app(app)
    worker.init_app(app)
    auth.init_app(app)
    _register_blueprints(app)
    ratelimit.init_app(app)
    proxies.init_app(app)
    errors.init_app(app)
    _register_headers(app)
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["query_args"] = query_args
    app.jinja_env.globals.update(HTMX_FILE=assets.HTMX_FILE,
                                 HTMX_INTEGRITY=assets.HTMX_INTEGRITY)
    app.jinja_env.globals.update(MODIFIABLE_STATES=MODIFIABLE_STATES,
                                 CEASABLE_STATES=CEASABLE_STATES)
    app.context_processor(label_context)  # the label tables, in the request's language
    app.jinja_env.globals["show_value"] = show_value  # a stored value as a person reads it
    app.jinja_env.globals["key_label"] = key_label
    app.jinja_env.globals["stored_text"] = thaw  # a stored message, in the reader's language
    _register_filters(app)
    register_cli(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in a URL is a database id: a number beyond ``MAX_ID`` (2**63 - 1) names no
    row (404) instead of overflowing the database's integer (a server error). Ids sent in a
    form, a query or a batch file are read by ``stts.services.parse_id`` with the same bound."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _configure(app: Flask, config: dict | None) -> None:
    app.config.from_object("stts.config")
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("STTS")
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app, "secret_key")
    app.config.setdefault("AUDIT_HMAC_KEY", _instance_secret(app, "audit_key"))
    # The audit chain's key, outside the database (docs/security.md): configuration, or a
    # file of the instance folder generated once.
    if not app.config.get("AUDIT_CHAIN_KEY"):
        app.config["AUDIT_CHAIN_KEY"] = _instance_secret(app, "audit_chain_key")
    std_logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    install_log_redaction(app)  # national register numbers only as a keyed hash in logs


def _instance_secret(app: Flask, name: str) -> str:
    """A random secret generated once into the instance folder (never committed)."""
    path = os.path.join(app.instance_path, name)
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(path) as handle:
        return handle.read().strip()


def _register_blueprints(app: Flask) -> None:
    for blueprint in (portal_bp, auth_bp, console_bp, desk_bp, backoffice_bp, stats_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # token auth, no cookies (docs/xml.md)
    app.register_blueprint(api_bp)


def _register_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["Strict-Transport-Security"] = (
            f"max-age={app.config['HSTS_MAX_AGE']}; includeSubDomains")
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
            add_vary(response)
        return response


def token(value) -> Markup:
    """A value read as one piece (a ticket, a phone number, a national or enterprise number,
    a username, a customer number): marked so that it never wraps inside itself, on a small
    screen included (the ``.token`` class)."""
    if value is None or value == "":
        return Markup("")
    # The value escaped, then formatted in: Markup's % operator costs 3.5 times more (three
    # tokens per row of a list).
    return Markup(f'<span class="token">{escape(value)}</span>')  # noqa: S704 # nosec B704


def email(value) -> Markup:
    """An e-mail address: may break anywhere rather than run under the next column."""
    if not value:
        return Markup("")
    return Markup('<span class="email">%s</span>') % value


def _as_token(format_):
    return lambda value: token(format_(value))


def _register_filters(app: Flask) -> None:
    app.jinja_env.filters["nrn"] = _as_token(identifiers.format_national_number)
    app.jinja_env.filters["nrn_masked"] = _as_token(identifiers.mask_national_number)
    app.jinja_env.filters["enterprise"] = _as_token(identifiers.format_enterprise_number)
    app.jinja_env.filters["phone"] = _as_token(identifiers.format_phone_number)
    app.jinja_env.filters["token"] = token
    app.jinja_env.filters["email"] = email
    app.jinja_env.globals["token"] = token
    app.jinja_env.globals["current_user"] = current_user
