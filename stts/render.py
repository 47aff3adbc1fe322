"""The one render helper: the whole page, or only its fragment for htmx."""
from __future__ import annotations

from flask import make_response, render_template

from stts.htmx import is_fragment


def render(page: str, fragment: str | None = None, *, status: int = 200, **context):
    """Render ``page``; an htmx request gets ``fragment`` (which the page itself includes)."""
    template = fragment if fragment and is_fragment() else page
    response = make_response(render_template(template, **context), status)
    return response
