"""The one lifecycle of a long job: a lease, progress, resume.

A worker holds a job (a ``DeskJob``, or an ``XmlBatch``: any model with ``lease_token``,
``lease_until`` and ``updated_at``) through a lease that it renews each time it commits
progress. A worker that dies stops renewing; once the lease has run out, ``stale`` finds the
job and the periodic ``resume`` task queues it again, and the next run starts from the
position its last committed progress recorded. Progress lives in the database, never in
worker memory, so any worker on any machine can continue and any page can show it.
"""
from __future__ import annotations

import json
import secrets
from datetime import timedelta

from flask import current_app

from stts.db import database, utcnow
from stts.models import DeskJob

LEASE_SECONDS = 300
DESK_JOB_RUNNING = ("QUEUED", "RUNNING")


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead): stop quietly."""


class Lease:
    """A worker's hold on one row of ``model``."""

    def __init__(self, model, row_id: int, token: str):
        self.model, self.row_id, self.token = model, row_id, token

    @classmethod
    def claim(cls, model, row_id: int, unfinished) -> Lease | None:
        """Take the row when it is ``unfinished`` (a condition) and nobody holds it."""
        token = secrets.token_hex(16)
        now = utcnow()
        rows = (model.update(lease_token=token, lease_until=now + _lease_length(),
                             updated_at=now)
                .where((model.id == row_id) & unfinished
                       & (model.lease_until.is_null() | (model.lease_until < now)))
                .execute())
        return cls(model, row_id, token) if rows else None

    def renew(self, **fields) -> None:
        """Write ``fields`` and extend the lease; LeaseLost when the row is not ours."""
        now = utcnow()
        fields.update(updated_at=now, lease_until=now + _lease_length())
        rows = (self.model.update(**fields)
                .where((self.model.id == self.row_id) & (self.model.lease_token == self.token))
                .execute())
        if rows != 1:
            raise LeaseLost(self.row_id)

    def release(self) -> None:
        (self.model.update(lease_token=None, lease_until=None)
         .where((self.model.id == self.row_id) & (self.model.lease_token == self.token))
         .execute())


def _lease_length() -> timedelta:
    return timedelta(seconds=current_app.config.get("JOB_LEASE_SECONDS", LEASE_SECONDS))


def stale(model, unfinished, older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Ids of unfinished rows nobody holds and nobody touched for ``older_than``."""
    now = utcnow()
    return [row.id for row in model.select(model.id).where(
        unfinished & (model.lease_until.is_null() | (model.lease_until < now))
        & (model.updated_at < now - older_than))]


class Progress:
    """What a job's body reports while it works: counters, its result so far and the
    position a resumed run starts from, committed together (and the lease renewed)."""

    def __init__(self, lease: Lease, job: DeskJob):
        self.lease, self.job = lease, job

    @property
    def position(self) -> int:
        return self.job.position or 0

    @property
    def result(self) -> dict:
        return json.loads(self.job.result or "{}")

    def save(self, *, done: int, position: int, result: dict, total: int | None = None) -> None:
        fields = {"done": done, "position": position, "result": json.dumps(result)}
        if total is not None:
            fields["total"] = total
        with database.atomic():
            self.lease.renew(**fields)
        for name, value in fields.items():
            setattr(self.job, name, value)


def run_desk_job(job_id: int, body) -> DeskJob | None:
    """Run (or resume) a ``DeskJob``: ``body(job, progress)`` does the work, saves its last
    progress and returns the final result (a dict). None when another worker holds the job
    or it is finished."""
    lease = Lease.claim(DeskJob, job_id, DeskJob.state.in_(DESK_JOB_RUNNING))
    if lease is None:
        return None
    job = DeskJob.get_by_id(job_id)
    try:
        lease.renew(state="RUNNING")
        result = body(job, Progress(lease, job))
    except LeaseLost:
        return None
    except Exception:
        lease.renew(state="FAILED", finished_at=utcnow())
        raise
    else:
        lease.renew(state="DONE", result=json.dumps(result), finished_at=utcnow())
    finally:
        lease.release()
    return DeskJob.get_by_id(job_id)


def stale_desk_jobs(older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    return stale(DeskJob, DeskJob.state.in_(DESK_JOB_RUNNING), older_than)
