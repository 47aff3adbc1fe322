"""Two years of history for the demo's dashboards (``flask stts seed-demo``, so ``make run``).

The demo's own dossiers all date from early 2024; this adds persons 1000–1599 (known and
eligible, one household each) as dossiers of the three demo operators, requested over the
last two years, each with the history a real dossier has: activations (a few back-dated
into the month before), transfers between operators (with the old operator's task), files
under review decided by the regulator after some days, cessations for every reason (some
with an earlier effective date), a cancelled request and cancelled activations, and weekly
XML batches of Telco Alpha. Deterministic; bulk inserts; idempotent (nothing when the
history is there). The test database does not load it: tests build their own histories.
"""
from __future__ import annotations

import json
import random
import secrets
from datetime import date, datetime, time, timedelta

from stts.db import database
from stts.demo import OPERATORS
from stts.demo_dossiers import names, person
from stts.models import (
    Beneficiary,
    Company,
    Dossier,
    DossierAction,
    Task,
    User,
    XmlBatch,
)
from stts.models.dossiers import CATEGORIES, CEASE_REASONS, SERVICES
from stts.text import search_key

FIRST, LAST = 1000, 1600
MARK = "H-"  # customer numbers of these dossiers start with it


def _at(day: date, hour: int) -> datetime:
    """A working hour of ``day`` (Brussels) as stored: naive UTC (an hour or two earlier)."""
    return datetime.combine(day, time(hour - 1))


def _snap(**fields) -> str:
    return json.dumps({k: (str(v) if isinstance(v, date) else v) for k, v in fields.items()},
                      sort_keys=True)


class _Dossier:
    """One dossier's history, built in order, then written at once."""

    def __init__(self, company, category, service, created: date):
        self.company, self.category, self.service = company, category, service
        self.created = created
        self.state = None
        self.actions: list[dict] = []
        self.tasks: list[dict] = []
        self.fields: dict = {}

    def act(self, type_, day, hour, state, *, company="own", before=None, after=None,
            cancelled=False, reason=None):
        self.actions.append({
            "type": type_, "company": self.company if company == "own" else company,
            "at": _at(day, hour), "state_before": self.state, "state_after": state,
            "before": _snap(**(before or {})), "after": _snap(**(after or {})),
            "reason": reason, "cancelled": cancelled,
        })
        self.state = state


def _history(rng: random.Random, n: int, companies: list[int], today: date) -> _Dossier:
    created = today - timedelta(days=rng.randrange(5, 730))
    company = companies[0 if n % 10 < 5 else 1 if n % 10 < 8 else 2]
    service = SERVICES[rng.randrange(3)]
    d = _Dossier(company, CATEGORIES[n % len(CATEGORIES)], service, created)
    roll = rng.random()
    if roll < 0.04:  # a request for the wrong person, cancelled the next day
        d.act("REQUEST", created, 9, "APPROVED", after={"state": "APPROVED",
                                                         "service": service})
        d.act("CANCEL", created + timedelta(days=1), 10, "CANCELLED",
              before={"state": "APPROVED"}, after={}, reason="Wrong person")
        d.actions[0]["cancelled"] = True
        return d
    if roll < 0.18:  # the automatic check could not decide: the regulator reviews it
        d.act("REQUEST", created, 10, "REVIEW", after={"state": "REVIEW", "service": service})
        decided = created + timedelta(days=rng.choice((2, 5, 9, 14, 21, 28, 35, 45, 60)))
        if decided >= today:
            return d
        decision = "APPROVED" if rng.random() < 0.8 else "REJECTED"
        d.act("APPROVE" if decision == "APPROVED" else "REJECT", decided, 14, decision,
              company=None, before={"state": "REVIEW"},
              after={"state": decision, "decision_date": decided},
              reason="Certificate checked" if decision == "APPROVED" else "Not eligible")
        d.fields["decision_date"] = decided
        d.tasks.append(_task("DECISION_TAKEN", d.company, decided, today, rng))
        if decision == "REJECTED":
            return d
        start = decided
    else:
        d.act("REQUEST", created, 9, "APPROVED", after={"state": "APPROVED",
                                                         "service": service})
        d.fields["decision_date"] = created
        start = created
    activated = start + timedelta(days=rng.randrange(1, 20))
    if activated >= today or rng.random() < 0.06:
        return d  # approved, not active yet
    effective = activated
    if rng.random() < 0.08:  # entered late, with the first of the month as activation date
        effective = (activated.replace(day=1) - timedelta(days=1)).replace(day=1)
        effective = max(effective, start)
    if rng.random() < 0.04:  # activated by mistake, the activation cancelled the next day
        d.act("ACTIVATE", activated, 11, "ACTIVE", before={"state": "APPROVED"},
              after={"state": "ACTIVE", "activation_date": effective}, cancelled=True)
        d.act("CANCEL", activated + timedelta(days=1), 9, "APPROVED",
              before={"state": "ACTIVE"}, after={"state": "APPROVED"}, reason="Wrong date")
        activated += timedelta(days=3)
        effective = activated
        if activated >= today:
            return d
    d.act("ACTIVATE", activated, 11, "ACTIVE", before={"state": "APPROVED"},
          after={"state": "ACTIVE", "activation_date": effective, "invoice_date": effective})
    d.fields.update(activation_date=effective, invoice_date=effective)
    moment = activated
    if rng.random() < 0.15:  # taken over by another operator
        moved = moment + timedelta(days=rng.randrange(30, 400))
        if moved < today:
            new = rng.choice([c for c in companies if c != d.company])
            new_service = SERVICES[rng.randrange(3)]
            d.act("TRANSFER", moved, 15, "ACTIVE", company=new,
                  before={"company_id": d.company, "service": d.service},
                  after={"company_id": new, "service": new_service, "activation_date": moved})
            d.tasks.append(_task("TRANSFERRED_AWAY", d.company, moved, today, rng))
            d.company, d.service = new, new_service
            d.fields.update(activation_date=moved, invoice_date=moved)
            moment = moved
    if rng.random() < 0.22:  # ceased
        ceased = moment + timedelta(days=rng.randrange(20, 500))
        if ceased < today:
            reason = rng.choice(CEASE_REASONS)
            end = ceased - timedelta(days=rng.choice((0, 0, 0, 5, 40)))
            end = max(end, moment)
            d.act("CEASE", ceased, 16, "ENDED", before={"state": "ACTIVE"},
                  after={"state": "ENDED", "end_date": end, "end_reason": reason})
            d.fields.update(end_date=end, end_reason=reason)
    return d


