"""The figures the dashboards show, read from the monthly summary (and, for what is small
and indexed, from the tables themselves: XML batches, one user's own actions).

Every reader takes a ``Scope`` built for its actor by ``scope_for``: an operator's people
always get their own company; only the regulator chooses an operator or the whole market.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from peewee import fn

from stts.models import Company, DossierAction, XmlBatch
from stts.models.dossiers import CATEGORIES, SERVICES
from stts.models.statistics import MARKET, StatMonth
from stts.rights import allowed
from stts.services.statistics.history import BRUSSELS, local_day
from stts.services.statistics.summary import month_end, next_month

MAX_MONTHS = 120
DEFAULT_MONTHS = 24


@dataclass(frozen=True)
class Scope:
    company: int  # an operator's id, or MARKET
    start: date  # the first month (its first day)
    end: date  # the last month (its first day)
    category: str | None = None
    service: str | None = None

    @property
    def months(self) -> list[date]:
        months, month = [], self.start
        while month <= self.end:
            months.append(month)
            month = next_month(month)
        return months


def default_period(today: date, months: int = DEFAULT_MONTHS) -> tuple[date, date]:
    end = today.replace(day=1)
    start = end
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, end


def scope_for(user, today: date, *, start=None, end=None, category=None, service=None,
              operator=None) -> Scope:
    """The figures ``user`` may see: their own company, or (the regulator) ``operator`` or
    the whole market. Months outside [.., this month] and periods over MAX_MONTHS are
    brought back in range; unknown categories and services are ignored."""
    this_month = today.replace(day=1)
    end = min(end or this_month, this_month)
    if start is None:
        start = default_period(end)[0]
    if start > end:
        start, end = end, min(start, this_month)
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        start = default_period(end, MAX_MONTHS)[0]
    if allowed(user, "stats.market"):
        company = operator if operator in operator_ids() else MARKET
    else:
        company = user.company_id
    return Scope(company, start, end, category if category in CATEGORIES else None,
                 service if service in SERVICES else None)


def operator_ids() -> set[int]:
    return {cid for (cid,) in Company.select(Company.id)
            .where(Company.is_operator == True).tuples()}  # noqa: E712


def operators() -> list[tuple[int, str]]:
    return list(Company.select(Company.id, Company.name).where(Company.is_operator == True)  # noqa: E712
                .order_by(Company.name).tuples())


def _rows(scope: Scope, measure: str, *, first: date, last: date, by=(StatMonth.month,
          StatMonth.key), key: str | None = None, company=None):
    conditions = [StatMonth.measure == measure, StatMonth.month.between(first, last)]
    if company is None:
        conditions.append(StatMonth.company == scope.company)
    else:
        conditions.append(company)
    if scope.category:
        conditions.append(StatMonth.category == scope.category)
    if scope.service:
        conditions.append(StatMonth.service == scope.service)
    if key is not None:
        conditions.append(StatMonth.key == key)
    return (StatMonth.select(*by, fn.SUM(StatMonth.value)).where(*conditions)
            .group_by(*by).tuples())


def _by_month(scope: Scope, measure: str) -> dict[date, Counter]:
    table = {month: Counter() for month in scope.months}
    for month, key, value in _rows(scope, measure, first=scope.start, last=scope.end):
        table[_as_date(month)][key] += int(value)
    return table


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def states_by_month(scope: Scope) -> dict[date, Counter]:
    """Dossiers in each state at the end of each month (the state codes as keys)."""
    return _by_month(scope, "STATE")


def flows_by_month(scope: Scope) -> dict[date, Counter]:
    """Requests, activations, transfers in and out, cessations (CEASE:<reason>) per month."""
    return _by_month(scope, "FLOW")


def active_by(scope: Scope, dimension: str) -> Counter:
    """Active social tariffs at the end of the period, by category or by service."""
    column = StatMonth.category if dimension == "category" else StatMonth.service
    rows = _rows(scope, "STATE", first=scope.end, last=scope.end, by=(column,), key="ACTIVE")
    return Counter({code: int(value) for code, value in rows})


def tasks_at_end(scope: Scope) -> dict[str, tuple[int, int]]:
    """Open and overdue tasks by type at the end of the period."""
    result = defaultdict(lambda: [0, 0])
    for index, measure in enumerate(("TASK_OPEN", "TASK_LATE")):
        for type_, value in _rows(scope, measure, first=scope.end, last=scope.end,
                                  by=(StatMonth.key,)):
            result[type_][index] = int(value)
    return {type_: tuple(values) for type_, values in sorted(result.items())}


@dataclass(frozen=True)
class Waiting:
    decided: int
    median: int | None
    p90: int | None
    within: int  # decided within the deadline

    @property
    def service_level(self) -> float | None:
        return self.within / self.decided if self.decided else None


def percentile(histogram: Counter, share: float) -> int | None:
    """The nearest-rank percentile of a histogram {days: count}: the smallest value with at
    least ``share`` of the observations at or below it."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, -(-total * share // 1)), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


