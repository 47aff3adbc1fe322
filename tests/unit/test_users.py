"""Console services without HTTP: usernames, complement search on generated data, CSV cells,
rights of the local manager."""
import random

import pytest

from stts.csv_export import csv_cell
from stts.models import Application, Company, User, UserApplication, UserProfile
from stts.models.console import RetiredUsername
from stts.rights import allowed, roles_of
from stts.services.user_search import UserCriteria, iter_search
from stts.services.users import username_available
from stts.text import search_key

LAST_NAMES = ["Dubois", "Dupont", "Dümont", "Peeters", "Janssens", "Maes", "Étienne", "Éloi",
              "van Damme", "Vandamme", "d'Hondt", "Lejeune"]
FIRST_NAMES = ["Anne", "Ann", "Luc", "Lucie", "Élise", "Eline", "Marc", "Marie", "Jean"]


def _nrn(n: int) -> str:
    return f"{n:011d}"


@pytest.fixture
def generated(app):
    """About 60 users over Telco Alpha and Belcom Beta with random names, states and grants."""
    rng = random.Random(4)
    alpha = Company.get(Company.name == "Telco Alpha")
    beta = Company.get(Company.name == "Belcom Beta")
    apps = {a.code: a.id for a in Application.select()}
    for n in range(60):
        company = alpha if n % 3 else beta
        last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
        user = User.create(company=company, username=f"gen{n:03d}", last_name=last,
                           first_name=first, last_name_key=search_key(last),
                           first_name_key=search_key(first), national_number=_nrn(1000 + n),
                           password_hash="x", blocked=rng.random() < 0.3)
        chosen = [code for code in apps if rng.random() < 0.5]
        for code in chosen:
            UserApplication.create(user=user, application=apps[code])
        if "STTS_WEB" in chosen:
            UserProfile.create(user=user, profile=rng.choice(["STTS1", "STTS2", "STTS3"]))
    return alpha


CRITERIA = [
    {"last_name": "du"},
    {"last_name": "DU"},
    {"last_name": "e"},
    {"first_name": "luc"},
    {"first_name": "el"},
    {"last_name": "van", "first_name": "a"},
    {"blocked": "yes"},
    {"blocked": "no"},
    {"application": "STTS_WEB"},
    {"application": "STTS_XML"},
    {"application": "none"},
    {"national_number": _nrn(1001)},
    {"last_name": "d", "blocked": "no", "application": "STTS_XML"},
    {"last_name": "zzz"},
]


@pytest.mark.parametrize("criteria", CRITERIA)
def test_complement_is_company_minus_plain_result(generated, criteria):
    manager = User.get((User.company == generated) & User.is_local_manager)
    company_ids = {u.id for u in User.select(User.id).where(User.company == generated)}
    plain = {u["id"] for u in iter_search(manager, UserCriteria(**criteria))}
    complement = {u["id"] for u in iter_search(manager, UserCriteria(**criteria, complement=True))}
    assert plain <= company_ids and complement <= company_ids
    assert not plain & complement
    assert plain | complement == company_ids


def test_plain_search_matches_folded_prefix(generated):
    manager = User.get((User.company == generated) & User.is_local_manager)
    found = list(iter_search(manager, UserCriteria(last_name="DU")))
    assert found and all(search_key(u["last_name"]).startswith("du") for u in found)
    assert any(u["last_name"] == "Dümont" for u in found)
    company_ids = {u.id for u in User.select(User.id).where(User.company == generated)}
    assert {u["id"] for u in found} <= company_ids


def test_complement_without_criteria_is_empty(generated):
    manager = User.get((User.company == generated) & User.is_local_manager)
    assert list(iter_search(manager, UserCriteria(complement=True))) == []


def test_iter_search_yields_everything_in_batches(generated):
    manager = User.get((User.company == generated) & User.is_local_manager)
    everyone = list(iter_search(manager, UserCriteria(), batch=7))
    assert len(everyone) == User.select().where(User.company == generated).count()
    assert len({u["id"] for u in everyone}) == len(everyone)


@pytest.mark.parametrize("name, expected", [
    ("fresh.name", True),
    ("Fresh.Name", True),
    ("stts1.alpha", False),
    ("STTS1.ALPHA", False),
    ("retired.one", False),
    ("ab", False),
    ("has space", False),
    ("x" * 65, False),
])
def test_username_available(app, name, expected):
    RetiredUsername.create(username="retired.one")
    assert username_available(name) is expected


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+32", "'+32"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Dubois", "Dubois"), (None, ""), ("a=b", "a=b"),
])
def test_csv_cell_defuses_formulas(value, expected):
    assert csv_cell(value) == expected


def test_local_manager_has_every_application_and_stts3(app):
    manager = User.get(User.username == "lm.alpha")
    roles = roles_of(manager)
    assert {"LOCAL_MANAGER", "STTS3"} <= roles
    for action in ("desk.request", "desk.cease", "desk.cancel_action", "desk.tasks",
                   "console.users", "console.structured_messages", "console.activity"):
        assert allowed(manager, action)


def test_user_without_profile_has_no_desk_rights(app):
    user = User.get(User.username == "stts2.alpha")
    UserProfile.delete().where(UserProfile.user == user.id).execute()
    user = User.get_by_id(user.id)
    assert not allowed(user, "desk.home") and not allowed(user, "desk.request")
    assert not allowed(user, "console.users")
