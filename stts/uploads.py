"""Upload size limits, the one way: a view that takes a file names the setting of its limit
with ``@upload_limit("XML_MAX_BYTES")``. The limit is set before anything reads the body
(the CSRF check parses it), so a larger upload gets the translated 413 page at once; the
services check the file itself against the same setting."""
from __future__ import annotations

from flask import current_app, request

FORM_FIELDS_ROOM = 64 * 1024  # the form's other fields travel with the file


def upload_limit(setting: str):
    def decorator(view):
        view.stts_upload_limit = setting  # copied onto the guard's wrapper by functools.wraps
        return view

    return decorator


def limit_of(setting: str) -> int:
    return int(current_app.config[setting])


def init_app(app) -> None:
    @app.url_value_preprocessor
    def _apply_upload_limit(endpoint, values):
        view = app.view_functions.get(endpoint)
        setting = getattr(view, "stts_upload_limit", None)
        if setting and request.method == "POST":
            request.max_content_length = limit_of(setting) + FORM_FIELDS_ROOM
