"""Shared form handling: the base of every form, and one way to show a service's refusal."""
from __future__ import annotations

import functools
import re
from decimal import Decimal

from babel.numbers import format_decimal
from babel.support import Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

from stts.i18n import format_money
from stts.i18n import lazy_gettext as _l
from stts.identifiers import InvalidIdentifier
from stts.services import Conflict, ServiceError
from stts.services.locking import changes_since

CHOOSE = _l("Choose...")
"""The label of the first, empty option of a required select: every select starts on a
labelled prompt, never on an empty unlabelled option."""


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


_AMOUNT = re.compile(r"([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,]([0-9]{1,2}))?")


def parse_amount(text: str) -> Decimal:
    """An amount of euros as a person types it: 12,50 or 12.50 (a decimal comma or point),
    thousands grouped by spaces if at all. Anything a reader could take two ways (1.250,
    1,250, 1.250,50) or that is not an amount raises ValueError."""
    cleaned = (text or "").strip().removesuffix("€").removeprefix("€").strip()
    found = _AMOUNT.fullmatch(cleaned)
    if not found:
        raise ValueError(cleaned)
    whole, cents = found.groups()
    return Decimal(re.sub(r"\D", "", whole) + "." + (cents or "0").ljust(2, "0"))


class MoneyField(StringField):
    """An amount in euros: a text input (a number input drops the decimal comma), read with
    ``parse_amount`` and shown back the way of the language (12,50 in French)."""

    def __init__(self, label=None, validators=None, maximum=Decimal("99999"), **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist):
        self.data = None
        self.raw = (valuelist[0] if valuelist else "") or ""
        if not self.raw.strip():
            return
        try:
            self.data = parse_amount(self.raw)
        except (ValueError, ArithmeticError):
            raise ValidationError(_l("Enter an amount in euros with at most two decimals, "
                                     "for example 12,50 or 12.50.")) from None
        if self.data > self.maximum:
            self.data = None
            raise ValidationError(_l("The amount cannot be more than %(max)s.",
                                     max=format_money(self.maximum)))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(self.data, "0.00", locale=str(get_locale()))


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
    if isinstance(error, Conflict):
        # What the other user changed, shown beside the input kept (errors_summary).
        form.changed_meanwhile = changes_since(error)
        return 409
    return 422
