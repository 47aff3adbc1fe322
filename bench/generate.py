"""Generate a realistic data set: ~50 operators, ~5,000 users, N dossiers with history, tasks
and the audit trail they leave (about three entries per dossier).

    python -m bench.generate --dossiers 320000 [--database-url postgresql://...] [--sqlite PATH]

Bulk inserts in large transactions; deterministic (seeded) so that runs are comparable.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date, datetime, timedelta

from stts.db import database, is_sqlite
from stts.identifiers import national_number
from stts.models import (
    Application,
    AuditEvent,
    Beneficiary,
    Company,
    Dossier,
    DossierAction,
    EligibilityRecord,
    Task,
    User,
    UserApplication,
    UserProfile,
)
from stts.models.dossiers import CATEGORIES, SERVICES, TASK_TYPES
from stts.passwords import hash_password
from stts.services.audit import GENESIS, _row_digest, chain_key, pseudonymize
from stts.text import search_key

BENCH_PASSWORD = "bench passphrase for load tests"
OPERATORS = 50
USERS_PER_OPERATOR = 100
CHUNK = 5000
LAST_NAMES = ["Dupont", "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes",
              "Goossens", "Wouters", "De Smet", "Lefèvre", "Lambert", "Dubois", "Müller",
              "Van den Bossche", "Çelik", "Hermans", "Leclercq", "Dewulf", "Martin", "Simon",
              "Laurent", "Michel", "Leroy", "Vermeulen", "Pauwels", "Hendrickx", "Desmet",
              "Lemaire"]
FIRST_NAMES = ["Émile", "Anaïs", "Jan", "Marie", "Luc", "Sofie", "Hélène", "Pieter", "Noël",
               "Inès", "Karim", "Elke", "Jean", "Fatima", "Tom", "Lotte", "Hugo", "Lea"]
STATE_MIX = [("ACTIVE", 80), ("ENDED", 8), ("APPROVED", 4), ("REVIEW", 3), ("INCOMPLETE", 3),
             ("REJECTED", 2)]


def enterprise_number(index: int) -> str:
    base = f"05{index:06d}"
    return f"{base}{97 - int(base) % 97:02d}"


def person_number(index: int) -> str:
    """Distinct valid national numbers: one birth day per 990 people."""
    born = date(1925, 1, 1) + timedelta(days=index // 990)
    return national_number(born, 1 + index % 990)


def _insert(model, rows):
    """Bulk insert without building SQL per row: executemany on SQLite, COPY (psycopg 3) on
    PostgreSQL (row triggers fire for COPY as for INSERT)."""
    if not rows:
        return
    names = list(rows[0])
    defaults = {field.name: field.default for field in model._meta.sorted_fields
                if field.name not in names and field.default is not None
                and not field.primary_key}
    if defaults:  # what insert_many would fill in
        rows = [{**{name: value() if callable(value) else value
                    for name, value in defaults.items()}, **row} for row in rows]
        names = list(rows[0])
    fields = [model._meta.fields[name] for name in names]
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    head = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES '
    values = [tuple(field.db_value(row[name]) for name, field in zip(names, fields, strict=True))
              for row in rows]
    cursor = database.cursor()
    if is_sqlite():
        cursor.executemany(head + "(" + ", ".join("?" * len(names)) + ")", values)
    else:
        with cursor.copy(f'COPY "{model._meta.table_name}" ({columns}) FROM STDIN') as copy:
            for row in values:
                copy.write_row(row)


class AuditTrail:
    """The audit trail a million dossiers leave behind: an entry for every action, views of
    the dossiers (most a few, one in 5,000 very many) and lookups of their persons,
    chained with the instance's key as ``record_event`` chains them."""

    VIEWS_OF_A_BUSY_DOSSIER = 1500

    def __init__(self, user_ids: list[int]):
        self.user_ids = user_ids
        self.previous = GENESIS
        self.key = chain_key()
        self.written = 0

    def add(self, actions, dossiers, first_id, beneficiaries, rng) -> None:
        events = []
        for action in actions:
            events.append((action["at"], action["author"], action["company"],
                           f"dossier.{action['type'].lower()}", "dossier",
                           str(action["dossier"])))
        for offset, row in enumerate(dossiers):
            dossier_id = first_id + offset
            person = pseudonymize(beneficiaries[offset]["national_number"])
            views = self.VIEWS_OF_A_BUSY_DOSSIER if dossier_id % 5000 == 0 else rng.randrange(4)
            for view in range(views):
                at = row["created_at"] + timedelta(hours=1 + view)
                actor = self.user_ids[(dossier_id + view) % len(self.user_ids)]
                events.append((at, actor, row["company"], "dossier.viewed", "dossier",
                               str(dossier_id)))
            events.append((row["created_at"], self.user_ids[dossier_id % len(self.user_ids)],
                           row["company"], "dossier.person_looked_up", "person", person))
        rows = []
        for at, actor, company, action, object_type, object_id in events:
            details = json.dumps({"person": object_id} if object_type == "person" else {})
            fields = {"at": at.isoformat(timespec="microseconds"), "actor_id": actor,
                      "actor_username": None, "company_id": company, "action": action,
                      "object_type": object_type, "object_id": object_id, "result": "ok",
                      "details": details, "ip": None}
            digest = _row_digest(self.previous, fields, self.key)
            rows.append({"at": at, "actor_id": actor, "company_id": company,
                         "action": action, "object_type": object_type,
                         "object_id": object_id, "result": "ok", "details": details,
                         "prev_hash": self.previous, "hash": digest})
            self.previous = digest
        _insert(AuditEvent, rows)
        self.written += len(rows)


