"""The eligibility check, behind a small interface (see docs/eligibility.md).

The application asks one question — "is this person entitled to the social tariff on this
day, in which category, in which household?" — through ``get_source().check(...)``. The
default source reads a snapshot table loaded by ``flask stts import-eligibility FILE.csv``;
a web-service adapter (Crossroads Bank) replaces it by setting ``ELIGIBILITY_SOURCE`` to a
dotted path ``package.module:ClassName`` whose instances implement ``EligibilitySource``.
"""
from __future__ import annotations

import csv
import importlib
import io
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from flask import current_app

from stts import fastsql
from stts.db import database
from stts.identifiers import InvalidIdentifier, clean_national_number
from stts.models import EligibilityRecord
from stts.models.dossiers import CATEGORIES
from stts.services.audit import record_event


@dataclass(frozen=True)
class Eligibility:
    """The answer of the source. ``known`` is False when the source has never heard of the
    person; ``eligible`` is True only when a right is valid on the asked day."""

    known: bool
    eligible: bool = False
    category: str | None = None
    household_id: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    valid_to: date | None = None


@runtime_checkable
class EligibilitySource(Protocol):
    def check(self, national_number: str, on: date) -> Eligibility:
        """Answer for one (already validated) national register number on day ``on``."""
        ...


class SnapshotSource:
    """The default: the ``eligibility_record`` table (one row per right period)."""

    # One indexed lookup with a statement built once (see stts/fastsql.py): the check runs
    # for every request, on the desk and in XML batches.
    COLUMNS = ("valid_from", "valid_to", "category", "household_id", "last_name", "first_name",
               "street", "postcode", "city")
    QUERY = ("SELECT valid_from, valid_to, category, household_id, last_name, first_name, "
             "street, postcode, city FROM eligibility_record "
             "WHERE national_number = {p} ORDER BY valid_from DESC, id DESC")

    def check(self, national_number: str, on: date) -> Eligibility:
        R = EligibilityRecord  # noqa: N806
        rows = []
        for raw in fastsql.execute(self.QUERY, (national_number,)).fetchall():
            row = dict(zip(self.COLUMNS, raw, strict=True))
            row["valid_from"] = R.valid_from.python_value(row["valid_from"])
            row["valid_to"] = R.valid_to.python_value(row["valid_to"])
            rows.append(row)
        if not rows:
            return Eligibility(known=False)
        current = [r for r in rows
                   if r["valid_from"] <= on and (r["valid_to"] is None or r["valid_to"] >= on)]
        row = current[0] if current else rows[0]
        return Eligibility(
            known=True, eligible=bool(current), category=row["category"],
            household_id=row["household_id"], last_name=row["last_name"],
            first_name=row["first_name"], street=row["street"], postcode=row["postcode"],
            city=row["city"], valid_to=row["valid_to"],
        )


def get_source() -> EligibilitySource:
    spec = current_app.config.get("ELIGIBILITY_SOURCE")
    if not spec:
        return SnapshotSource()
    module_name, _, class_name = spec.partition(":")
    source = getattr(importlib.import_module(module_name), class_name)()
    if not isinstance(source, EligibilitySource):
        raise TypeError(f"{spec} does not implement EligibilitySource")
    return source


# --- the snapshot import -------------------------------------------------------------------

COLUMNS = ("national_number", "category", "valid_from", "valid_to", "household_id",
           "last_name", "first_name", "street", "postcode", "city")
REQUIRED = ("national_number", "category", "valid_from", "household_id")


@dataclass
class ImportReport:
    loaded: int = 0
    errors: list[tuple[int, str]] = None

    def __post_init__(self):
        self.errors = self.errors or []


def _parse_row(row: dict) -> dict:

    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            raise ValueError(f"missing {name}")
    try:
        nrn = clean_national_number(row["national_number"])
    except InvalidIdentifier:
        raise ValueError("invalid national_number") from None
    category = row["category"].strip().upper()
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    try:
        valid_from = date.fromisoformat(row["valid_from"].strip())
        raw_to = (row.get("valid_to") or "").strip()
        valid_to = date.fromisoformat(raw_to) if raw_to else None
    except ValueError:
        raise ValueError("dates must be YYYY-MM-DD") from None
    if valid_to and valid_to < valid_from:
        raise ValueError("valid_to before valid_from")
    values = {"national_number": nrn, "category": category, "valid_from": valid_from,
              "valid_to": valid_to}
    for name in ("household_id", "last_name", "first_name", "street", "postcode", "city"):
        value = (row.get(name) or "").strip()
        values[name] = value[:200] or None
    return values


def import_snapshot(text_stream, *, replace: bool = True) -> ImportReport:
    """Load a CSV snapshot (header line with COLUMNS). Bad lines are reported with their line
    number and skipped; good lines are loaded. ``replace`` swaps the whole snapshot atomically."""
    report = ImportReport()
    reader = csv.DictReader(text_stream)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        report.errors.append((1, "missing columns: " + ", ".join(missing)))
        return report
    rows = []
    for row in reader:
        try:
            rows.append(_parse_row(row))
        except ValueError as error:
            report.errors.append((reader.line_num, str(error)))
    with database.atomic():
        if replace:
            EligibilityRecord.delete().execute()
        for start in range(0, len(rows), 500):
            EligibilityRecord.insert_many(rows[start:start + 500]).execute()
        report.loaded = len(rows)
        record_event("eligibility.imported", actor=None, object_type="eligibility",
                     loaded=report.loaded,
                     rejected=len(report.errors))
    return report


def import_snapshot_text(text: str, **kwargs) -> ImportReport:
    return import_snapshot(io.StringIO(text), **kwargs)
