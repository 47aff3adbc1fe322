"""Cached, parametrized SQL for the hot write paths (XML batches apply thousands of messages).

Peewee builds the SQL text from an expression tree on every call, which costs more than
SQLite takes to run the statement. These helpers build each statement shape once per process
and only bind values; values still go through the fields' ``db_value`` and defaults, so the
rows are exactly what ``Model.create`` writes. Placeholders are written ``{p}`` and become the
driver's (``?`` on SQLite, ``%s`` on PostgreSQL); values are always bound, never formatted.
"""
from __future__ import annotations

from stts.db import database, is_sqlite

_cache: dict = {}


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
    instance._dirty.clear()
    return instance
