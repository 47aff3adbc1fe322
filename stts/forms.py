"""Shared form handling: the base of every form, and one way to show a service's refusal."""
from __future__ import annotations

import functools

from babel.support import Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

from stts.identifiers import InvalidIdentifier
from stts.services import Conflict, ServiceError


@functools.cache
def _wtforms_translations(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """The base of every form. WTForms' own messages ("This field is required.") come from
    its catalogue, loaded once per language and process: flask-wtf would parse the file
    again on every request."""

    class Meta:
        def get_translations(self, form):
            return _wtforms_translations(str(get_locale()))


def identifier(cleaner, *, replace: bool = True):
    """The one WTForms validator for identifiers, from a cleaner of ``stts.identifiers``: a
    value that is not valid gets the cleaner's translated message; with ``replace`` the field
    then holds the compact form the services take. An empty field is left to
    ``InputRequired`` or ``Optional``."""

    def validate(form, field):
        if not (field.data or "").strip():
            return
        try:
            cleaned = cleaner(field.data)
        except InvalidIdentifier as error:
            raise ValidationError(error.message) from None
        if replace:
            field.data = cleaned

    return validate


def submit(form, call, *, success, failure, current_version=None):
    """The one way a view applies a posted form to a service: ``call(form)`` when the form
    is valid, then ``success(result)`` (a redirect); otherwise ``failure(status)`` shows the
    page again: 422 with the errors on their fields, 409 when the object changed meanwhile
    (the input is kept and ``current_version()`` goes into the form, so that sending it
    again overwrites knowingly). A ``NotFound`` is the 404 page (stts.errors)."""
    status = 422
    if form.validate_on_submit():
        try:
            result = call(form)
        except ServiceError as error:
            status = apply_service_error(form, error)
            if isinstance(error, Conflict) and current_version is not None:
                form.version.data = current_version()
        else:
            return success(result)
    return failure(status)


def apply_service_error(form, error: ServiceError) -> int:
    """Put the refusal on its field (or on the form) and return the status to answer with:
    409 for a stale edit, 422 otherwise."""
    field = form[error.field] if error.field and error.field in form else None
    if field is not None:
        field.errors = list(field.errors or []) + [error.message]
    else:
        form.form_errors.append(error.message)
    return 409 if isinstance(error, Conflict) else 422
