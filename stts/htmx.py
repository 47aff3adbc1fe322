"""htmx helpers: page or fragment, redirects, and the Vary header."""
from __future__ import annotations

from flask import Response, make_response, redirect, request

VARY = "HX-Request, HX-Boosted, HX-History-Restore-Request"


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_fragment() -> bool:
    """A fragment only for a genuine htmx request: not boosted, not a history restore."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def hx_redirect(url: str, status: int = 200) -> Response:
    response = make_response("", status)
    response.headers["HX-Redirect"] = url
    return response


def add_vary(response: Response) -> Response:
    existing = response.headers.get("Vary")
    response.headers["Vary"] = f"{existing}, {VARY}" if existing else VARY
    return response


def redirect_to(url: str, code: int = 302):
    """After a successful change: a redirect for a plain form, a full navigation for htmx
    (a redirect followed inside the XHR would swap the next page into the form)."""
    if is_htmx():
        return hx_redirect(url)
    return redirect(url, code=code)
