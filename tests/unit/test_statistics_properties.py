"""The promise of the figures, on many random dossier histories (Hypothesis): a month that
has ended keeps its figures, unless an action recorded later changes it — and then that
month is reported as corrected. Also: a history reads as contiguous spells.

Histories are drawn from the dossier's state machine (request, complete, review decisions,
activation, transfer, modification, cessation, cancellation of the latest action), with
effective dates before, on or after the day they are recorded."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stts.services.statistics.history import Action, month_of, read

COMPANIES = (1, 2, 3)
SERVICES = ("FIXED", "MOBILE", "INTERNET")
REASONS = ("CUSTOMER_REQUEST", "END_OF_CONTRACT", "MOVED")


def _month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@st.composite
def histories(draw):
    day = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
    company, service = draw(st.sampled_from(COMPANIES)), draw(st.sampled_from(SERVICES))
    rows: list[dict] = []
    undo: list[tuple] = []  # (state, company, service) before each action, for CANCEL

    def add(type_, state_after, *, by="own", before=None, after=None):
        rows.append({"id": len(rows) + 1, "type": type_,
                     "company_id": company if by == "own" else by,
                     "at": datetime.combine(day, datetime.min.time()) + timedelta(hours=11),
                     "state_before": state, "state_after": state_after,
                     "before": json.dumps(before or {}), "after": json.dumps(after or {}),
                     "cancelled_by_id": None})

    state = None
    first = draw(st.sampled_from(("APPROVED", "REVIEW", "INCOMPLETE")))
    undo.append((state, company, service))
    add("REQUEST", first, after={"state": first, "service": service})
    state = first
    for _ in range(draw(st.integers(0, 9))):
        day += timedelta(days=draw(st.integers(0, 100)))
        last = rows[-1]
        can_cancel = last["type"] != "CANCEL" and last["company_id"] is not None
        moves = {"INCOMPLETE": ["COMPLETE"], "REVIEW": ["APPROVE", "REJECT"],
                 "APPROVED": ["ACTIVATE"], "ACTIVE": ["TRANSFER", "CEASE", "MODIFY"]}.get(
                     state, [])
        if can_cancel:
            moves = [*moves, "CANCEL"]
        if not moves:
            break
        move = draw(st.sampled_from(moves))
        before_move = (state, company, service)
        if move == "CANCEL":
            back_state, back_company, back_service = undo[-1]
            restored = back_state or "CANCELLED"
            add("CANCEL", restored, before={"state": state},
                after={"company_id": back_company, "service": back_service})
            last["cancelled_by_id"] = rows[-1]["id"]
            state, company, service = restored, back_company, back_service
            undo.append(before_move)
            continue
        undo.append(before_move)
        if move == "COMPLETE":
            state_after = draw(st.sampled_from(("APPROVED", "REVIEW")))
            add("COMPLETE", state_after, after={"state": state_after})
        elif move in ("APPROVE", "REJECT"):
            state_after = "APPROVED" if move == "APPROVE" else "REJECTED"
            add(move, state_after, by=None, after={"state": state_after})
        elif move == "ACTIVATE":
            effective = day - timedelta(days=draw(st.integers(-10, 70)))
            state_after = "ACTIVE"
            add("ACTIVATE", "ACTIVE", after={"activation_date": str(effective)})
        elif move == "TRANSFER":
            new = draw(st.sampled_from([c for c in COMPANIES if c != company]))
            new_service = draw(st.sampled_from(SERVICES))
            effective = day - timedelta(days=draw(st.integers(-5, 40)))
            old = company
            company, service = new, new_service
            add("TRANSFER", "ACTIVE", before={"company_id": old},
                after={"company_id": new, "service": new_service,
                       "activation_date": str(effective)})
            state_after = "ACTIVE"
        elif move == "CEASE":
            effective = day - timedelta(days=draw(st.integers(-20, 70)))
            add("CEASE", "ENDED", after={"end_date": str(effective),
                                         "end_reason": draw(st.sampled_from(REASONS))})
            state_after = "ENDED"
        else:  # MODIFY: the service changes
            service = draw(st.sampled_from(SERVICES))
            add("MODIFY", "ACTIVE", after={"service": service})
            state_after = "ACTIVE"
        state = state_after
    return rows, company, service


def _figures(reading, months):
    """ACTIVE at each month's end per company, and each month's flows per company."""
    active = {m: Counter(s.company_id for s in reading.spells if s.state == "ACTIVE"
                         and s.start <= _month_end(m) and (s.end is None
                                                           or s.end > _month_end(m)))
              for m in months}
    flows = {m: Counter((e.company_id, e.key) for e in reading.events
                        if e.measure == "FLOW" and month_of(e.day) == m) for m in months}
    return active, flows


def _actions(rows, cutoff=None):
    """The history as recorded up to row ``cutoff`` (a later CANCEL is not known yet)."""
    rows = rows[:cutoff] if cutoff else rows
    ids = {r["id"] for r in rows}
    return [Action(**{**r, "cancelled_by_id": r["cancelled_by_id"]
                      if r["cancelled_by_id"] in ids else None}) for r in rows]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.data())
def test_an_ended_month_changes_only_with_a_reported_correction(history, data):
    rows, company, service = history
    # The figures as published some day between two recorded actions (or after the last).
    cutoff = data.draw(st.integers(1, len(rows)))
    recorded = rows[cutoff - 1]["at"].date()
    following = rows[cutoff]["at"].date() if cutoff < len(rows) else recorded + \
        timedelta(days=120)
    known_at = recorded + timedelta(days=data.draw(
        st.integers(0, max(0, (following - recorded).days - 1))))
    ended = []
    month = month_of(rows[0]["at"].date() - timedelta(days=90))
    while _month_end(month) < known_at:
        ended.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    then = read(_actions(rows, cutoff), company_id=company, service=service)
    now = read(_actions(rows), company_id=company, service=service)
    then_active, then_flows = _figures(then, ended)
    now_active, now_flows = _figures(now, ended)
    corrected = {(month_of(e.day), e.key) for e in now.events if e.measure == "CORRECTED"}
    for month in ended:
        if then_active[month] != now_active[month] or then_flows[month] != now_flows[month]:
            assert any(m == month and recorded >= known_at.strftime("%Y-%m")
                       for m, recorded in corrected), (month, rows[cutoff:])


@settings(max_examples=300, deadline=None)
@given(histories())
def test_a_history_reads_as_contiguous_spells(history):
    rows, company, service = history
    reading = read(_actions(rows), company_id=company, service=service)
    chain = [r for r in rows if r["type"] != "CANCEL" and r["cancelled_by_id"] is None]
    if not chain:
        assert reading.spells == []
        return
    spells = reading.spells
    assert spells and spells[-1].end is None and spells[-1].state == chain[-1]["state_after"]
    assert spells[-1].company_id == company
    for one, two in zip(spells, spells[1:], strict=False):
        assert one.end == two.start and one.start < one.end
    transfers = Counter(e.key for e in reading.events if e.key.startswith("TRANSFER"))
    assert transfers["TRANSFER_IN"] == transfers["TRANSFER_OUT"]
