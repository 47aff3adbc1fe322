"""Cached, parametrized SQL for the hot paths: XML batches apply thousands of messages, and
every request loads its session and searches.

Peewee builds the SQL text from an expression tree on every call, which costs more than
SQLite takes to run the statement. These helpers build each statement shape once per process
and only bind values; values still go through the fields' ``db_value`` and defaults, so the
rows are exactly what ``Model.create`` writes. Placeholders are written ``{p}`` and become the
driver's (``?`` on SQLite, ``%s`` on PostgreSQL); values are always bound, never formatted.

``select`` does the same for a Peewee select: the query is written with ``Param("name")``
where its values go, its SQL is generated once per shape, and its rows are the models (or
tuples) Peewee would give.
"""
from __future__ import annotations

from flask import current_app, has_app_context
from peewee import Node

from stts.db import database, is_sqlite

_cache: dict = {}


class _Slot:
    __slots__ = ("name", "convert")

    def __init__(self, name: str, convert):
        self.name = name
        self.convert = convert


class Param(Node):
    """A value of a prepared query, bound by name at each execution."""

    def __init__(self, name: str, field=None):
        self.slot = _Slot(name, field.db_value if field is not None else None)

    def __sql__(self, ctx):
        return ctx.value(self.slot, converter=False)


def select(key, build, **values):
    """Run the query ``build()`` returns for the shape ``key`` with ``values`` bound to its
    ``Param``s; ``build`` runs once per process and shape. The key must name everything
    that changes the SQL text. The cached statement is what runs, in tests as in
    production; under TESTING each call also builds the query again and fails if its SQL
    differs from the cached one (a key that lied)."""
    cache_key = (type(database.obj), "select", key)
    entry = _cache.get(cache_key)
    if entry is None:
        query = build()
        entry = _cache[cache_key] = (query, *query.sql())
    elif has_app_context() and current_app.testing:
        text = build().sql()[0]
        if entry[1] != text:
            raise AssertionError(f"prepared query {key!r} changed shape:\n{entry[1]}\n{text}")
    query, text, params = entry
    bound = [
        (value.convert(values[value.name]) if value.convert else values[value.name])
        if isinstance(value, _Slot) else value
        for value in params
    ]
    return rows_of(query, database.execute_sql(text, bound), plan_key=cache_key)


# What a cursor wrapper works out from the query and the cursor's columns before its first
# row (which model and converter each column goes to): the same for every execution of one
# statement, and for a session joined to its user and company it cost more than the
# statement itself. Kept per shape; the rest of a wrapper's state is its own cursor's.
_row_plans: dict = {}
_PER_CURSOR = frozenset(("cursor", "count", "index", "initialized", "populated", "row_cache"))


def rows_of(query, cursor, plan_key=None):
    """The rows of ``cursor`` as ``query`` gives them (models with their joined models,
    dicts, tuples or namedtuples). Peewee has no public call that wraps a cursor a query
    did not run itself: this is the one place that uses its private ``_get_cursor_wrapper``
    and its wrappers' lazy ``initialize`` (tests/unit/test_fastsql.py compares every row
    type with Peewee's own execution). ``plan_key``: the statement's shape, whose row plan
    is worked out once per process."""
    wrapper = query._get_cursor_wrapper(cursor)
    if plan_key is None or cursor.description is None:
        return wrapper
    plan = _row_plans.get(plan_key)
    if plan is None:
        wrapper.initialize()
        plan = _row_plans[plan_key] = {name: value for name, value in vars(wrapper).items()
                                       if name not in _PER_CURSOR}
    else:
        vars(wrapper).update(plan)
    wrapper.initialized = True
    return wrapper


def cached_shapes() -> int:
    """How many statement shapes this process has built (tests, diagnostics)."""
    return len(_cache)


def sql(template: str) -> str:
    """``template`` with ``{p}`` replaced by the database's placeholder (cached)."""
    key = (type(database.obj), template)
    text = _cache.get(key)
    if text is None:
        text = _cache[key] = template.replace("{p}", database.param)
    return text


def execute(template: str, params=()):
    return database.execute_sql(sql(template), params)


def insert(model, values: dict) -> int:
    """INSERT one row of ``model`` (field name → Python value); returns the new id."""
    names = tuple(values)
    sqlite = is_sqlite()
    key = (type(database.obj), model, names)
    entry = _cache.get(key)
    if entry is None:
        fields = tuple(model._meta.fields[name] for name in names)
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        marks = ", ".join([database.param] * len(fields))
        # Identifiers come from the model's metadata, values are bound: no injection.
        text = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'  # noqa: S608 # nosec B608
        if not sqlite:
            text += ' RETURNING "id"'
        entry = _cache[key] = (text, fields)
    text, fields = entry
    cursor = database.execute_sql(text, [field.db_value(values[field.name]) for field in fields])
    return cursor.lastrowid if sqlite else cursor.fetchone()[0]


def create(model, **values):
    """Like ``model.create(**values)`` (defaults included) through a cached INSERT."""
    instance = model(**values)
    data = {name: value for name, value in instance.__data__.items()
            if name != model._meta.primary_key.name}
    setattr(instance, model._meta.primary_key.name, insert(model, data))
    return instance
