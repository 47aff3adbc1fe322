"""The structured-message API (token auth, JSON errors) and the public XML schemas.

No cookies and no CSRF here: a technical account authenticates every request with
``Authorization: Bearer <token>``. Documented in docs/xml.md.
"""
from flask import Blueprint

bp = Blueprint("api", __name__)

from stts.blueprints.api import views  # noqa: E402,F401
