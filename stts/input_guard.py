"""Input that no person types is refused before any view sees it.

NUL characters cannot be stored in PostgreSQL text and have no meaning in any field: a
request carrying one in its query string or form gets a plain 400 page.
"""
from __future__ import annotations

from flask import abort, request


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def refuse_nul_characters():
    if _has_nul(request.args.values()) or _has_nul(request.args.keys()):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        if _has_nul(request.form.values()) or _has_nul(request.form.keys()):
            abort(400)


def init_app(app) -> None:
    app.before_request(refuse_nul_characters)
