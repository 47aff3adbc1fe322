"""The address of a search whose criteria may hold a national register number (the desk's
dossier search, the console's user search): the number never travels in a URL.

The form is read from a POST, or from the query string without the number. A POST with a
number is answered where it is, and the address keeps only the other criteria (htmx
replaces it: no entry in the history); a POST without one goes to the GET address of its
criteria (303 for a plain form, pushed by htmx as a link would be)."""
from __future__ import annotations

from flask import redirect, request, url_for

from stts.htmx import is_htmx

NUMBER = "national_number"


def criteria_form(form_class):
    """The search's form, from the POST or from the query string without the number."""
    if request.method == "POST":
        return form_class(formdata=request.form)
    args = request.args.copy()
    args.pop(NUMBER, None)
    return form_class(formdata=args)


def address_args(form, *, page: bool = True) -> dict:
    """The criteria as query arguments, without the number (links, the address bar)."""
    args = {field.name: field.raw_data[0] for field in form
            if field.name not in (NUMBER, "page") and field.raw_data and field.raw_data[0]}
    if page and request.values.get("page"):
        args["page"] = request.values["page"]
    return args


def by_number(form) -> bool:
    """A search by national register number (only ever a POST)."""
    return request.method == "POST" and bool(form[NUMBER].data)


def answer_search(endpoint: str, form, answer):
    """The response to the search of ``endpoint``: ``answer()`` renders it; a plain POST
    without a number is sent to its GET address instead."""
    numbered = by_number(form)
    if request.method == "POST" and not numbered and not is_htmx():
        return redirect(url_for(endpoint, **address_args(form)), code=303)
    response = answer()
    if request.method == "POST" and is_htmx():
        response.headers["HX-Replace-Url" if numbered else "HX-Push-Url"] = url_for(
            endpoint, **address_args(form))
    return response
