"""POST /api/v1/batches, GET /api/v1/batches/<id>[/response], GET /xml/schema/<name>.xsd."""
from __future__ import annotations

import functools

from flask import current_app, g, jsonify, request, send_file, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from stts.blueprints.api.blueprint import bp
from stts.i18n import gettext as _
from stts.permissions import public
from stts.services import Conflict, NotFound
from stts.services.console import authenticate_token
from stts.services.xml_batches import intake as service
from stts.uploads import limit_of, upload_limit
from stts.xml.parser import schema_path

ACCEPTED_TYPES = ("application/xml", "text/xml", "application/octet-stream")


def api_error(status: int, code: str, message, **extra):
    body = {"error": {"code": code, "message": str(message), **extra}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stts"'
    return response


def bearer_token(view):
    """Authenticate a technical account by its bearer token (action "xml.api")."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
        account = authenticate_token(token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            return api_error(401, "unauthorized",
                             _("A valid bearer token of a technical account is required."))
        g.api_account = account
        return view(*args, **kwargs)

    wrapped.stts_access = "xml.api"
    return wrapped


def _language() -> str:
    languages = current_app.config["LANGUAGES"]
    return request.accept_languages.best_match(languages) or \
        current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    return api_error(413, "too_large", _("The file is too large (at most %(mb)s MB).",
                     mb=limit_of("XML_MAX_BYTES") // (1024 * 1024)))


@bp.errorhandler(HTTPException)
def _http_error(error):
    if not request.path.startswith("/api/"):
        return error
    return api_error(error.code or 500, "http_%s" % error.code, error.name)


@bp.route("/api/v1/batches", methods=["POST"])
@bearer_token
@upload_limit("XML_MAX_BYTES")
def upload_batch():
    if request.mimetype not in ACCEPTED_TYPES:
        return api_error(415, "unsupported_media_type",
                         _("Send the batch file as the request body with Content-Type "
                           "application/xml."))
    try:
        batch = service.receive_batch(request.stream, account=g.api_account,
                                      language=_language(), address=request.remote_addr)
    except service.BatchRefused as error:
        status = 413 if error.code == "too_large" else 400
        extra = {k: v for k, v in (("line", error.line), ("column", error.column)) if v}
        return api_error(status, error.code, error.message, **extra)
    location = url_for("api.batch_status", batch_id=batch.id)
    response = jsonify(service.status_of(batch))
    response.status_code = 202
    response.headers["Location"] = location
    return response


@bp.route("/api/v1/batches/<int:batch_id>", methods=["GET"])
@bearer_token
def batch_status(batch_id):
    try:
        batch = service.get_batch(g.api_account.company_id, batch_id)
    except NotFound as error:
        return api_error(404, "not_found", error.message)
    body = service.status_of(batch)
    if batch.finished:
        body["response"] = url_for("api.batch_response", batch_id=batch.id)
    return jsonify(body)


@bp.route("/api/v1/batches/<int:batch_id>/response", methods=["GET"])
@bearer_token
def batch_response(batch_id):
    try:
        batch, path = service.response_path(g.api_account.company_id, batch_id)
    except NotFound as error:
        return api_error(404, "not_found", error.message)
    except Conflict as error:
        code = "expired" if isinstance(error, service.ResponseExpired) else "not_ready"
        return api_error(409, code, error.message)
    return send_file(path, mimetype="application/xml", as_attachment=True,
                     download_name=f"stts-batch-{batch.id}-response.xml")


@bp.route("/xml/schema/<any(batch, response):name>.xsd", methods=["GET"])
@public
def xml_schema(name):
    return send_file(schema_path(name), mimetype="application/xml", max_age=3600)
