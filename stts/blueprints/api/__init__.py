"""The structured-message API (token auth, JSON errors) and the public XML schemas.

No cookies and no CSRF here: a technical account authenticates every request with
``Authorization: Bearer <token>``. Documented in docs/xml.md.

Importing the package registers its views on ``bp``.
"""
from stts.blueprints.api import views  # noqa: F401 (the views)
from stts.blueprints.api.blueprint import bp  # noqa: F401
