"""One dossier's history read as figures: pure functions, no database, no request.

The history is the dossier's actions in the order they were recorded. The figures follow
three rules (docs/statistics.md):

* **A cancelled action never happened.** The action and the CANCEL that undid it are both
  left out; since only the latest action can be cancelled, the remaining chain is consistent.
* **An action takes effect on its effective date**: the activation date for ACTIVATE and
  TRANSFER, the end date for CEASE, DEATH and YEARLY_CHECK (the first day without the tariff),
  and the day it was recorded (Brussels time) for every other action. An action never takes
  effect before the one before it in the chain.
* **A month's figures are final when it ends**, unless an action recorded later takes effect
  in it or before it (a back-dated activation or end, or the cancellation of an action of
  that month): such an action is a *correction* of each month it changed, from the month
  it takes effect in to the month before it was recorded, and the dashboards say so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
START_DATE_FIELD = {"ACTIVATE": "activation_date", "TRANSFER": "activation_date"}
END_ACTIONS = {"CEASE": None, "DEATH": "DEATH", "YEARLY_CHECK": "NOT_ELIGIBLE"}
DECIDED = ("APPROVED", "REJECTED", "CLOSED")


@dataclass(frozen=True)
class Action:
    """The fields of a ``DossierAction`` the figures read (``at`` is naive UTC)."""

    id: int
    type: str
    company_id: int | None
    at: datetime
    state_before: str | None
    state_after: str
    before: str = "{}"
    after: str = "{}"
    cancelled_by_id: int | None = None


@dataclass(frozen=True)
class Spell:
    """The dossier was in ``state`` at ``company`` from ``start`` (included) to ``end``
    (excluded; None: still)."""

    start: date
    end: date | None
    company_id: int
    service: str
    state: str


@dataclass(frozen=True)
class Event:
    """Something that happened on ``day``: a flow (``key`` REQUEST, ACTIVATE, TRANSFER_IN,
    TRANSFER_OUT, CEASE:<reason>), a review decision (``key`` WAIT, ``days`` waited) or a
    correction (``key`` the month, YYYY-MM, in which it was recorded)."""

    day: date
    company_id: int
    service: str
    measure: str
    key: str
    days: int = 0


@dataclass
class Reading:
    spells: list[Spell] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def local_day(moment: datetime) -> date:
    """The Brussels day of a stored (naive UTC) time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(BRUSSELS).date()


def month_of(day: date) -> date:
    return day.replace(day=1)


def _json(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def raw_effective(action: Action) -> date:
    """The day an action says it takes effect (before the chain's ordering)."""
    after = _json(action.after)
    name = START_DATE_FIELD.get(action.type)
    if action.type in END_ACTIONS:
        name = "end_date"
    return (_day(after.get(name)) if name else None) or local_day(action.at)


def read(actions: list[Action], *, company_id: int, service: str | None) -> Reading:
    """The spells and events of one dossier. ``company_id`` and ``service``: the dossier's
    current values, used when the history does not record them (old or imported rows)."""
    actions = sorted(actions, key=lambda a: a.id)
    cancelled = {a.cancelled_by_id: a for a in actions if a.cancelled_by_id is not None}
    reading = Reading()
    chain_company, chain_service = company_id, service or ""
    first = next((a for a in actions if a.type != "CANCEL"), None)
    if first is not None:
        first_after = _json(first.after)
        if first.type == "REQUEST" and first.company_id is not None:
            chain_company = first.company_id
        elif first.type == "TRANSFER":
            chain_company = _json(first.before).get("company_id") or chain_company
        if "service" in first_after:
            chain_service = first_after["service"] or ""
        elif first.type == "TRANSFER" and "service" in _json(first.before):
            chain_service = _json(first.before)["service"] or ""

    previous: date | None = None
    state: str | None = None
    spell_start: date | None = None
    review_since: date | None = None
    for action in actions:
        recorded = local_day(action.at)
        if action.type == "CANCEL":
            undone = cancelled.get(action.id)
            if undone is not None:
                effect = max(raw_effective(undone), previous) if previous else \
                    raw_effective(undone)
                _correction(reading, effect, recorded, chain_company, chain_service)
            continue
        effect = raw_effective(action)
        if previous is not None and effect < previous:
            effect = previous
        _correction(reading, effect, recorded, chain_company, chain_service)
        if action.cancelled_by_id is not None:
            continue  # it never happened (its CANCEL, later, is the correction)
        before, after = _json(action.before), _json(action.after)
        old_company, old_service = chain_company, chain_service
        if action.type == "TRANSFER":
            chain_company = after.get("company_id") or action.company_id or chain_company
        if "service" in after:
            chain_service = after["service"] or ""
        # The spell of the state before ends here; the new one starts.
        if state is not None and (action.state_after != state or chain_company != old_company
                                  or chain_service != old_service):
            reading.spells.append(Spell(spell_start, effect, old_company, old_service, state))
            spell_start = effect
        if state is None:
            spell_start = effect
        state = action.state_after
        previous = effect
        _flows(reading, action, effect, before, after, old_company, old_service,
               chain_company, chain_service)
        # Review waiting time, in days of the record (when the file entered and left review).
        if action.state_after == "REVIEW" and action.state_before != "REVIEW":
            review_since = recorded
        elif action.state_before == "REVIEW" and action.state_after in DECIDED \
                and review_since is not None:
            reading.events.append(Event(recorded, chain_company, chain_service, "WAIT", "WAIT",
                                        (recorded - review_since).days))
            review_since = None
    if state is not None:
        reading.spells.append(Spell(spell_start, None, chain_company, chain_service, state))
    reading.spells = [s for s in reading.spells if s.end is None or s.end > s.start]
    return reading


def _flows(reading, action, effect, before, after, old_company, old_service, company,
           service) -> None:
    add = reading.events.append
    if action.type == "REQUEST":
        add(Event(effect, company, service, "FLOW", "REQUEST"))
    elif action.type == "ACTIVATE":
        add(Event(effect, company, service, "FLOW", "ACTIVATE"))
    elif action.type == "TRANSFER" and company != old_company:
        add(Event(effect, company, service, "FLOW", "TRANSFER_IN"))
        add(Event(effect, old_company, old_service, "FLOW", "TRANSFER_OUT"))
    elif action.type in END_ACTIONS:
        reason = END_ACTIONS[action.type] or after.get("end_reason") or "OTHER"
        add(Event(effect, company, service, "FLOW", f"CEASE:{reason}"))


def _correction(reading, effect: date, recorded: date, company, service) -> None:
    """An action recorded after the month it takes effect in has ended corrects that month
    and every month after it that had ended too (their end-of-month figures include it)."""
    month, last = month_of(effect), month_of(recorded)
    while month < last:
        reading.events.append(Event(max(effect, month), company, service, "CORRECTED",
                                    recorded.strftime("%Y-%m")))
        month = (month + timedelta(days=32)).replace(day=1)
