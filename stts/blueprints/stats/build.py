"""The dashboards' charts, built from the figures: a chart, a sentence and a data table each."""
from __future__ import annotations

from collections import Counter

from flask_babel import format_percent

from stts.charts import (
    Chart,
    bar_chart,
    day_label,
    line_chart,
    month_label,
    month_name,
    number,
)
from stts.i18n import gettext as _
from stts.labels import (
    ACTION_LABELS,
    CATEGORY_LABELS,
    CEASE_REASON_LABELS,
    SERVICE_LABELS,
    STATE_LABELS,
    TASK_LABELS,
)
from stts.models.dossiers import CATEGORIES, CEASE_REASONS, LIVE_STATES, SERVICES, TASK_TYPES
from stts.services.statistics import figures

FLOWS = ("REQUEST", "ACTIVATE", "TRANSFER_IN", "TRANSFER_OUT")


def flow_labels() -> dict:
    return {"REQUEST": _("Requests"), "ACTIVATE": _("Activations"),
            "TRANSFER_IN": _("Transfers in"), "TRANSFER_OUT": _("Transfers out"),
            "CEASE": _("Cessations")}


def _month_table(months, columns, value):
    return [[month_label(m)] + [number(value(m, c)) for c in columns] for m in months]


def states_chart(scope, table) -> Chart:
    months = scope.months
    states = [s for s in ("ACTIVE", *[s for s in LIVE_STATES if s != "ACTIVE"])]
    shown = [s for s in states if s == "ACTIVE" or any(table[m][s] for m in months)]
    last, first = table[months[-1]], table[months[0]]
    summary = _("At the end of %(month)s: %(active)s active social tariffs (%(change)s since "
                "%(start)s); %(review)s under review, %(incomplete)s incomplete.",
                month=month_name(months[-1]), active=number(last["ACTIVE"]),
                change=_signed(last["ACTIVE"] - first["ACTIVE"]),
                start=month_name(months[0]), review=number(last["REVIEW"]),
                incomplete=number(last["INCOMPLETE"]))
    series = [(str(STATE_LABELS[s]), [table[m][s] for m in months]) for s in shown]
    return Chart("states", _("Social tariffs by state, at the end of each month"), summary,
                 line_chart("states", months, series),
                 [_("Month")] + [str(STATE_LABELS[s]) for s in shown],
                 _month_table(months, shown, lambda m, s: table[m][s]))


def _signed(value: int) -> str:
    return ("+" if value > 0 else "") + number(value)


def active_by_chart(scope, dimension: str) -> Chart:
    counts = figures.active_by(scope, dimension)
    if dimension == "category":
        codes, labels = CATEGORIES, CATEGORY_LABELS
        title = _("Active social tariffs by category, end of %(month)s",
                  month=month_name(scope.end))
    else:
        codes, labels = SERVICES, SERVICE_LABELS
        title = _("Active social tariffs by service, end of %(month)s",
                  month=month_name(scope.end))
    items = [(str(labels[c]), counts[c]) for c in codes]
    total = sum(v for _label, v in items)
    top = max(items, key=lambda item: item[1])
    summary = _("%(total)s in all; the largest: %(label)s (%(count)s).", total=number(total),
                label=top[0], count=number(top[1])) if total else _("No active social tariff.")
    return Chart(f"by-{dimension}", title, summary, bar_chart(f"by-{dimension}", items),
                 [_("Category") if dimension == "category" else _("Service"), _("Active")],
                 [[label, number(v)] for label, v in items] + [[_("Total"), number(total)]])


def flows_chart(scope, table) -> tuple[Chart, Chart]:
    months, labels = scope.months, flow_labels()

    def ceased(m):
        return sum(v for k, v in table[m].items() if k.startswith("CEASE:"))

    def value(m, key):
        return ceased(m) if key == "CEASE" else table[m][key]

    keys = (*FLOWS, "CEASE")
    totals = {k: sum(value(m, k) for m in months) for k in keys}
    summary = _("Over the period: %(requests)s requests, %(activations)s activations, "
                "%(in)s transfers in, %(out)s transfers out, %(ceased)s cessations.",
                requests=number(totals["REQUEST"]), activations=number(totals["ACTIVATE"]),
                out=number(totals["TRANSFER_OUT"]), ceased=number(totals["CEASE"]),
                **{"in": number(totals["TRANSFER_IN"])})
    flows = Chart("flows", _("Requests, activations, transfers and cessations per month"),
                  summary, line_chart("flows", months, [
                      (labels[k], [value(m, k) for m in months]) for k in keys]),
                  [_("Month")] + [labels[k] for k in keys],
                  _month_table(months, keys, value))
    reasons = Counter()
    for m in months:
        for key, v in table[m].items():
            if key.startswith("CEASE:"):
                reasons[key[6:]] += v
    items = [(str(CEASE_REASON_LABELS[r]), reasons[r]) for r in CEASE_REASONS]
    top = max(items, key=lambda item: item[1])
    summary = _("%(total)s cessations; the most frequent reason: %(label)s (%(count)s).",
                total=number(sum(reasons.values())), label=top[0],
                count=number(top[1])) if reasons else _("No cessation in the period.")
    # The table: each month's cessations by reason, then the period's (what the bars show).
    rows = _month_table(months, CEASE_REASONS, lambda m, r: table[m][f"CEASE:{r}"])
    rows.append([_("Total")] + [number(reasons[r]) for r in CEASE_REASONS])
    by_reason = Chart("reasons", _("Cessations by reason over the period"), summary,
                      bar_chart("reasons", items),
                      [_("Month")] + [str(CEASE_REASON_LABELS[r]) for r in CEASE_REASONS], rows)
    return flows, by_reason


