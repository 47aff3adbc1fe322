"""The institution's back-office: access requests, dossier review, the National Register
feed, the yearly check, the audit trail.

Importing the package registers its views on ``bp``.
"""
from stts.blueprints.backoffice import access_requests, audit, register, review, unlock, views  # noqa: F401 (the views)
from stts.blueprints.backoffice.blueprint import bp  # noqa: F401