# Who records each kind of action at the demo operators (their "Your work" page).
PROFILE_OF = {"REQUEST": 1, "TRANSFER": 1, "MODIFY": 1, "COMPLETE": 1, "ACTIVATE": 2,
              "CEASE": 2, "CANCEL": 3}


def _authors(by_number: dict) -> dict:
    """(company id, profile number) → the demo user stts<profile>.<slug>; the regulator's
    decisions are handler.bipt's (company None)."""
    users = {u.username: u for u in User.select()}
    authors = {(None, None): users.get("handler.bipt")}
    for operator in OPERATORS:
        enterprise, slug = operator[0], operator[3]
        for profile in (1, 2, 3):
            user = users.get(f"stts{profile}.{slug}")
            if user is not None and enterprise in by_number:
                authors[(by_number[enterprise], profile)] = user
    return authors


def _task(type_, company, day, today, rng) -> dict:
    due = day + timedelta(days=14)
    done = day + timedelta(days=rng.randrange(1, 40))
    processed = done if done < today and rng.random() < 0.85 else None
    return {"type": type_, "company": company, "created_at": _at(day, 15),
            "due_date": due, "state": "DONE" if processed else "OPEN",
            "processed_at": _at(processed, 10) if processed else None, "details": "{}"}


def seed_statistics_history(today: date | None = None) -> int:
    """Add the history (once); returns the number of dossiers added."""
    today = today or date.today()
    if Dossier.select().where(Dossier.customer_number.startswith(MARK)).exists():
        return 0
    by_number = {c.enterprise_number: c.id for c in Company.select()}
    companies = [by_number[enterprise] for enterprise, *_rest in OPERATORS
                 if enterprise in by_number]
    taken = {b for (b,) in Beneficiary.select(Beneficiary.national_number).tuples()}
    if len(companies) < 3:
        return 0
    authors = _authors(by_number)
    rng = random.Random(18)  # noqa: S311  # nosec B311 (demo data, deterministic on purpose)
    added = 0
    with database.atomic():
        for n in range(FIRST, LAST):
            nrn = person(n)
            if nrn in taken:
                continue
            d = _history(rng, n, companies, today)
            last, first = names(n)
            beneficiary = Beneficiary.create(
                national_number=nrn, last_name=last, first_name=first,
                last_name_key=search_key(last), first_name_key=search_key(first),
                household_id=f"HH{n:06d}", street=f"Rue de la Loi {n % 180 + 1}",
                postcode="1000", city="Bruxelles")
            dossier = Dossier.create(
                beneficiary=beneficiary, company=d.company, household_key=f"H:HH{n:06d}",
                category=d.category, service=d.service, phone_number=f"+3247{n:07d}",
                customer_number=f"{MARK}{n:06d}", tariff_formula="Social basic",
                state=d.state, created_at=d.actions[0]["at"], updated_at=d.actions[-1]["at"],
                **d.fields)
            previous = None
            for action in d.actions:
                cancelled = action.pop("cancelled")
                author = authors.get((action["company"], PROFILE_OF.get(action["type"])))
                row = DossierAction.create(
                    dossier=dossier, author=author,
                    author_name=author.full_name if author else "BIPT", **action)
                if action["type"] == "CANCEL" and previous is not None:
                    DossierAction.update(cancelled_by=row.id).where(
                        DossierAction.id == previous).execute()
                previous = row.id if cancelled else None
            for task in d.tasks:
                Task.create(dossier=dossier, **task)
            added += 1
        _xml_batches(companies[0], today, rng)
    return added


def _xml_batches(company: int, today: date, rng: random.Random) -> None:
    sender = User.get_or_none(User.username == "lm.alpha")
    for week in range(26):
        day = today - timedelta(days=7 * week + rng.randrange(0, 5))
        rejected_whole = rng.random() < 0.1
        total = rng.randrange(20, 200)
        refused = 0 if rejected_whole else rng.randrange(0, max(1, total // 8))
        XmlBatch.create(
            company=company, sender=sender, sender_name="Anne Manager", language="fr",
            file_name=secrets.token_hex(16), state="REJECTED" if rejected_whole else "DONE",
            total=0 if rejected_whole else total, processed=0 if rejected_whole else total,
            accepted=0 if rejected_whole else total - refused, rejected=refused,
            error="The file is not valid against the schema." if rejected_whole else None,
            created_at=_at(day, 8), finished_at=_at(day, 9), updated_at=_at(day, 9))