def operators_chart(scope) -> Chart:
    """The market: active social tariffs of each operator at the end of the period."""
    report = figures.yearly_report(scope.end, category=scope.category, service=scope.service)
    items = [(name, total) for _id, name, _counts, total in report["rows"]]
    top = max(items, key=lambda item: item[1]) if items else ("", 0)
    summary = _("%(total)s in all; the largest: %(label)s (%(count)s).",
                total=number(report["total"]), label=top[0],
                count=number(top[1])) if report["total"] else _("No active social tariff.")
    return Chart("by-operator", _("Active social tariffs by operator, end of %(month)s",
                                  month=month_name(scope.end)), summary,
                 bar_chart("by-operator", items), [_("Operator"), _("Active")],
                 [[name, number(v)] for name, v in items]
                 + [[_("All operators"), number(report["total"])]])


def waiting_chart(scope, deadline: int) -> tuple[Chart, figures.Waiting]:
    per_month, overall = figures.waiting_by_month(scope, deadline)
    months = scope.months
    if overall.decided:
        summary = _("%(decided)s files decided after review: half within %(median)s days, "
                    "nine in ten within %(p90)s days; %(level)s within the %(deadline)s-day "
                    "deadline.", decided=number(overall.decided), median=number(overall.median),
                    p90=number(overall.p90), level=format_percent(overall.service_level),
                    deadline=deadline)
    else:
        summary = _("No file was decided after review in the period.")
    series = [(_("Median (days)"), [per_month[m].median for m in months]),
              (_("90th percentile (days)"), [per_month[m].p90 for m in months])]
    rows = [[month_label(m), number(w.decided), number(w.median), number(w.p90),
             format_percent(w.service_level) if w.decided else "–"]
            for m, w in per_month.items()]
    return Chart("waiting", _("Review waiting time: from review to decision"), summary,
                 line_chart("waiting", months, series, points=True),
                 [_("Month of the decision"), _("Decided"), _("Median (days)"),
                  _("90th percentile (days)"),
                  _("Within %(deadline)s days", deadline=deadline)], rows), overall


def tasks_chart(scope) -> Chart:
    tasks = figures.tasks_at_end(scope)
    codes = [t for t in TASK_TYPES]
    items = [(str(TASK_LABELS[t]), tasks.get(t, (0, 0))[0]) for t in codes]
    late = [tasks.get(t, (0, 0))[1] for t in codes]
    total_open = sum(v for _label, v in items)
    summary = _("%(open)s open tasks at the end of %(month)s, %(late)s of them overdue.",
                open=number(total_open), late=number(sum(late)), month=month_name(scope.end))
    return Chart("tasks", _("Tasks open and overdue, end of %(month)s",
                            month=month_name(scope.end)), summary,
                 bar_chart("tasks", items, overlay=(_("Open"), _("Overdue"), late)),
                 [_("Task"), _("Open"), _("Overdue")],
                 [[label, number(v), number(n)] for (label, v), n in zip(items, late, strict=True)])


def xml_chart(scope) -> Chart:
    weeks = figures.xml_by_week(scope)
    total = Counter()
    for week in weeks:
        total.update({k: v for k, v in week.items() if k != "week"})
    summary = _("%(batches)s batches: %(accepted)s messages accepted, %(rejected)s rejected; "
                "%(whole)s batches rejected as a whole.", batches=number(total["batches"]),
                accepted=number(total["accepted"]), rejected=number(total["rejected"]),
                whole=number(total["batches_rejected"]))
    if scope.category or scope.service:
        summary += " " + _("A batch holds every category and service: these figures are "
                           "the whole company's.")
    svg = None
    if weeks:
        svg = line_chart("xml", [w["week"] for w in weeks], [
            (_("Messages accepted"), [w.get("accepted", 0) for w in weeks]),
            (_("Messages rejected"), [w.get("rejected", 0) for w in weeks])], weekly=True)
    return Chart("xml", _("XML batches per week"), summary, svg,
                 [_("Week of"), _("Batches"), _("Rejected as a whole"),
                  _("Messages accepted"), _("Messages rejected")],
                 [[day_label(w["week"]), number(w.get("batches", 0)),
                   number(w.get("batches_rejected", 0)), number(w.get("accepted", 0)),
                   number(w.get("rejected", 0))] for w in weeks])


def own_work_chart(scope, table) -> Chart:
    types = [t for t in ("REQUEST", "TRANSFER", "MODIFY", "COMPLETE", "ACTIVATE", "CEASE")
             if any(table[m][t] for m in scope.months)] or ["REQUEST"]
    total = sum(sum(c.values()) for c in table.values())
    summary = _("%(total)s actions recorded by you in the period.", total=number(total))
    return Chart("mine", _("Your actions per month"), summary,
                 line_chart("mine", scope.months,
                            [(str(ACTION_LABELS[t]), [table[m][t] for m in scope.months])
                             for t in types]),
                 [_("Month")] + [str(ACTION_LABELS[t]) for t in types],
                 _month_table(scope.months, types, lambda m, t: table[m][t]))
