"""The dashboards. Every filter is a GET parameter: a reload, a bookmark or a link shows the
same figures; htmx swaps only the figures when a filter changes."""
from __future__ import annotations

from datetime import date

from flask import current_app, redirect, request, url_for
from flask_login import current_user

from stts.blueprints.stats import build
from stts.blueprints.stats.blueprint import bp
from stts.blueprints.stats.forms import StatsFilterForm, YearlyForm, parse_month
from stts.csv_export import excel_separator, stream_csv
from stts.db import utcnow
from stts.i18n import current_language
from stts.i18n import gettext as _
from stts.labels import CATEGORY_LABELS
from stts.models.statistics import MARKET
from stts.permissions import can, requires
from stts.render import render
from stts.services.statistics import figures, summary
from stts.services.statistics.history import local_day


def _today() -> date:
    return local_day(utcnow())


def _filters(market: bool):
    form = StatsFilterForm(request.args)
    form.operator.choices = [("", _("All operators (the market)"))] + [
        (str(i), name) for i, name in figures.operators()]
    if not form.validate():
        return form, None
    operator = form.operator.data if market else None
    scope = figures.scope_for(
        current_user, _today(), start=parse_month(form.start.data),
        end=parse_month(form.end.data), category=form.category.data or None,
        service=form.service.data or None,
        operator=int(operator) if operator and operator.isdigit() else None)
    # The form shows the period actually used (defaults, or brought back in range).
    form.start.data = scope.start.strftime("%Y-%m")
    form.end.data = scope.end.strftime("%Y-%m")
    return form, scope


def _refresh_facts() -> dict:
    refresh = summary.last_refresh()
    return {"refresh": refresh, "stale": summary.stale_actions(refresh) if refresh else 0}


def _dashboard(scope, *, tasks: bool) -> dict:
    deadline = current_app.config["REVIEW_DEADLINE_DAYS"]
    states = figures.states_by_month(scope)
    flows, reasons = build.flows_chart(scope, figures.flows_by_month(scope))
    waiting, overall = build.waiting_chart(scope, deadline)
    charts = [build.states_chart(scope, states), build.active_by_chart(scope, "category"),
              build.active_by_chart(scope, "service"), flows, reasons, waiting]
    if scope.company == MARKET:
        charts.insert(1, build.operators_chart(scope))
    if tasks:
        charts.append(build.tasks_chart(scope))
    charts.append(build.xml_chart(scope))
    return {"charts": charts, "corrections": figures.corrections(scope), "scope": scope,
            "waiting": overall, "deadline": deadline, **_refresh_facts()}


@bp.route("/")
@requires("stats.home")
def home():
    """The dashboard of the user's role."""
    if can("stats.market"):
        return redirect(url_for("stats.market"))
    if can("stats.operator"):
        return redirect(url_for("stats.operator"))
    return redirect(url_for("stats.own"))


@bp.route("/operator")
@requires("stats.operator")
def operator():
    form, scope = _filters(market=False)
    context = _dashboard(scope, tasks=True) if scope else {"charts": []}
    return render("stats/operator.html", "stats/_figures.html", form=form,
                  endpoint="stats.operator", **context)


@bp.route("/market")
@requires("stats.market")
def market():
    form, scope = _filters(market=True)
    context = _dashboard(scope, tasks=scope is not None and scope.company != MARKET) \
        if scope else {"charts": []}
    return render("stats/market.html", "stats/_figures.html", form=form,
                  endpoint="stats.market", **context)


@bp.route("/mine")
@requires("stats.own")
def own():
    form, scope = _filters(market=False)
    charts = [build.own_work_chart(scope, figures.own_work(current_user, scope))] \
        if scope else []
    return render("stats/own.html", "stats/_figures.html", form=form, endpoint="stats.own",
                  charts=charts, scope=scope)


def _yearly():
    form = YearlyForm(request.args)
    today = _today()
    default = date(today.year - 1, 12, 1)
    month = parse_month(form.month.data) if form.validate() else None
    month = min(month or default, today.replace(day=1))
    form.month.data = month.strftime("%Y-%m")
    service = form.service.data or None
    return form, figures.yearly_report(month, service=service)


@bp.route("/market/yearly")
@requires("stats.market")
def yearly():
    form, report = _yearly()
    return render("stats/yearly.html", form=form, report=report,
                  print_view=request.args.get("print") == "1", **_refresh_facts())


@bp.route("/market/yearly.csv")
@requires("stats.market")
def yearly_csv():
    _form, report = _yearly()
    header = [_("Operator")] + [str(CATEGORY_LABELS[c]) for c in report["categories"]] + [
        _("Total")]
    rows = [[name, *counts, total] for _id, name, counts, total in report["rows"]]
    rows.append([_("All operators"), *report["totals"], report["total"]])
    # Belgian Excel: UTF-8 with its byte order mark, ";" between cells in fr, nl and de.
    return stream_csv(header, rows, f"stts-beneficiaries-{report['month']:%Y-%m}.csv",
                      delimiter=excel_separator(current_language()), bom=True)
