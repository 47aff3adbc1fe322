"""Integrity under concurrency: threads with their own database connections.

Two operators requesting the same person (or two members of one household) at the same
moment produce exactly one dossier; two people saving one dossier: one wins, one conflicts.
Runs on SQLite and, with STTS_TEST_DATABASE_URL, on PostgreSQL."""
import pytest

from stts.db import database
from stts.demo_dossiers import DEMO, person
from stts.models import Beneficiary, Dossier, User
from stts.models.dossiers import CATEGORIES
from stts.services import Conflict
from stts.services.dossiers import changes, requesting
from tests.concurrency import run_together

COMMERCIAL = {"service": "FIXED", "phone_number": "+3222268888", "customer_number": "X-1",
              "tariff_formula": "Social"}


def _users(*names):
    return [User.get(User.username == name) for name in names]


@pytest.mark.parametrize("attempt", range(3))
def test_same_person_two_operators_one_dossier(app, attempt):
    n = 20 + attempt
    nrn = person(n)
    alpha, beta = _users("stts1.alpha", "stts1.beta")
    data = {"national_number": nrn, "category": CATEGORIES[n % len(CATEGORIES)], **COMMERCIAL}
    results = run_together(app, [lambda: requesting.request_tariff(alpha, dict(data)),
                                  lambda: requesting.request_tariff(beta, dict(data))])
    kinds = sorted(kind for kind, _ in results)
    assert kinds == ["ok", "refused"], results
    count = (Dossier.select().join(Beneficiary)
             .where(Beneficiary.national_number == nrn).count())
    assert count == 1


def test_same_household_two_operators_one_dossier(app):
    # Persons 2002 and 2003 share a household and have no dossier yet.
    alpha, gamma = _users("stts2.alpha", "stts2.gamma")
    calls = [
        lambda: requesting.request_tariff(alpha, {"national_number": person(2002),
                                               "category": CATEGORIES[2002 % 6], **COMMERCIAL}),
        lambda: requesting.request_tariff(gamma, {"national_number": person(2003),
                                               "category": CATEGORIES[2003 % 6], **COMMERCIAL}),
    ]
    results = run_together(app, calls)
    assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
    assert Dossier.select().where(Dossier.household_key == "H:HH002002").count() == 1


def test_two_editors_one_wins_one_conflicts(app):
    first, second = _users("stts1.alpha", "stts2.alpha")
    dossier = (Dossier.select().join(Beneficiary)
               .where(Beneficiary.national_number == DEMO["active_alpha"]).get())
    results = run_together(app, [
        lambda: changes.modify_dossier(first, dossier.id, 1, {**COMMERCIAL,
                                                              "customer_number": "ONE"}),
        lambda: changes.modify_dossier(second, dossier.id, 1, {**COMMERCIAL,
                                                               "customer_number": "TWO"}),
    ])
    kinds = sorted(kind for kind, _ in results)
    assert kinds == ["ok", "refused"], results
    refused = [value for kind, value in results if kind == "refused"][0]
    assert isinstance(refused, Conflict)
    assert Dossier.get_by_id(dossier.id).version == 2


def test_database_refuses_second_live_dossier_for_household(app):
    """The partial unique index itself, without the service's check."""
    from peewee import IntegrityError

    existing = (Dossier.select().join(Beneficiary)
                .where(Beneficiary.national_number == DEMO["active_alpha"]).get())
    with pytest.raises(IntegrityError):
        with database.atomic():
            Dossier.create(beneficiary=existing.beneficiary, company=existing.company,
                           household_key=existing.household_key, category="AGE65",
                           state="REVIEW")
    # An ended dossier does not block a new one.
    Dossier.update(state="ENDED").where(Dossier.id == existing.id).execute()
    Dossier.create(beneficiary=existing.beneficiary, company=existing.company,
                   household_key=existing.household_key, category="AGE65", state="REVIEW")


@pytest.mark.parametrize("first_time", (True, False))
def test_statistics_rebuilds_at_the_same_moment_give_the_same_rows(app, first_time):
    from stts.models import StatMonth, StatRefresh
    from stts.services.statistics import summary

    def rows():
        return sorted(StatMonth.select(StatMonth.month, StatMonth.company, StatMonth.category,
                                       StatMonth.service, StatMonth.measure, StatMonth.key,
                                       StatMonth.value).tuples())

    summary.rebuild()
    once = rows()
    if first_time:
        StatMonth.delete().execute()
        StatRefresh.delete().execute()
    database.close()
    results = run_together(app, [summary.rebuild] * 3)
    database.connect(reuse_if_open=True)
    assert [kind for kind, _ in results] == ["ok"] * 3, results
    assert rows() == once
    assert StatRefresh.select().count() == 1
