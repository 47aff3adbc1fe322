"""Search the company's dossiers (any combination of the desk's filters) and export them."""
from __future__ import annotations

from datetime import timedelta

from peewee import SQL, NodeList

from stts import fastsql
from stts.db import is_sqlite
from stts.i18n import format_day
from stts.identifiers import format_phone_for_spreadsheet, mask_national_number
from stts.labels import CATEGORY_LABELS, SERVICE_LABELS, STATE_LABELS, label
from stts.models import Beneficiary, Dossier
from stts.pagination import Page, paginate_ids
from stts.services.audit import record_event
from stts.text import like_prefix, search_key

PAGE_SIZE = 25


def _search_values(user, filters: dict) -> dict:
    """The values a search binds, by name; which names are present is the query's shape."""
    values = {"company": user.company_id}
    if filters.get("national_number"):
        values["national_number"] = filters["national_number"]
    if filters.get("name"):
        words = filters["name"].split()
        _prefix_values(values, "last_name", words[0])
        if len(words) > 1:
            _prefix_values(values, "first_name", " ".join(words[1:]))
    for name in ("phone_number", "customer_number", "state", "category", "created_from",
                 "activated_from", "activated_to"):
        if filters.get(name):
            values[name] = filters[name]
    if filters.get("created_to"):
        values["created_before"] = filters["created_to"] + timedelta(days=1)
    return values


def _prefix_values(values: dict, name: str, text: str) -> None:
    key = search_key(text)
    values[f"{name}_like"] = like_prefix(key)
    if key and is_sqlite():
        # SQLite's LIKE is case-insensitive and cannot use a BINARY index: the same prefix as
        # a range (keys are folded, so code-point order is exact) reads the index.
        values[f"{name}_from"] = key
        values[f"{name}_to"] = key[:-1] + chr(ord(key[-1]) + 1)


def _prefix(column, name: str, names):
    Param = fastsql.Param
    condition = NodeList((column, SQL("LIKE"), Param(f"{name}_like"), SQL("ESCAPE '\\'")))
    if f"{name}_from" in names:
        condition = ((column >= Param(f"{name}_from")) & (column < Param(f"{name}_to"))
                     & condition)
    return condition


def _filtered(query, names, *, joined: bool):
    """``query`` (on Dossier, with Beneficiary joined when ``joined``) narrowed by the filters
    ``names`` (keys of ``_search_values``), written with ``Param``s. Every filter reads an
    index: national number through the unique person index, the last name through
    (company, last_name_key), the rest through (company, column)."""
    Param = fastsql.Param
    query = query.where(Dossier.company == Param("company"))
    if "national_number" in names:
        query = query.where(Dossier.beneficiary.in_(
            Beneficiary.select(Beneficiary.id)
            .where(Beneficiary.national_number == Param("national_number"))))
    if "last_name_like" in names:
        query = query.where(_prefix(Dossier.last_name_key, "last_name", names))
    if "first_name_like" in names:
        if not joined:
            query = query.join(Beneficiary)
        query = query.where(_prefix(Beneficiary.first_name_key, "first_name", names))
    for name in ("phone_number", "customer_number", "state", "category"):
        if name in names:
            query = query.where(getattr(Dossier, name) == Param(name))
    if "created_from" in names:
        query = query.where(Dossier.created_at >= Param("created_from", Dossier.created_at))
    if "created_before" in names:
        query = query.where(Dossier.created_at < Param("created_before", Dossier.created_at))
    if "activated_from" in names:
        query = query.where(Dossier.activation_date >= Param("activated_from",
                                                             Dossier.activation_date))
    if "activated_to" in names:
        query = query.where(Dossier.activation_date <= Param("activated_to",
                                                             Dossier.activation_date))
    return query


NEWEST_FIRST = (Dossier.created_at.desc(), Dossier.id.desc())
# A name search lists by name, newest first within a name: the order of its index
# (company, last_name_key, created_at DESC, id DESC), so a page never sorts the matches.
BY_NAME = (Dossier.last_name_key, *NEWEST_FIRST)


def _order(names):
    return BY_NAME if "last_name_like" in names else NEWEST_FIRST


# What the results table shows, as plain rows: a model object per row converts every one of
# the dossier's and the person's forty-odd columns.
RESULT_COLUMNS = (Dossier.id, Dossier.state, Dossier.category, Dossier.phone_number,
                  Dossier.customer_number, Dossier.created_at, Beneficiary.national_number,
                  Beneficiary.last_name, Beneficiary.first_name)


def search_dossiers(user, filters: dict, page: int = 1) -> Page:
    """One page of the user's company's dossiers matching ``filters`` (already cleaned),
    newest first (by name first for a name search). The count and the page's ids come from
    the dossier indexes alone (a deep page skips index entries, not joined rows), then one
    query reads the page's 25 rows with their persons (``RESULT_COLUMNS``, as dicts). Two
    prepared statements whatever the page and its size."""
    values = _search_values(user, filters)
    names = tuple(sorted(values))
    return paginate_ids(
        ("dossier-search", names),
        lambda: _filtered(Dossier.select(Dossier.id), names, joined=False),
        values, page, PAGE_SIZE, _order(names), lambda in_page: (
            Dossier.select(*RESULT_COLUMNS).join(Beneficiary).where(in_page).dicts()))


EXPORT_COLUMNS = (Dossier.id, Beneficiary.national_number, Beneficiary.last_name,
                  Beneficiary.first_name, Dossier.category, Dossier.service,
                  Dossier.phone_number, Dossier.customer_number, Dossier.state,
                  Dossier.activation_date, Dossier.end_date, Dossier.created_at)


def export_rows(user, filters: dict):
    """Rows for the CSV export, streamed from the database (national numbers masked)."""
    record_event("dossier.exported", actor=user, object_type="dossier",
                 filters={k: v for k, v in filters.items() if k != "national_number"})
    values = _search_values(user, filters)
    names = tuple(sorted(values))
    # Only the exported columns, as plain tuples (no model object per row), streamed.
    rows = fastsql.select(("dossier-export", names), lambda: _filtered(
        Dossier.select(*EXPORT_COLUMNS).join(Beneficiary), names, joined=True)
        .order_by(*_order(names)).tuples(), **values)
    for (id_, nrn, last_name, first_name, category, service, phone, customer, state,
         activated, ended, created) in rows.iterator():
        yield [id_, mask_national_number(nrn), last_name, first_name,
               label(CATEGORY_LABELS, category), label(SERVICE_LABELS, service),
               format_phone_for_spreadsheet(phone), customer or "", label(STATE_LABELS, state),
               format_day(activated), format_day(ended), format_day(created)]