def _waiting(histogram: Counter, deadline: int) -> Waiting:
    return Waiting(sum(histogram.values()), percentile(histogram, 0.5),
                   percentile(histogram, 0.9),
                   sum(n for days, n in histogram.items() if days <= deadline))


def waiting_by_month(scope: Scope, deadline: int) -> tuple[dict[date, Waiting], Waiting]:
    """Review waiting time (days from entering review to the decision) per month of the
    decision, and over the whole period."""
    per_month = {month: Counter() for month in scope.months}
    overall = Counter()
    for month, days, value in _rows(scope, "WAIT", first=scope.start, last=scope.end):
        per_month[_as_date(month)][int(days)] += int(value)
        overall[int(days)] += int(value)
    return ({month: _waiting(h, deadline) for month, h in per_month.items()},
            _waiting(overall, deadline))


def corrections(scope: Scope) -> list[tuple[date, date, int]]:
    """(month, month it was corrected in, actions): the months of the period whose figures
    changed after they had ended (back-dated actions, cancellations)."""
    rows = _rows(scope, "CORRECTED", first=scope.start, last=scope.end)
    return sorted((_as_date(month), date.fromisoformat(f"{key}-01"), int(value))
                  for month, key, value in rows)


def yearly_report(month: date, *, category=None, service=None) -> dict:
    """Active social tariffs at the end of ``month`` per operator × category (the regulator's
    yearly table); every operator appears, with zeros."""
    scope = Scope(MARKET, month, month, None, service if service in SERVICES else None)
    rows = _rows(scope, "STATE", first=month, last=month, key="ACTIVE",
                 by=(StatMonth.company, StatMonth.category),
                 company=StatMonth.company != MARKET)
    table = {company_id: Counter() for company_id, _name in operators()}
    for company_id, code, value in rows:
        if company_id in table:
            table[company_id][code] += int(value)
    categories = [category] if category in CATEGORIES else list(CATEGORIES)
    totals = Counter()
    for counts in table.values():
        for code in categories:
            totals[code] += counts[code]
    return {"month": month, "categories": categories,
            "rows": [(company_id, name, [table[company_id][c] for c in categories],
                      sum(table[company_id][c] for c in categories))
                     for company_id, name in operators()],
            "totals": [totals[c] for c in categories], "total": sum(totals.values())}


def _utc_start(day: date) -> datetime:
    """The naive UTC time at which a Brussels day begins."""
    local = datetime.combine(day, time(0), tzinfo=BRUSSELS)
    return local.astimezone(UTC).replace(tzinfo=None)


def xml_by_week(scope: Scope) -> list[dict]:
    """XML batches per week (Monday): batches done and rejected as a whole, messages
    accepted and rejected. Batches carry no category: the category filter does not apply."""
    first = scope.start
    last = month_end(scope.end) + timedelta(days=1)
    query = XmlBatch.select(XmlBatch.created_at, XmlBatch.state, XmlBatch.accepted,
                            XmlBatch.rejected).where(
        XmlBatch.created_at.between(_utc_start(first), _utc_start(last)))
    if scope.company != MARKET:
        query = query.where(XmlBatch.company == scope.company)
    weeks: dict[date, Counter] = {}
    for created, state, accepted, rejected in query.tuples():
        day = local_day(created)
        week = day - timedelta(days=day.weekday())
        counts = weeks.setdefault(week, Counter())
        counts["batches"] += 1
        counts["batches_rejected"] += state == "REJECTED"
        counts["accepted"] += accepted or 0
        counts["rejected"] += rejected or 0
    return [{"week": week, **weeks[week]} for week in sorted(weeks)]


def own_work(user, scope: Scope) -> dict[date, Counter]:
    """The actions ``user`` recorded, per month and type (cancelled ones left out)."""
    table = {month: Counter() for month in scope.months}
    query = (DossierAction.select(DossierAction.at, DossierAction.type)
             .where((DossierAction.author == user.id)
                    & DossierAction.at.between(_utc_start(scope.start),
                                               _utc_start(month_end(scope.end)
                                                          + timedelta(days=1)))
                    & DossierAction.cancelled_by.is_null() & (DossierAction.type != "CANCEL"))
             .tuples())
    for at, type_ in query:
        month = local_day(at).replace(day=1)
        if month in table:
            table[month][type_] += 1
    return table


def with_period(scope: Scope, start: date, end: date) -> Scope:
    return replace(scope, start=start, end=end)
