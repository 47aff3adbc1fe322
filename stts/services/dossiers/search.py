"""Search the company's dossiers (any combination of the desk's filters) and export them."""
from __future__ import annotations

import functools
from datetime import timedelta

from peewee import SQL, NodeList

from stts import fastsql
from stts.db import is_sqlite
from stts.i18n import format_day
from stts.identifiers import format_phone_for_spreadsheet, mask_national_number
from stts.labels import CATEGORY_LABELS, SERVICE_LABELS, STATE_LABELS, label
from stts.models import Beneficiary, Dossier
from stts.pagination import Page, count_up_to, paginate_ids
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
        _prefix_values(values, "last_name", words[0], ranged=True)
        if len(words) > 1:
            _prefix_values(values, "first_name", " ".join(words[1:]), ranged=is_sqlite())
    for name in ("phone_number", "customer_number", "state", "category", "created_from",
                 "activated_from", "activated_to"):
        if filters.get(name):
            values[name] = filters[name]
    if filters.get("created_to"):
        values["created_before"] = filters["created_to"] + timedelta(days=1)
    return values


def _prefix_values(values: dict, name: str, text: str, *, ranged: bool) -> None:
    key = search_key(text)
    values[f"{name}_like"] = like_prefix(key)
    if key and ranged:
        # The same prefix as a range of the byte-ordered key (keys are folded, so code-point
        # order is exact), which an index reads whatever the plan: SQLite's LIKE is
        # case-insensitive and cannot use a BINARY index, and PostgreSQL's generic plan of a
        # prepared statement cannot turn a LIKE parameter into a range. PostgreSQL compares
        # the last-name key in the C collation (migration 0022); the first-name key is only
        # ranged on SQLite.
        values[f"{name}_from"] = key
        values[f"{name}_to"] = key[:-1] + chr(ord(key[-1]) + 1)


def _prefix(column, name: str, names):
    Param = fastsql.Param
    condition = NodeList((column, SQL("LIKE"), Param(f"{name}_like"), SQL("ESCAPE '\\'")))
    if f"{name}_from" in names:
        condition = ((column >= Param(f"{name}_from")) & (column < Param(f"{name}_to"))
                     & condition)
    return condition


# Which index a search walks, chosen from its filters, most selective first: an exact value
# (national number, phone, customer number) finds a handful of dossiers, sorted afterwards;
# otherwise one of the three covering indexes of migration 0020, already in the list's order,
# tests the other filters inside the index and stops when the page (or the count's limit) is
# full. A combination that no index narrows costs at most one walk of the company's entries
# of that index, never a sort of its matches nor a read of the rows it does not show.
SEARCH_INDEXES = (
    ("national_number", None),  # the person's unique index, then their dossiers
    ("phone_number", "dossier_company_id_phone_number"),
    ("customer_number", "dossier_company_id_customer_number"),
    ("last_name_like", "dossier_search_name"),
    ("state", "dossier_search_state"),
)
DEFAULT_INDEX = "dossier_search_date"


def search_index(names) -> str | None:
    """The index the search of filters ``names`` walks (None: the planner's choice)."""
    return next((index for name, index in SEARCH_INDEXES if name in names), DEFAULT_INDEX)


# A walk of a covering index in the list's order stops when the page is full, so it is as
# long as the matches are rare: a category or an activation period that few of the
# company's dossiers have would walk all of its entries (20,000 at a million). Such a
# filter has an index of its own (migration 0021), which finds its matches directly but
# not in the list's order, and carries every column the other filters test and the order
# sorts by. Before the walk, each of these ranges is counted up to ``NARROW_LIMIT``; the
# smallest under the limit is read instead and its matches sorted, inside the index. A
# search that an exact value or a name already narrows keeps its index.
NARROW_INDEXES = (
    (("category",), "dossier_narrow_category"),
    (("activated_from", "activated_to"), "dossier_narrow_activation"),
)
NARROW_LIMIT = 2000


def narrow_index(values: dict, names) -> str | None:
    """The index of a filter with fewer than ``NARROW_LIMIT`` matches in the company (the
    fewest), if the search would otherwise walk a covering index in the list's order. On
    SQLite only: PostgreSQL has no index hint; its planner weighs the same choice from its
    statistics."""
    if not is_sqlite() or search_index(names) not in ("dossier_search_state", DEFAULT_INDEX):
        return None
    found = None
    for filters, index in NARROW_INDEXES:
        used = tuple(name for name in filters if name in names)
        if not used:
            continue
        matches = count_up_to(("dossier-narrow", index, used),
                              functools.partial(_probe, used, index),
                              {name: values[name] for name in ("company", *used)}, NARROW_LIMIT)
        if matches < NARROW_LIMIT and (found is None or matches < found[0]):
            found = (matches, index)
    return found[1] if found else None


