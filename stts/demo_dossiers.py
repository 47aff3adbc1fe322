"""Demo data of the dossier desk: a few thousand persons in the eligibility snapshot, in
every situation, and some dossiers at each demo operator. Bulk inserts; idempotent.

Persons are numbered: ``person(n)`` is the national register number of person ``n``.
  0–2999     known and eligible today (categories in turn), own household each,
             except 2000–2199: pairs share a household (2000+2001, 2002+2003, ...)
  2900–2999  known, but their right ended in 2020 (the automatic check cannot decide)
  100–129    ACTIVE at Telco Alpha      130–159 ACTIVE at Belcom Beta
  160–179    ACTIVE at Gamma Mobile     180–189 INCOMPLETE at Telco Alpha
  190–199    REVIEW at Telco Alpha      2000    ACTIVE at Belcom Beta (household of 2001)
  5000+      not known to the source
``DEMO`` names the ones the guide and the tests use.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from stts.db import database, utcnow
from stts.identifiers import national_number
from stts.models import Beneficiary, Company, Dossier, DossierAction, EligibilityRecord, Task
from stts.models.dossiers import CATEGORIES
from stts.text import search_key

PERSONS = 3000
LAST_NAMES = ["Dupont", "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes",
              "Goossens", "Wouters", "De Smet", "Lefèvre", "Lambert", "Dubois", "Müller",
              "Van den Bossche", "Çelik", "Hermans", "Leclercq", "Dewulf"]
FIRST_NAMES = ["Émile", "Anaïs", "Jan", "Marie", "Luc", "Sofie", "Hélène", "Pieter", "Noël",
               "Inès", "Karim", "Elke", "Jean", "Fatima", "Tom"]
CITIES = [("1000", "Bruxelles", "Rue de la Loi"), ("2000", "Antwerpen", "Meir"),
          ("4000", "Liège", "Rue Léopold"), ("9000", "Gent", "Veldstraat"),
          ("5000", "Namur", "Rue de Fer"), ("4700", "Eupen", "Klötzerbahn")]


def person(n: int) -> str:
    born = date(1935, 1, 1) + timedelta(days=n // 900 * 37)
    return national_number(born, 10 + n % 900)


def names(n: int) -> tuple[str, str]:
    return LAST_NAMES[n % len(LAST_NAMES)], FIRST_NAMES[(n // len(LAST_NAMES)) % len(FIRST_NAMES)]


DEMO = {
    "eligible": person(10),
    "eligible_other": person(11),
    "unknown": person(5000),
    "expired": person(2900),
    "active_alpha": person(100),
    "active_beta": person(130),
    "active_gamma": person(160),
    "incomplete_alpha": person(180),
    "review_alpha": person(190),
    "household_holder_beta": person(2000),
    "household_member": person(2001),
}
ACTIVE = {"alpha": range(100, 130), "beta": range(130, 160), "gamma": range(160, 180)}


def _household(n: int) -> str:
    if 2000 <= n < 2200:
        n -= n % 2
    return f"HH{n:06d}"


def _record(n: int) -> dict:
    last, first = names(n)
    postcode, city, street = CITIES[n % len(CITIES)]
    return {
        "national_number": person(n), "category": CATEGORIES[n % len(CATEGORIES)],
        "valid_from": date(2015, 1, 1),
        "valid_to": date(2020, 12, 31) if 2900 <= n < 3000 else None,
        "household_id": _household(n), "last_name": last, "first_name": first,
        "street": f"{street} {n % 180 + 1}", "postcode": postcode, "city": city,
    }


def seed_dossiers(operators: dict[str, str]) -> None:
    """The demo's persons and dossiers; ``operators``: enterprise number by slug."""
    if EligibilityRecord.select().limit(1).exists():
        return
    records = [_record(n) for n in range(PERSONS)]
    companies = {c.enterprise_number: c.id for c in Company.select(Company.id,
                                                                   Company.enterprise_number)}
    slug_company = {slug: companies[enterprise] for slug, enterprise in operators.items()}
    plan = []  # (n, slug, state)
    for slug, numbers in ACTIVE.items():
        plan += [(n, slug, "ACTIVE") for n in numbers]
    plan += [(n, "alpha", "INCOMPLETE") for n in range(180, 190)]
    plan += [(n, "alpha", "REVIEW") for n in range(190, 200)]
    plan.append((2000, "beta", "ACTIVE"))
    created = datetime(2024, 1, 15, 9, 0)
    with database.atomic():
        for start in range(0, len(records), 500):
            EligibilityRecord.insert_many(records[start:start + 500]).execute()
        people = []
        for n, _slug, _state in plan:
            r = records[n]
            people.append({
                "national_number": r["national_number"], "last_name": r["last_name"],
                "first_name": r["first_name"], "last_name_key": search_key(r["last_name"]),
                "first_name_key": search_key(r["first_name"]), "street": r["street"],
                "postcode": r["postcode"], "city": r["city"], "household_id": r["household_id"],
            })
        Beneficiary.insert_many(people).execute()
        ids = {b.national_number: b.id for b in Beneficiary.select(Beneficiary.id,
                                                                   Beneficiary.national_number)}
        dossiers = []
        for index, (n, slug, state) in enumerate(plan):
            r = records[n]
            complete = state != "INCOMPLETE"
            dossiers.append({
                "beneficiary": ids[r["national_number"]], "company": slug_company[slug],
                "household_key": f"H:{r['household_id']}", "category": r["category"],
                "service": ("FIXED", "MOBILE", "INTERNET")[n % 3] if complete else None,
                "phone_number": f"+3247{n:07d}" if complete else None,
                "customer_number": f"{slug[0].upper()}-{n:06d}",
                "tariff_formula": "Social basic" if complete else None,
                "activation_date": date(2024, 2, 1) if state == "ACTIVE" else None,
                "invoice_date": date(2024, 3, 1) if state == "ACTIVE" else None,
                "decision_date": date(2024, 1, 15) if state == "ACTIVE" else None,
                "state": state, "created_at": created + timedelta(hours=index),
                "updated_at": created + timedelta(hours=index), "version": 1,
            })
        Dossier.insert_many(dossiers).execute()
        actions, tasks = [], []
        # The demo's open tasks: created six weeks ago, due a month later (overdue today).
        opened = utcnow() - timedelta(days=45)
        for dossier in Dossier.select(Dossier.id, Dossier.company, Dossier.state,
                                      Dossier.created_at):
            actions.append({
                "dossier": dossier.id, "company": dossier.company_id, "type": "REQUEST",
                "author_name": "Demo", "at": dossier.created_at, "state_before": None,
                "state_after": "APPROVED" if dossier.state == "ACTIVE" else dossier.state,
                "before": "{}", "after": json.dumps({"state": dossier.state}),
            })
            if dossier.state == "ACTIVE":
                actions.append({
                    "dossier": dossier.id, "company": dossier.company_id, "type": "ACTIVATE",
                    "author_name": "Demo", "at": dossier.created_at + timedelta(days=17),
                    "state_before": "APPROVED", "state_after": "ACTIVE",
                    "before": json.dumps({"state": "APPROVED"}),
                    "after": json.dumps({"state": "ACTIVE", "activation_date": "2024-02-01",
                                         "invoice_date": "2024-03-01"}),
                })
            if dossier.state == "INCOMPLETE":
                tasks.append({"type": "ENTER_MISSING_DATA", "dossier": dossier.id,
                              "company": dossier.company_id, "created_at": opened,
                              "due_date": opened.date() + timedelta(days=30),
                              "state": "OPEN", "details": "{}"})
        DossierAction.insert_many(actions).execute()
        Task.insert_many(tasks).execute()
