"""The one pagination helper: a page of rows with its position, for every list."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from flask import request
from peewee import SQL, Ordering, Select, fn

from stts import fastsql
from stts.db import database, is_sqlite

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
    # Keyset pages (``paginate_ids`` with ``key_of``): the keys of the first and last rows,
    # which the pager's links carry (``before`` / ``after``), and whether a row follows.
    first_key: int | None = None
    last_key: int | None = None
    more: bool | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        if self.more is not None:
            return self.more
        return self.page < self.pages or not self.exact


def paginate(query, page: int, size: int) -> Page:
    """Rows of ``page`` (1-based, clamped to the last page) of an ordered ``query``."""
    total = query.count()
    page = max(1, min(page, max(1, -(-total // size))))
    return Page(rows=list(query.paginate(page, size)), page=page, total=total, size=size)


def paginate_log(key, branches: dict, values: dict, page: int, size: int, order) -> Page:
    """Like ``paginate`` for a list that only grows and whose length nobody reads (a log):
    not counted. The page reads one row more than it shows, to know whether another page
    follows, and its pager says "Page 3" with Previous and Next links; a page past the end
    shows the last one.

    The log is the rows of one or more ``branches`` (name → ``build()``, a query in the
    log's order written with ``Param``s that ``values`` binds), each a prepared statement
    (``stts.fastsql``, shape ``key`` and name) that reads no further than the end of the
    page: with an index in that order, page 1 costs the same however long the log. Their
    rows are merged by ``order(row)``, ascending."""
    reach = page * size + 1
    merged = sorted(itertools.chain.from_iterable(
        fastsql.select((key, name), lambda build=build: build().limit(fastsql.Param("reach")),
                       **values, reach=reach)
        for name, build in sorted(branches.items())), key=order)
    found = merged[(page - 1) * size:reach]
    if found or page == 1:
        more = len(found) > size
        found = found[:size]
        return Page(rows=found, page=page, total=(page - 1) * size + len(found), size=size,
                    exact=not more, more=more)
    # Past the end: every branch ended before the page did, so the log is all here.
    last = max(1, -(-len(merged) // size))
    return Page(rows=merged[(last - 1) * size:last * size], page=last, total=len(merged),
                size=size)


def page_arg(value) -> int:
    """A page number from untrusted input: anything odd means the first page."""
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except (TypeError, ValueError):
        return 1


def cursor_arg(args) -> tuple[str, int] | None:
    """The keyset cursor of a page link from untrusted input: ("after", id) or ("before",
    id); anything odd means none (the page is then found by its number)."""
    for direction in ("after", "before"):
        value = args.get(direction)
        if value:
            try:
                number = int(value)
            except (TypeError, ValueError):
                return None
            return (direction, number) if 0 < number <= 2**63 - 1 else None
    return None


def paginate_ids(key, ids, values: dict, page: int, size: int, order, load, *,
                 cursor: tuple[str, int] | None = None, key_of=None, scope=None,
                 count_first: bool = False) -> Page:
    """Like ``paginate`` for big lists, in two prepared statements (``stts.fastsql``) whatever
    the page and its size (one for a first page that is not full). ``ids()`` builds the
    filtered query of primary keys alone (no joins), written with ``Param``s that ``values``
    binds; ``key`` names its shape. The count
    (up to ``COUNT_LIMIT``, or just past the page asked for) and the skipped rows of a deep
    page read one index; ``load(in_page)`` then builds the query of the page's rows with
    their joins, read in ``order``.

    With ``key_of`` (a row's primary key), the page carries its first and last keys and the
    pager's links carry them as a cursor: the next page is the rows that follow the last one
    in ``order`` (``cursor=("after", key)``), the previous one the rows before the first
    (keyset pages). Such a page reads the cursor's row (by its primary key, within
    ``scope()``, a condition on the owner: another company's row is no cursor), then
    ``size + 1`` index entries from there, and counts only up to ``COUNT_LIMIT``: page 300
    costs what page 2 costs. A page asked by its number alone (a typed or bookmarked
    ``page=300``), or whose cursor is unknown, skips index entries.

    ``count_first``: the list is a slice of a big table (a company's dossiers or tasks), whose
    matches may be rare among the entries walked in its order; on PostgreSQL it is counted
    first and a short one read from its matches (``_counted_first``). A company's users are
    a few hundred at most: walked in order, as on SQLite."""
    if cursor is not None and key_of is not None and scope is not None:
        found = _keyset_page(key, ids, values, page, size, order, load, cursor, key_of, scope)
        if found is not None:
            return found
    if count_first and not is_sqlite():
        return _counted_first(key, ids, values, page, size, order, load, key_of)
    if page == 1:
        # The first page first: when it is not full it is the whole list, and the count (a
        # second walk of the index, the whole walk when few rows match) is not needed.
        found = _offset_rows(key, ids, values, size, order, load, 0)
        if len(found) < size:
            return Page(rows=found, page=1, total=len(found), size=size, **_keys(found, key_of))
    limit = max(COUNT_LIMIT, page * size) + 1
    counted = count_up_to(key, ids, values, limit)
    exact = counted < limit
    total = counted if exact else limit - 1
    if page == 1:
        return Page(rows=found, page=1, total=total, size=size, exact=exact,
                    **_keys(found, key_of))
    if exact:
        page = max(1, min(page, max(1, -(-total // size))))
    if not total:
        return Page(rows=[], page=page, total=0, size=size)
    found = _offset_rows(key, ids, values, size, order, load, (page - 1) * size)
    return Page(rows=found, page=page, total=total, size=size, exact=exact,
                **_keys(found, key_of))


# PostgreSQL prepares a statement run five times with a generic plan, made without the
# values: it cannot know that a category or a period is rare in one company, and walks the
# index in the list's order to the end of the company's entries looking for a page that is
# not there (20,000 entries at a million for a search that finds nothing). So the count
# comes first, from the index the filters alone choose. Nothing matched: no second
# statement. A list of at most ``SORT_LIMIT`` rows (ten pages) is read from its matches and
# sorted, which costs no more than a walk of a few pages (the subquery's OFFSET keeps the
# planner from walking the list's order). A longer list is dense enough that the walk in
# the list's order finds its page soon: 250 matches are one entry in 80 of an operator's
# 20,000 dossiers.
SORT_LIMIT = 250


def _counted_first(key, ids, values, page, size, order, load, key_of) -> Page:
    limit = max(COUNT_LIMIT, page * size) + 1
    counted = count_up_to(key, ids, values, limit)
    exact = counted < limit
    total = counted if exact else limit - 1
    if exact:
        page = max(1, min(page, max(1, -(-total // size))))
    if not total:
        return Page(rows=[], page=page, total=0, size=size)
    offset = (page - 1) * size
    if exact and total <= SORT_LIMIT:
        found = _sorted_matches(key, ids, values, size, order, load, offset)
    else:
        found = _offset_rows(key, ids, values, size, order, load, offset)
    return Page(rows=found, page=page, total=total, size=size, exact=exact,
                **_keys(found, key_of))


def _sorted_matches(key, ids, values, size, order, load, offset) -> list:
    """A page of a short list (PostgreSQL): every match read through the index the filters
    choose, then sorted; the same rows in the same order as ``_offset_rows``."""
    def rows():
        columns = _columns(order)
        model = ids().model
        matches = ids().select_extend(*(column for column, _ in columns
                                        if column is not model._meta.primary_key)
                                      ).offset(fastsql.Param("fence")).alias("matches")
        terms = [getattr(matches.c, column.column_name) for column, _ in columns]
        page_ids = (Select([matches], [getattr(matches.c, model._meta.primary_key.column_name)])
                    .order_by(*(term.desc() if descending else term.asc()
                                for term, (_, descending) in zip(terms, columns, strict=True)))
                    .limit(fastsql.Param("limit")).offset(fastsql.Param("offset")))
        return load(model._meta.primary_key.in_(page_ids)).order_by(*order)

    return list(fastsql.select((key, "sorted page"), rows, **values, limit=size,
                               offset=offset, fence=0))


def _offset_rows(key, ids, values, size, order, load, offset) -> list:
    def rows():
        page_ids = ids().order_by(*order).limit(fastsql.Param("limit")).offset(
            fastsql.Param("offset"))
        return load(ids().model._meta.primary_key.in_(page_ids)).order_by(*order)

    return list(fastsql.select((key, "page"), rows, **values, limit=size, offset=offset))


def _keys(rows, key_of) -> dict:
    if key_of is None or not rows:
        return {}
    return {"first_key": key_of(rows[0]), "last_key": key_of(rows[-1])}


def count_up_to(key, ids, values: dict, limit: int) -> int:
    """How many rows ``ids()`` matches, counted no further than ``limit`` (one index range
    of at most that many entries): a prepared statement of shape ``key``, ``ids`` written
    with ``Param``s that ``values`` binds."""
    ((counted,),) = fastsql.select((key, "count"), lambda: Select(
        [ids().limit(fastsql.Param("count_limit")).alias("matches")],
        [fn.COUNT(SQL("1"))]).bind(database).tuples(), **values, count_limit=limit)
    return counted


def _columns(order):
    """(column, descending) of each term of an ORDER BY."""
    return [(term.node, term.direction == "DESC") if isinstance(term, Ordering)
            else (term, False) for term in order]


def _beyond(columns, forward: bool):
    """The rows after the cursor's (``Param``s ``k0``, ``k1``…) in the order of ``columns``,
    or before it when not ``forward``: a range on the first column (so the index is entered
    at the cursor) and the exact row-by-row comparison."""
    Param = fastsql.Param

    def past(column, descending, name, strict=True):
        value = Param(name, column)
        if descending == forward:
            return column < value if strict else column <= value
        return column > value if strict else column >= value

    exact = None
    for position in reversed(range(len(columns))):
        column, descending = columns[position]
        term = past(column, descending, f"k{position}")
        exact = term if exact is None else term | (
            (column == Param(f"k{position}", column)) & exact)
    first, descending = columns[0]
    return past(first, descending, "k0", strict=False) & exact


def _keyset_page(key, ids, values, page, size, order, load, cursor, key_of,
                 scope) -> Page | None:
    direction, cursor_key = cursor
    forward = direction == "after"
    counted = count_up_to(key, ids, values, COUNT_LIMIT + 1)
    exact = counted <= COUNT_LIMIT
    total = min(counted, COUNT_LIMIT)
    if page < 2 or (exact and page > max(1, -(-total // size))):
        return None  # a first page, or a stale link: found by its number
    columns = _columns(order)
    model = ids().model
    primary_key = model._meta.primary_key
    found = list(fastsql.select((key, "cursor"), lambda: model.select(
        *(column for column, _descending in columns)).where(
        (primary_key == fastsql.Param("cursor")) & scope()).tuples(), **values,
        cursor=cursor_key))
    if not found:
        return None  # an unknown row (or another company's): found by its number
    bounds = {f"k{position}": value for position, value in enumerate(found[0])}

    def rows():
        walk = order if forward else [
            column.asc() if descending else column.desc() for column, descending in columns]
        page_ids = ids().where(_beyond(columns, forward)).order_by(*walk).limit(
            fastsql.Param("limit"))
        return load(primary_key.in_(page_ids)).order_by(*order)

    read = list(fastsql.select((key, direction), rows, **values, **bounds, limit=size + 1))
    if forward:
        more, read = len(read) > size, read[:size]
    else:
        more, read = True, read[-size:]
    if not read:
        return None
    return Page(rows=read, page=page, total=total, size=size, exact=exact, more=more,
                **_keys(read, key_of))


def query_args(**changes) -> dict:
    """The current query's arguments with ``changes`` (None removes one), for the links of a
    list (pages, sorting, export): ``url_for(endpoint, **query_args(page=2))``. A national
    register number put in a query string is never carried on into a link."""
    args = {key: [value for value in values if value != ""]
            for key, values in request.args.lists() if key != "national_number"}
    args = {key: values for key, values in args.items() if values}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return args
