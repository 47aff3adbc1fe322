"""Shared form handling: one way to show a service's refusal on a form."""
from __future__ import annotations

from flask import abort

from stts.services import Conflict, NotFound, ServiceError


def apply_service_error(form, error: ServiceError) -> int:
    """Put the refusal on its field (or on the form) and return the status to answer with:
    404 for an object that is not the user's, 409 for a stale edit, 422 otherwise."""
    if isinstance(error, NotFound):
        abort(404)
    field = form[error.field] if error.field and error.field in form else None
    if field is not None:
        field.errors = list(field.errors or []) + [error.message]
    else:
        form.form_errors.append(error.message)
    return 409 if isinstance(error, Conflict) else 422
