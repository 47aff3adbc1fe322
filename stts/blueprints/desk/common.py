"""Small helpers shared by the desk's views."""
from flask import redirect

from stts.htmx import hx_redirect, is_htmx


def done(url: str):
    """After a successful change: a full navigation to ``url`` (303, or HX-Redirect)."""
    return hx_redirect(url) if is_htmx() else redirect(url, 303)


def show_error(form, error) -> None:
    """Put a service refusal on its field, or on the form when it names none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def page_arg(value) -> int:
    try:
        return max(1, int(value or 1))
    except (TypeError, ValueError):
        return 1
