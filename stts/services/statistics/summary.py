"""The monthly summary (``StatMonth``), rebuilt from the whole dossier history.

The rebuild reads every dossier's actions (in chunks of dossiers, on the (dossier, at)
index), turns each history into spells and events (``history.read``), adds them up per
month, operator, category and service, and replaces the summary in one transaction. It is
idempotent: the same history gives the same rows, whoever runs it and however often. The
periodic worker job ``statistics.refresh`` and ``flask stts stats-rebuild`` both call
``rebuild``.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date, timedelta

from peewee import fn

from stts.db import database, is_sqlite, utcnow, write_transaction
from stts.models import Dossier, DossierAction, Task
from stts.models.statistics import MARKET, StatMonth, StatRefresh
from stts.services.statistics.history import Action, local_day, month_of, read

CHUNK = 2000
ADVISORY_LOCK = 0x5775_1818  # PostgreSQL: the key of the rebuild's transaction lock
INSERT_BATCH = 500


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def snapshot_day(month: date, today: date) -> date:
    """The day a month's "at the end of the month" figures describe (today for this month)."""
    return min(month_end(month), today)


class _Totals:
    """Counts keyed (month, company, category, service, measure, key); each added to the
    operator and to the market."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.state_deltas: Counter = Counter()

    def add(self, month, company, category, service, measure, key, value=1):
        for owner in (company, MARKET):
            self.counts[(month, owner, category, service, measure, key)] += value

    def spell(self, spell, category, today: date):
        for owner in (spell.company_id, MARKET):
            combo = (owner, category, spell.service, spell.state)
            self.state_deltas[(combo, _counted_from(spell.start, today))] += 1
            if spell.end is not None:
                self.state_deltas[(combo, _counted_from(spell.end, today))] -= 1


def _counted_from(day: date, today: date) -> date:
    """The first month whose end-of-month figure sees a change on ``day``: its own month,
    but next month for a day later in this month (this month's figures are today's)."""
    month = month_of(day)
    return next_month(month) if month == month_of(today) and day > today else month


def compute(today: date | None = None) -> tuple[Counter, dict]:
    """Every summary row as counts, and what they were computed from."""
    today = today or local_day(utcnow())
    last_action_id = DossierAction.select(fn.MAX(DossierAction.id)).scalar() or 0
    totals = _Totals()
    dossiers = actions = 0
    after_id = 0
    while True:
        chunk = list(Dossier.select(Dossier.id, Dossier.company, Dossier.category,
                                    Dossier.service)
                     .where(Dossier.id > after_id).order_by(Dossier.id).limit(CHUNK).tuples())
        if not chunk:
            break
        after_id = chunk[-1][0]
        history = defaultdict(list)
        rows = (DossierAction.select(
            DossierAction.dossier, DossierAction.id, DossierAction.type, DossierAction.company,
            DossierAction.at, DossierAction.state_before, DossierAction.state_after,
            DossierAction.before, DossierAction.after, DossierAction.cancelled_by)
            .where(DossierAction.dossier.between(chunk[0][0], after_id)
                   & (DossierAction.id <= last_action_id)).tuples())
        for dossier_id, *fields in rows:
            history[dossier_id].append(Action(*fields))
            actions += 1
        for dossier_id, company_id, category, service in chunk:
            reading = read(history.get(dossier_id, []), company_id=company_id, service=service)
            dossiers += 1
            for spell in reading.spells:
                totals.spell(spell, category, today)
            for event in reading.events:
                if event.day > today:
                    continue  # planned (a later activation or end date): counted when due
                key = str(event.days) if event.measure == "WAIT" else event.key
                totals.add(month_of(event.day), event.company_id, category, event.service,
                           event.measure, key)
    _add_tasks(totals, today)
    counts = _materialize(totals, month_of(today))
    return counts, {"last_action_id": last_action_id, "dossiers": dossiers, "actions": actions}


def _add_tasks(totals: _Totals, today: date) -> None:
    """Open and overdue tasks at the end of each month (today for this month)."""
    after_id = 0
    current = month_of(today)
    while True:
        chunk = list(Task.select(Task.id, Task.type, Task.company, Task.created_at,
                                 Task.due_date, Task.state, Task.processed_at,
                                 Dossier.category, Dossier.service)
                     .join(Dossier).where(Task.id > after_id).order_by(Task.id)
                     .limit(CHUNK).tuples())
        if not chunk:
            return
        after_id = chunk[-1][0]
        for _id, type_, company, created, due, state, processed, category, service in chunk:
            if state != "OPEN" and processed is None:
                continue
            opened = local_day(created)
            closed = local_day(processed) if processed is not None else None
            month = month_of(opened)
            while month <= current and (closed is None or month <= month_of(closed)):
                day = snapshot_day(month, today)
                if opened <= day and (closed is None or closed > day):
                    totals.add(month, company, category, service or "", "TASK_OPEN", type_)
                    if due < day:
                        totals.add(month, company, category, service or "", "TASK_LATE", type_)
                month = next_month(month)


def _materialize(totals: _Totals, current: date) -> Counter:
    """The STATE rows: each month's count is the running sum of the spells' deltas."""
    counts = Counter({k: v for k, v in totals.counts.items() if k[0] <= current and v})
    by_combo = defaultdict(dict)
    for (combo, month), delta in totals.state_deltas.items():
        by_combo[combo][month] = by_combo[combo].get(month, 0) + delta
    for (company, category, service, state), deltas in by_combo.items():
        month, running = min(deltas), 0
        while month <= current:
            running += deltas.get(month, 0)
            if running:
                counts[(month, company, category, service, "STATE", state)] = running
            month = next_month(month)
    return counts


def rebuild(today: date | None = None) -> StatRefresh:
    """Replace the summary with the one the history gives now (idempotent)."""
    started = time.monotonic()
    counts, facts = compute(today)
    fields = [StatMonth.month, StatMonth.company, StatMonth.category, StatMonth.service,
              StatMonth.measure, StatMonth.key, StatMonth.value]
    rows = [(*key, value) for key, value in sorted(counts.items())]
    with write_transaction():
        # One rebuild at a time writes (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction
        # lock of its own, which also holds when the table is still empty).
        if not is_sqlite():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))
        refresh = StatRefresh.select().order_by(StatRefresh.id).first()
        StatMonth.delete().execute()
        for start in range(0, len(rows), INSERT_BATCH):
            StatMonth.insert_many(rows[start:start + INSERT_BATCH], fields=fields).execute()
        values = {"refreshed_at": utcnow(), "seconds": round(time.monotonic() - started),
                  **facts}
        if refresh is None:
            refresh = StatRefresh.create(**values)
        else:
            StatRefresh.update(**values).where(StatRefresh.id == refresh.id).execute()
            for name, value in values.items():
                setattr(refresh, name, value)
    # Every row was replaced: the planner's statistics of the table are refreshed with it, or
    # PostgreSQL plans the dashboards' reads from the figures of the table before.
    database.execute_sql("ANALYZE stat_month")
    return refresh


def last_refresh() -> StatRefresh | None:
    return StatRefresh.select().order_by(StatRefresh.id).first()


def stale_actions(refresh: StatRefresh | None) -> int:
    """How many actions were recorded since the summary was built."""
    since = refresh.last_action_id if refresh is not None else 0
    return DossierAction.select().where(DossierAction.id > since).count()

