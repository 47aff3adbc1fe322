"""The one pagination helper: a page of rows with its position, for every list."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request
from peewee import SQL, Select, fn

from stts import fastsql
from stts.db import database

# A long list is counted only this far (or to just past the page asked for): counting every
# match would cost in proportion to the data (16,000 active dossiers of an operator at a
# million), and nobody reads "Page 1 of 642" differently from "more than 1,000".
COUNT_LIMIT = 1000


@dataclass
class Page:
    rows: list
    page: int
    total: int  # the number of rows; when not ``exact``, a number the rows exceed
    size: int
    exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or not self.exact


def paginate(query, page: int, size: int) -> Page:
    """Rows of ``page`` (1-based, clamped to the last page) of an ordered ``query``."""
    total = query.count()
    page = max(1, min(page, max(1, -(-total // size))))
    return Page(rows=list(query.paginate(page, size)), page=page, total=total, size=size)


def page_arg(value) -> int:
    """A page number from untrusted input: anything odd means the first page."""
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except (TypeError, ValueError):
        return 1


def paginate_ids(key, ids, values: dict, page: int, size: int, order, load) -> Page:
    """Like ``paginate`` for big lists, in two prepared statements (``stts.fastsql``) whatever
    the page and its size. ``ids()`` builds the filtered query of primary keys alone (no
    joins), written with ``Param``s that ``values`` binds; ``key`` names its shape. The count
    (up to ``COUNT_LIMIT``, or just past the page asked for) and the skipped rows of a deep
    page read one index; ``load(in_page)`` then builds the query of the page's rows with
    their joins, read in ``order``."""
    limit = max(COUNT_LIMIT, page * size) + 1
    ((counted,),) = fastsql.select((key, "count"), lambda: Select(
        [ids().limit(fastsql.Param("count_limit")).alias("matches")],
        [fn.COUNT(SQL("1"))]).bind(database).tuples(), **values, count_limit=limit)
    exact = counted < limit
    total = counted if exact else limit - 1
    if exact:
        page = max(1, min(page, max(1, -(-total // size))))
    if not total:
        return Page(rows=[], page=page, total=0, size=size)

    def rows():
        page_ids = ids().order_by(*order).limit(fastsql.Param("limit")).offset(
            fastsql.Param("offset"))
        return load(ids().model._meta.primary_key.in_(page_ids)).order_by(*order)

    return Page(rows=list(fastsql.select((key, "page"), rows, **values, limit=size,
                                         offset=(page - 1) * size)),
                page=page, total=total, size=size, exact=exact)


def query_args(**changes) -> dict:
    """The current query's arguments with ``changes`` (None removes one), for the links of a
    list (pages, sorting, export): ``url_for(endpoint, **query_args(page=2))``."""
    args = {key: [value for value in values if value != ""]
            for key, values in request.args.lists()}
    args = {key: values for key, values in args.items() if values}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return args