def generate(dossiers: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    started = time.monotonic()
    password_hash = hash_password(BENCH_PASSWORD)
    now = datetime(2026, 11, 1)
    with database.atomic():
        companies = []
        for index in range(OPERATORS):
            company = Company.create(enterprise_number=enterprise_number(index),
                                     name=f"Operator {index:02d}", is_operator=True,
                                     email=f"info@op{index:02d}.example.invalid")
            companies.append(company.id)
        web = Application.get(Application.code == "STTS_WEB").id
        users, profiles, apps = [], [], []
        user_index = 0
        for company_index, company_id in enumerate(companies):
            for slot in range(USERS_PER_OPERATOR):
                last, first = LAST_NAMES[user_index % 30], FIRST_NAMES[user_index % 18]
                users.append({
                    "company": company_id, "username": f"u{company_index:02d}.{slot:03d}",
                    "last_name": last, "first_name": first, "last_name_key": search_key(last),
                    "first_name_key": search_key(first),
                    "national_number": person_number(10_000_000 + user_index),
                    "email": f"u{user_index}@example.invalid", "language": "fr",
                    "password_hash": password_hash, "is_local_manager": slot == 0,
                    "blocked": slot % 37 == 5, "created_at": now, "version": 1,
                })
                user_index += 1
        _insert(User, users)
        user_ids = [u.id for u in User.select(User.id).join(Company)
                    .where(Company.is_operator & Company.name.startswith("Operator"))
                    .order_by(User.id)]
        for position, user_id in enumerate(user_ids):
            if position % USERS_PER_OPERATOR:
                profiles.append({"user": user_id, "profile": f"STTS{1 + position % 3}"})
                apps.append({"user": user_id, "application": web})
        _insert(UserProfile, profiles)
        _insert(UserApplication, apps)

    states = [state for state, weight in STATE_MIX for _ in range(weight)]
    trail = AuditTrail(user_ids)
    done = 0
    while done < dossiers:
        count = min(50_000, dossiers - done)
        beneficiaries, records = [], []
        for offset in range(count):
            index = done + offset
            last = LAST_NAMES[rng.randrange(30)]
            first = FIRST_NAMES[rng.randrange(18)]
            nrn = person_number(index)
            household = f"BH{index:08d}"
            beneficiaries.append({
                "national_number": nrn, "last_name": last, "first_name": first,
                "last_name_key": search_key(last), "first_name_key": search_key(first),
                "street": f"Rue {index % 500}", "postcode": "1000", "city": "Bruxelles",
                "household_id": household,
            })
            records.append({"national_number": nrn, "category": CATEGORIES[index % 6],
                            "valid_from": date(2015, 1, 1), "household_id": household,
                            "last_name": last, "first_name": first})
        with database.atomic():
            _insert(Beneficiary, beneficiaries)
            _insert(EligibilityRecord, records)
            first_id = (Beneficiary.select(Beneficiary.id)
                        .where(Beneficiary.national_number == beneficiaries[0]["national_number"])
                        .scalar())
            rows = []
            for offset in range(count):
                index = done + offset
                state = states[rng.randrange(len(states))]
                created = now - timedelta(days=rng.randrange(3 * 365), minutes=index % 1440)
                company_id = companies[index % OPERATORS]
                rows.append({
                    "beneficiary": first_id + offset, "company": company_id,
                    "last_name_key": beneficiaries[offset]["last_name_key"],
                    "first_name_key": beneficiaries[offset]["first_name_key"],
                    "household_key": f"H:BH{index:08d}", "category": CATEGORIES[index % 6],
                    "service": SERVICES[index % 3], "phone_number": f"+3247{index:07d}"[:12],
                    "customer_number": f"C{index:09d}", "tariff_formula": "Social basic",
                    "activation_date": (created + timedelta(days=5)).date()
                    if state in ("ACTIVE", "ENDED") else None,
                    "invoice_date": (created + timedelta(days=30)).date()
                    if state in ("ACTIVE", "ENDED") else None,
                    "state": state, "created_at": created, "updated_at": created, "version": 1,
                    "end_date": (created + timedelta(days=200)).date() if state == "ENDED" else None,
                    "end_reason": "CUSTOMER_REQUEST" if state == "ENDED" else None,
                })
            _insert(Dossier, rows)
            dossier_first = (Dossier.select(Dossier.id)
                             .where(Dossier.customer_number == rows[0]["customer_number"])
                             .scalar())
            actions, tasks = [], []
            for offset, row in enumerate(rows):
                dossier_id = dossier_first + offset
                author = user_ids[(done + offset) % len(user_ids)]
                history = [("REQUEST", None, "APPROVED" if row["state"] != "INCOMPLETE"
                            else "INCOMPLETE")]
                if row["state"] in ("ACTIVE", "ENDED"):
                    history.append(("ACTIVATE", "APPROVED", "ACTIVE"))
                if row["state"] == "ENDED":
                    history.append(("CEASE", "ACTIVE", "ENDED"))
                for step, (kind, before, after) in enumerate(history):
                    actions.append({
                        "dossier": dossier_id, "company": row["company"], "type": kind,
                        "author": author, "author_name": "Bench User",
                        "at": row["created_at"] + timedelta(days=step * 5),
                        "state_before": before, "state_after": after,
                        "before": "{}", "after": json.dumps({"state": after}),
                    })
                if (done + offset) % 20 == 0:
                    tasks.append({
                        "type": TASK_TYPES[(done + offset) % len(TASK_TYPES)],
                        "dossier": dossier_id, "company": row["company"],
                        "created_at": row["created_at"],
                        "due_date": (row["created_at"] + timedelta(days=30)).date(),
                        "state": "OPEN" if (done + offset) % 40 == 0 else "PROCESSED",
                        "details": "{}",
                    })
            _insert(DossierAction, actions)
            _insert(Task, tasks)
            trail.add(actions, rows, dossier_first, beneficiaries, rng)
        done += count
    return {"dossiers": dossiers, "operators": OPERATORS, "audit_events": trail.written,
            "users": OPERATORS * USERS_PER_OPERATOR, "seconds": round(time.monotonic() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--sqlite", help="SQLite file to create")
    parser.add_argument("--database-url", help="PostgreSQL URL (an empty database)")
    args = parser.parse_args()
    from stts.app import create_app
    from stts.db import migrate

    config = {"DATABASE_URL": args.database_url} if args.database_url else {
        "SQLITE_PATH": args.sqlite}
    app = create_app(config)
    with app.app_context():
        migrate()
        with database.connection_context():
            if is_sqlite():
                database.execute_sql("PRAGMA synchronous=OFF")
                database.execute_sql("PRAGMA cache_size=-400000")
            report = generate(args.dossiers)
            # Planner statistics of the loaded tables. Production keeps them current: a
            # nightly, approximate refresh on SQLite (stts.db.refresh_planner_statistics),
            # autovacuum on PostgreSQL.
            database.execute_sql("ANALYZE")
            print(json.dumps(report))


if __name__ == "__main__":
    main()