def _probe(used, index):
    return (Dossier.select(Dossier.id).from_(NodeList((Dossier, SQL(f"INDEXED BY {index}"))))
            .where(Dossier.company == fastsql.Param("company"), *_conditions(used)))


def _source(names, index: str | None = None):
    """The dossier table, pinned on SQLite (``INDEXED BY``) to ``index`` or else to the index
    ``search_index`` chooses: its planner otherwise takes the narrowest matching index and
    sorts every match for the page. On PostgreSQL the covering indexes and the statistics
    lead the planner to the same walk, as the plan tests show."""
    index = index or search_index(names)
    if index is None or not is_sqlite():
        return Dossier
    return NodeList((Dossier, SQL(f"INDEXED BY {index}")))


def _conditions(names) -> list:
    """The conditions of the filters ``names`` that compare a dossier column to a value."""
    Param = fastsql.Param
    conditions = []
    for name in ("phone_number", "customer_number", "state", "category"):
        if name in names:
            conditions.append(getattr(Dossier, name) == Param(name))
    if "created_from" in names:
        conditions.append(Dossier.created_at >= Param("created_from", Dossier.created_at))
    if "created_before" in names:
        conditions.append(Dossier.created_at < Param("created_before", Dossier.created_at))
    if "activated_from" in names:
        conditions.append(Dossier.activation_date >= Param("activated_from",
                                                           Dossier.activation_date))
    if "activated_to" in names:
        conditions.append(Dossier.activation_date <= Param("activated_to",
                                                           Dossier.activation_date))
    return conditions


def _filtered(query, names, *, joined: bool, index: str | None = None):
    """``query`` (on Dossier, with Beneficiary joined when ``joined``) narrowed by the filters
    ``names`` (keys of ``_search_values``), written with ``Param``s, on ``index`` or the
    index ``search_index`` chooses. Both name keys are copied on the dossier (migration
    0020), so the filters never need the person."""
    Param = fastsql.Param
    query = query.from_(_source(names, index))
    if joined:
        query = query.join(Beneficiary, on=(Dossier.beneficiary == Beneficiary.id))
    query = query.where(Dossier.company == Param("company"))
    if "national_number" in names:
        query = query.where(Dossier.beneficiary.in_(
            Beneficiary.select(Beneficiary.id)
            .where(Beneficiary.national_number == Param("national_number"))))
    if "last_name_like" in names:
        query = query.where(_prefix(Dossier.last_name_key, "last_name", names))
    if "first_name_like" in names:
        query = query.where(_prefix(Dossier.first_name_key, "first_name", names))
    conditions = _conditions(names)
    return query.where(*conditions) if conditions else query


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


def search_dossiers(user, filters: dict, page: int = 1, cursor=None) -> Page:
    """One page of the user's company's dossiers matching ``filters`` (already cleaned),
    newest first (by name first for a name search). The count and the page's ids come from
    the dossier indexes alone (a deep page skips index entries, not joined rows), then one
    query reads the page's 25 rows with their persons (``RESULT_COLUMNS``, as dicts). Two
    prepared statements whatever the page and its size. ``cursor`` (``pagination.cursor_arg``)
    is the pager's: the next or previous page read from the row it names (keyset pages)."""
    values = _search_values(user, filters)
    names = tuple(sorted(values))
    index = narrow_index(values, names)
    return paginate_ids(
        ("dossier-search", names, index),
        lambda: _filtered(Dossier.select(Dossier.id), names, joined=False, index=index),
        values, page, PAGE_SIZE, _order(names), lambda in_page: (
            Dossier.select(*RESULT_COLUMNS).join(Beneficiary).where(in_page).dicts()),
        cursor=cursor, key_of=lambda row: row["id"],
        scope=lambda: Dossier.company == fastsql.Param("company"), count_first=True)


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
        Dossier.select(*EXPORT_COLUMNS), names, joined=True)
        .order_by(*_order(names)).tuples(), **values)
    for (id_, nrn, last_name, first_name, category, service, phone, customer, state,
         activated, ended, created) in rows.iterator():
        yield [id_, mask_national_number(nrn), last_name, first_name,
               label(CATEGORY_LABELS, category), label(SERVICE_LABELS, service),
               format_phone_for_spreadsheet(phone), customer or "", label(STATE_LABELS, state),
               format_day(activated), format_day(ended), format_day(created)]


