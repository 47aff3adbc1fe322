"""Statistics from the dossier history: histories built through the real services on chosen
days, and the exact figures they give, including transfers between operators, cancelled
actions and back-dated ones."""
from collections import Counter
from datetime import date, datetime

import pytest
import time_machine

from stts.demo_dossiers import person
from stts.models import Company, DossierAction, StatMonth, User
from stts.models.dossiers import CATEGORIES
from stts.models.statistics import MARKET
from stts.services import review
from stts.services.dossiers import cancelling, changes, requesting
from stts.services.statistics import figures, history, summary
from stts.services.statistics.history import Action

COMMERCIAL = {"service": "MOBILE", "phone_number": "+32470123456", "customer_number": "C-1",
              "tariff_formula": "Social"}


def user(name):
    return User.get(User.username == name)


def company(slug):
    return user(f"lm.{slug}").company_id


def on(day, hour=10):
    """Run the block as if it were ``day`` at ``hour`` (Brussels winter time = UTC+1)."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour - 1), tick=False)


def request(username, n, day, **extra):
    with on(day):
        data = {"national_number": person(n), "category": CATEGORIES[n % 6], **COMMERCIAL,
                **extra}
        return requesting.request_tariff(user(username), data)


def activate(username, dossier, day, activation=None):
    with on(day):
        activation = activation or day
        return changes.activate_dossier(user(username), dossier.id, dossier.version,
                                        activation, activation)


def cease(username, dossier, day, effective, reason="END_OF_CONTRACT"):
    with on(day):
        return changes.cease_dossier(user(username), dossier.id, dossier.version, reason,
                                     effective)


def cancel_last(username, dossier, day):
    with on(day):
        action = cancelling.last_action(dossier)
        return cancelling.cancel_last_action(user(username), dossier.id, dossier.version,
                                             action.id, "Mistake")


def transfer(username, n, day):
    with on(day):
        return requesting.transfer_tariff(user(username), person(n),
                                          {**COMMERCIAL, "service": "FIXED",
                                           "activation_date": day})


@pytest.fixture
def story(app):
    """A small market in 2025, on top of the demo (whose dossiers are from early 2024)."""
    d = date
    # A: alpha, January; transferred to beta in February; ceased by beta in March.
    a = request("stts2.alpha", 300, d(2025, 1, 10))
    a = activate("stts2.alpha", a, d(2025, 1, 12), d(2025, 1, 15))
    transfer("stts1.beta", 300, d(2025, 2, 5))
    a = a.__class__.get_by_id(a.id)
    cease("stts2.beta", a, d(2025, 3, 10), d(2025, 3, 31))
    # B: requested and cancelled in the same month: never happened, no correction.
    b = request("stts3.alpha", 301, d(2025, 1, 20))
    cancel_last("stts3.alpha", b, d(2025, 1, 21))
    # C: activated in January, the activation cancelled in February: a correction of January.
    c = request("stts3.alpha", 302, d(2025, 1, 25))
    c = activate("stts3.alpha", c, d(2025, 1, 25))
    cancel_last("stts3.alpha", c, d(2025, 2, 3))
    # D: active since January; ceased on 5 March with effect on 10 February (back-dated).
    e = request("stts2.alpha", 303, d(2025, 1, 8))
    e = activate("stts2.alpha", e, d(2025, 1, 8))
    cease("stts2.alpha", e, d(2025, 3, 5), d(2025, 2, 10), reason="DEATH")
    # R: unknown to the source, so under review from 6 January; approved on 20 January.
    r = request("stts1.alpha", 5101, d(2025, 1, 6), last_name="Nieuw", first_name="Jan")
    assert r.state == "REVIEW"
    with on(d(2025, 1, 20)):
        review.decide_dossier(user("handler.bipt"), r.id, r.version, "APPROVE", "Seen")
    with on(d(2025, 4, 2)):
        summary.rebuild()
    return {"a": a, "c": c, "e": e, "r": r}


def scope(slug, start=date(2025, 1, 1), end=date(2025, 4, 1), **kw):
    owner = MARKET if slug == "market" else company(slug)
    return figures.Scope(owner, start, end, **kw)


DEMO_ACTIVE = {"alpha": 30, "beta": 31, "gamma": 20}


def test_active_per_month_follows_transfers_cancellations_and_back_dated_ends(story):
    alpha = figures.states_by_month(scope("alpha"))
    beta = figures.states_by_month(scope("beta"))
    active = lambda table: [table[date(2025, m, 1)]["ACTIVE"] for m in (1, 2, 3, 4)]  # noqa: E731
    # January: A, C (cancelled in February: it never happened), D → A and D.
    # February: A went to beta on the 5th, D ended (back-dated) on the 10th.
    assert active(alpha) == [30 + 2, 30, 30, 30]
    # Beta: A from 5 February; its end on 31 March is the first day without the tariff.
    assert active(beta) == [31, 32, 31, 31]
    market = figures.states_by_month(scope("market"))
    assert active(market) == [81 + 2, 82, 81, 81]
    # C is APPROVED again after its activation was cancelled; R approved in January.
    assert alpha[date(2025, 1, 1)]["APPROVED"] == 2
    assert alpha[date(2025, 1, 1)]["REVIEW"] == 10  # the demo's ten files in review


def test_flows_per_month(story):
    alpha = figures.flows_by_month(scope("alpha"))
    beta = figures.flows_by_month(scope("beta"))
    assert alpha[date(2025, 1, 1)] == Counter({"REQUEST": 4, "ACTIVATE": 2})
    assert alpha[date(2025, 2, 1)] == Counter({"TRANSFER_OUT": 1, "CEASE:DEATH": 1})
    assert beta[date(2025, 2, 1)] == Counter({"TRANSFER_IN": 1})
    assert beta[date(2025, 3, 1)] == Counter({"CEASE:END_OF_CONTRACT": 1})
    assert alpha[date(2025, 3, 1)] == Counter()


def test_filters_by_category_and_service(story):
    category = CATEGORIES[300 % 6]
    alpha = figures.flows_by_month(scope("alpha", category=category))
    assert alpha[date(2025, 1, 1)]["REQUEST"] == 1
    # After the transfer A is a fixed line at beta: by service, beta's FIXED gains one.
    fixed = figures.states_by_month(scope("beta", service="FIXED"))
    mobile = figures.states_by_month(scope("beta", service="MOBILE"))
    assert fixed[date(2025, 2, 1)]["ACTIVE"] - fixed[date(2025, 1, 1)]["ACTIVE"] == 1
    assert mobile[date(2025, 2, 1)]["ACTIVE"] == mobile[date(2025, 1, 1)]["ACTIVE"]
    assert figures.active_by(scope("beta", end=date(2025, 2, 1)), "service")["FIXED"] == \
        fixed[date(2025, 2, 1)]["ACTIVE"]


def test_corrections_name_the_months_that_changed_after_they_ended(story):
    assert figures.corrections(scope("alpha")) == [
        (date(2025, 1, 1), date(2025, 2, 1), 1),  # C's activation cancelled on 3 February
        (date(2025, 2, 1), date(2025, 3, 1), 1),  # D ended on 5 March, effect 10 February
    ]
    assert figures.corrections(scope("beta")) == []


def test_review_waiting_time_and_service_level(story):
    per_month, overall = figures.waiting_by_month(scope("market"), deadline=10)
    assert (overall.decided, overall.median, overall.p90, overall.within) == (1, 14, 14, 0)
    assert per_month[date(2025, 1, 1)].decided == 1
    assert overall.service_level == 0


def test_percentile_is_the_nearest_rank():
    histogram = Counter({1: 5, 3: 4, 20: 1})
    assert figures.percentile(histogram, 0.5) == 1
    assert figures.percentile(histogram, 0.9) == 3
    assert figures.percentile(histogram, 1.0) == 20
    assert figures.percentile(Counter(), 0.5) is None


def test_tasks_open_and_overdue_at_the_end_of_each_month(story):
    # The transfer gave alpha one task, "Transferred away" (14 days).
    feb = figures.tasks_at_end(scope("alpha", end=date(2025, 2, 1)))
    assert feb["TRANSFERRED_AWAY"] == (1, 1)  # due 19 February, open on the 28th
    assert "TERMINATE_REDUCTION" not in feb


def test_yearly_report_per_operator_and_category(story):
    report = figures.yearly_report(date(2025, 2, 1))
    by_name = {name: (counts, total) for _id, name, counts, total in report["rows"]}
    names = {c.id: c.name for c in Company.select()}
    assert by_name[names[company("alpha")]][1] == 30
    assert by_name[names[company("beta")]][1] == 32
    assert report["total"] == 82
    assert sum(report["totals"]) == report["total"]


def test_figures_of_an_ended_month_do_not_change_without_a_back_dated_action(story):
    d = request("stts1.gamma", 311, date(2025, 3, 10))
    with on(date(2025, 4, 2)):
        summary.rebuild()
    before = list(StatMonth.select().where(StatMonth.month <= date(2025, 3, 1))
                  .order_by(StatMonth.id).tuples())
    request("stts1.gamma", 310, date(2025, 4, 3))  # recorded in April, for April
    with on(date(2025, 4, 4)):
        summary.rebuild()
    after = list(StatMonth.select().where(StatMonth.month <= date(2025, 3, 1))
                 .order_by(StatMonth.id).tuples())
    strip = lambda rows: sorted(row[1:] for row in rows)  # noqa: E731
    assert strip(before) == strip(after)
    # A back-dated activation (recorded in April, effective in March) changes March, says so.
    activate("stts3.gamma", d, date(2025, 4, 5), date(2025, 3, 20))
    with on(date(2025, 4, 6)):
        summary.rebuild()
    gamma = scope("gamma")
    assert figures.states_by_month(gamma)[date(2025, 3, 1)]["ACTIVE"] == 21
    assert (date(2025, 3, 1), date(2025, 4, 1), 1) in figures.corrections(gamma)


def test_rebuild_is_idempotent(story):
    rows = lambda: sorted(StatMonth.select(StatMonth.month, StatMonth.company,  # noqa: E731
                                           StatMonth.category, StatMonth.service,
                                           StatMonth.measure, StatMonth.key,
                                           StatMonth.value).tuples())
    first = rows()
    with on(date(2025, 4, 2)):
        refresh = summary.rebuild()
    assert rows() == first
    assert refresh.dossiers > 0 and summary.stale_actions(refresh) == 0


def test_scope_keeps_an_operator_to_its_own_company(story):
    alpha = user("lm.alpha")
    beta_id = company("beta")
    today = date(2025, 4, 2)
    assert figures.scope_for(alpha, today, operator=beta_id).company == alpha.company_id
    assert figures.scope_for(user("handler.bipt"), today, operator=beta_id).company == beta_id
    assert figures.scope_for(user("auditor.bipt"), today).company == MARKET
    wide = figures.scope_for(alpha, today, start=date(1990, 1, 1), category="NOPE")
    assert wide.category is None and len(wide.months) == figures.MAX_MONTHS
    # Months after this one are brought back to it, in whichever order they come.
    for start, end in ((date(2030, 1, 1), None), (date(2030, 1, 1), date(2024, 5, 1)),
                       (None, date(2031, 1, 1)), (date(2025, 6, 1), date(2025, 2, 1))):
        scope = figures.scope_for(alpha, today, start=start, end=end)
        assert scope.start <= scope.end <= date(2025, 4, 1), (start, end)
    assert figures.scope_for(alpha, today).months[0] == date(2023, 5, 1)  # 24 months


def at(day, hour=12):
    return datetime(day.year, day.month, day.day, hour)


def test_history_reader_without_database():
    actions = [
        Action(1, "REQUEST", 7, at(date(2025, 5, 30)), None, "APPROVED",
               after='{"service": "FIXED", "state": "APPROVED"}'),
        # Activation back-dated before the request: it takes effect with the request.
        Action(2, "ACTIVATE", 7, at(date(2025, 6, 2)), "APPROVED", "ACTIVE",
               after='{"activation_date": "2025-05-01"}'),
        Action(3, "MODIFY", 7, at(date(2025, 6, 3)), "ACTIVE", "ACTIVE",
               after='{"service": "MOBILE"}', cancelled_by_id=4),
        Action(4, "CANCEL", 7, at(date(2025, 6, 3)), "ACTIVE", "ACTIVE",
               after='{"service": "FIXED"}'),
        Action(5, "CEASE", 7, at(date(2025, 7, 1)), "ACTIVE", "ENDED",
               after='{"end_date": "2025-07-15", "end_reason": "MOVED"}'),
    ]
    reading = history.read(actions, company_id=7, service=None)
    assert [(s.start, s.end, s.service, s.state) for s in reading.spells] == [
        (date(2025, 5, 30), date(2025, 7, 15), "FIXED", "ACTIVE"),
        (date(2025, 7, 15), None, "FIXED", "ENDED"),
    ]
    assert [(e.day, e.key) for e in reading.events if e.measure == "FLOW"] == [
        (date(2025, 5, 30), "REQUEST"), (date(2025, 5, 30), "ACTIVATE"),
        (date(2025, 7, 15), "CEASE:MOVED")]
    # The activation recorded in June changed the end of May: a correction of May.
    assert [(e.day, e.key) for e in reading.events if e.measure == "CORRECTED"] == [
        (date(2025, 5, 30), "2025-06")]


def test_the_command_and_the_periodic_job_rebuild_the_summary(app):
    assert StatMonth.select().count() == 0
    result = app.test_cli_runner().invoke(args=["stts", "stats-rebuild"])
    assert result.exit_code == 0, result.output
    assert "statistics rebuilt from 101 dossiers" in result.output
    rows = StatMonth.select().count()
    assert rows > 0
    from stts.worker import worker

    StatMonth.delete().execute()
    worker.enqueue("statistics.refresh")
    assert StatMonth.select().count() == rows
    refresh = summary.last_refresh()
    assert (refresh.dossiers, refresh.actions) == (101, DossierAction.select().count())


def test_the_demo_history_is_consistent_and_seeded_once(app):
    from stts.demo_statistics import MARK, seed_statistics_history
    from stts.models import Dossier

    today = date(2026, 11, 29)
    added = seed_statistics_history(today)
    assert added > 500 and seed_statistics_history(today) == 0
    # Each dossier's state is the one its history (cancelled actions left out) ends in.
    for dossier in Dossier.select().where(Dossier.customer_number.startswith(MARK)):
        chain = [a for a in dossier.actions.order_by(DossierAction.id)
                 if a.type != "CANCEL" and a.cancelled_by_id is None]
        expected = chain[-1].state_after if chain else "CANCELLED"
        assert dossier.state == expected, dossier.id
    with on(today):
        summary.rebuild()
    market = figures.Scope(MARKET, date(2024, 12, 1), date(2026, 11, 1))
    _months, waiting = figures.waiting_by_month(market, deadline=30)
    assert waiting.decided > 10 and 0 < waiting.service_level < 1
    flows = figures.flows_by_month(market)
    assert sum(c["TRANSFER_IN"] for c in flows.values()) > 5
    assert sum(c["TRANSFER_IN"] for c in flows.values()) == \
        sum(c["TRANSFER_OUT"] for c in flows.values())
    assert figures.corrections(market)  # back-dated activations and ends, cancellations
    assert figures.xml_by_week(market)


def test_this_months_figures_are_todays_a_planned_activation_counts_when_due(app):
    gamma = scope("gamma", start=date(2025, 4, 1), end=date(2025, 4, 1))
    d = request("stts1.gamma", 320, date(2025, 4, 10))
    activate("stts3.gamma", d, date(2025, 4, 10), date(2025, 4, 25))
    with on(date(2025, 4, 12)):
        summary.rebuild()
    assert figures.states_by_month(gamma)[date(2025, 4, 1)]["ACTIVE"] == 20
    assert figures.states_by_month(gamma)[date(2025, 4, 1)]["APPROVED"] == 1
    assert figures.flows_by_month(gamma)[date(2025, 4, 1)]["ACTIVATE"] == 0
    with on(date(2025, 4, 26)):
        summary.rebuild()
    assert figures.states_by_month(gamma)[date(2025, 4, 1)]["ACTIVE"] == 21
    assert figures.flows_by_month(gamma)[date(2025, 4, 1)]["ACTIVATE"] == 1
    assert figures.corrections(gamma) == []


def test_the_demo_history_gives_each_demo_user_work_of_their_own(app):
    from stts.demo_statistics import seed_statistics_history

    today = date(2026, 11, 29)
    seed_statistics_history(today)
    stts1 = user("stts1.alpha")
    mine = figures.own_work(stts1, figures.scope_for(stts1, today))
    assert sum(c["REQUEST"] for c in mine.values()) > 20
    assert sum(c["CEASE"] for c in mine.values()) == 0  # STTS 1 does not cease
