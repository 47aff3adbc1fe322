"""The operator's tasks: raised by dossier events, processed by STTS 3 with a note."""
from __future__ import annotations

import json
from datetime import date, timedelta

from stts import fastsql
from stts.db import utcnow, write_transaction
from stts.i18n import lazy_gettext as _l
from stts.models import Beneficiary, Dossier, Task
from stts.pagination import Page, count_up_to, paginate_ids
from stts.services import NotFound, ServiceError
from stts.services.audit import record_event

DUE_DAYS = {
    "ENTER_MISSING_DATA": 30,
    "CLOSE_FILE": 7,
    "TERMINATE_REDUCTION": 30,
    "ADDRESS_CHANGED": 30,
    "BENEFICIARY_DECEASED": 30,
    "TRANSFERRED_AWAY": 14,
    "DECISION_TAKEN": 14,
}
PAGE_SIZE = 25


def raise_task(type_: str, dossier, company_id: int, *, details: dict | None = None,
               due: date | None = None) -> Task:
    """Create an open task for ``company_id`` (called inside the caller's transaction)."""
    return fastsql.create(Task, type=type_, dossier=dossier, company=company_id,
                          created_at=utcnow(),
                          due_date=due or date.today() + timedelta(days=DUE_DAYS[type_]),
                          details=json.dumps(details or {}, sort_keys=True, default=str))


# The navigation counts open tasks on every page: only this far ("99+", as badges do), one
# index range of at most this many entries whatever the company's backlog. The inbox itself
# counts its list further (stts.pagination.COUNT_LIMIT).
OPEN_TASK_COUNT_LIMIT = 99


def open_task_count(user) -> int:
    """The company's open tasks, counted up to ``OPEN_TASK_COUNT_LIMIT`` + 1 (more means
    "more than the limit"): the number shown in the navigation and on the desk home."""
    return count_up_to("open-tasks", lambda: Task.select(Task.id).where(
        *_task_conditions(("company", "state"))), {"company": user.company_id, "state": "OPEN"},
        OPEN_TASK_COUNT_LIMIT + 1)


def open_task_label(count: int) -> str:
    """``open_task_count`` as shown: the number, or "99+" past the limit."""
    return f"{OPEN_TASK_COUNT_LIMIT}+" if count > OPEN_TASK_COUNT_LIMIT else str(count)


def list_tasks(user, *, type_: str | None = None, due: str | None = None,
               state: str = "OPEN", page: int = 1) -> Page:
    """Tasks of the user's company; ``due`` is "overdue", "today" or "week"."""
    values = {"company": user.company_id}
    if state in ("OPEN", "DONE"):
        values["state"] = state
    if type_:
        values["type"] = type_
    today = date.today()
    if due == "overdue":
        values["due_before"] = today
    elif due in ("today", "week"):
        values["due_until"] = today + timedelta(days=7 if due == "week" else 0)
    names = tuple(sorted(values))
    # Count and page on the (company, state, due_date, id) index alone; then the page's rows
    # with their dossiers and persons.
    return paginate_ids(
        ("task-inbox", names), lambda: Task.select(Task.id).where(*_task_conditions(names)),
        values, page, PAGE_SIZE, (Task.due_date, Task.id), lambda in_page: (
            # The row shows the dossier's number and the person's name: only those columns.
            Task.select(Task, Dossier.id, Dossier.company, Dossier.state, Beneficiary.last_name,
                        Beneficiary.first_name).join(Dossier).join(Beneficiary)
            .where(in_page)), count_first=True)


def _task_conditions(names):
    Param = fastsql.Param
    conditions = {
        "company": lambda: Task.company == Param("company"),
        "state": lambda: Task.state == Param("state"),
        "type": lambda: Task.type == Param("type"),
        "due_before": lambda: Task.due_date < Param("due_before", Task.due_date),
        "due_until": lambda: Task.due_date <= Param("due_until", Task.due_date),
    }
    return [conditions[name]() for name in names]


def get_task(user, task_id) -> Task:
    task = (Task.select(Task, Dossier, Beneficiary).join(Dossier).join(Beneficiary)
            .where((Task.id == task_id) & (Task.company == user.company_id)).first())
    if task is None:
        raise NotFound(_l("This task does not exist."))
    return task


DONE_BY_ACTION = {"ENTER_MISSING_DATA": "INCOMPLETE"}
"""Tasks that the action they ask for closes, with the dossier state that means "not done
yet": such a task cannot be closed with a note while its dossier is still in that state."""


def close_done_tasks(user, dossier, type_: str) -> None:
    """The action a task asked for was done: close the dossier's open tasks of ``type_``
    (called inside the caller's transaction)."""
    now = utcnow()
    for task in Task.select(Task.id).where((Task.dossier == dossier.id)
                                           & (Task.type == type_) & (Task.state == "OPEN")):
        Task.update(state="DONE", note="", processed_by=user.id, processed_at=now).where(
            (Task.id == task.id) & (Task.state == "OPEN")).execute()
        record_event("task.processed", actor=user, object_type="task", object_id=task.id,
                     company_id=user.company_id, task_type=type_, dossier=dossier.id,
                     by_action=True)


def blocker_of(task: Task):
    """Why ``task`` cannot be marked processed yet (the reason people read), or None."""
    if task.state != "OPEN":
        return _l("This task was already processed.")
    if DONE_BY_ACTION.get(task.type) == task.dossier.state:
        return _l("The dossier still lacks data: enter the missing data first. The task "
                  "closes by itself once the dossier is complete.")
    return None


def process_task(user, task_id, note: str) -> Task:
    note = (note or "").strip()
    if not note:
        raise ServiceError(_l("Write a note about what you did."), field="note")
    with write_transaction():
        task = get_task(user, task_id)
        blocker = blocker_of(task)
        if blocker:
            raise ServiceError(blocker, field="note")
        now = utcnow()
        rows = (Task.update(state="DONE", note=note, processed_by=user.id, processed_at=now)
                .where((Task.id == task.id) & (Task.state == "OPEN")).execute())
        if rows != 1:
            raise ServiceError(_l("This task was already processed."), field="note")
        task.state, task.note, task.processed_by, task.processed_at = "DONE", note, user.id, now
        record_event("task.processed", actor=user, object_type="task", object_id=task.id,
                     company_id=user.company_id, task_type=task.type, dossier=task.dossier_id)
    return task


def details_of(task: Task) -> dict:
    return json.loads(task.details or "{}")
