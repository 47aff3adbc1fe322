"""The yearly check: every ACTIVE dossier is checked again against the eligibility source.

A case handler starts it (``start_yearly_check``); a background job (huey) walks the ACTIVE
dossiers in batches by id, asks the source, and ends those whose person is known but no
longer entitled (state ENDED, end reason NOT_ELIGIBLE, action YEARLY_CHECK, task "Terminate
reduction" for the operator). Each dossier is ended in its own transaction; progress
(``DeskJob.done``/``total``) is committed after every batch, so any worker or page sees it.

A person the source does not know at all is kept (the regulator may have approved them after
a review because the source could not decide) and counted as ``unknown``.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from stts.db import utcnow, write_transaction
from stts.eligibility import get_source
from stts.i18n import lazy_gettext as _l
from stts.models import Beneficiary, DeskJob, Dossier
from stts.services import Conflict, NotFound, ServiceError
from stts.services.audit import record_event
from stts.services.dossiers.records import add_action, audit, save, snapshot
from stts.services.tasks import raise_task
from stts.worker import worker
from stts.worker.runner import DESK_JOB_RUNNING, LeaseLost, run_desk_job

KIND = "YEARLY_CHECK"
BATCH_SIZE = 200
STALE_AFTER = timedelta(hours=6)  # a job whose worker died does not block the next one


def start_yearly_check(user) -> DeskJob:
    """Create the job and queue it. Refused while another yearly check is running."""
    with write_transaction():
        running = (DeskJob.select().where((DeskJob.kind == KIND)
                                          & DeskJob.state.in_(DESK_JOB_RUNNING)
                                          & (DeskJob.created_at > utcnow() - STALE_AFTER))
                   .first())
        if running is not None:
            raise ServiceError(_l("A yearly check is already running."))
        job = DeskJob.create(kind=KIND, state="QUEUED", started_by=user.id, created_at=utcnow(),
                             total=Dossier.select().where(Dossier.state == "ACTIVE").count())
        record_event("yearly_check.started", actor=user, object_type="desk_job",
                     object_id=job.id)
    worker.enqueue("desk_job.run", job.id)
    return job


def get_job(job_id, kind: str = KIND) -> DeskJob:
    job = DeskJob.get_or_none((DeskJob.id == job_id) & (DeskJob.kind == kind))
    if job is None:
        raise NotFound(_l("This job does not exist."))
    return job


def recent_jobs(kind: str = KIND, limit: int = 10) -> list[DeskJob]:
    return list(DeskJob.select().where(DeskJob.kind == kind)
                .order_by(DeskJob.id.desc()).limit(limit))


def result_of(job: DeskJob) -> dict:
    return json.loads(job.result or "{}")


def _end_if_not_eligible(dossier: Dossier, today: date) -> str:
    """'ended', 'kept', 'unknown' or 'skipped' (changed meanwhile) for one dossier."""
    answer = get_source().check(dossier.beneficiary.national_number, today)
    if answer.eligible:
        return "kept"
    if not answer.known:
        return "unknown"
    with write_transaction():
        current = (Dossier.select(Dossier, Beneficiary).join(Beneficiary)
                   .where(Dossier.id == dossier.id).first())
        if current is None or current.state != "ACTIVE":
            return "skipped"
        fields = ("state", "end_date", "end_reason")
        before = snapshot(current, fields)
        end = max(today, current.activation_date or today)
        try:
            save(current, current.version, {"state": "ENDED", "end_date": end,
                                             "end_reason": "NOT_ELIGIBLE"})
        except Conflict:
            return "skipped"
        after = snapshot(current, fields)
        add_action(current, None, "YEARLY_CHECK", "ACTIVE", before=before, after=after,
                    reason="no longer eligible", company_id=None)
        raise_task("TERMINATE_REDUCTION", current, current.company_id,
                   details={"customer_number": current.customer_number,
                            "phone_number": current.phone_number, "reason": "NOT_ELIGIBLE"})
        audit("yearly_check.ended", current, None, before=before, after=after)
    return "ended"


def run_yearly_check(job_id: int, batch_size: int = BATCH_SIZE) -> DeskJob:
    """Run (or resume) the job; returns it as it stands (unchanged when it was finished or
    another worker holds it)."""
    return (run_desk_job(job_id, lambda job, progress: _check_all(job, progress, batch_size))
            or DeskJob.get_by_id(job_id))


def _check_all(job: DeskJob, progress, batch_size: int) -> dict:
    """The job's body: walk ACTIVE dossiers by id (keyset pagination), batch by batch; a
    resumed run starts after the last dossier of the last committed batch."""
    today = date.today()
    counts = {"checked": 0, "ended": 0, "kept": 0, "unknown": 0, "skipped": 0}
    counts.update(progress.result)
    last_id = progress.position
    total = job.total if last_id else Dossier.select().where(Dossier.state == "ACTIVE").count()
    progress.save(done=counts["checked"], position=last_id, result=counts, total=total)
    try:
        while True:
            batch = list(Dossier.select(Dossier, Beneficiary).join(Beneficiary)
                         .where((Dossier.state == "ACTIVE") & (Dossier.id > last_id))
                         .order_by(Dossier.id).limit(batch_size))
            if not batch:
                break
            for dossier in batch:
                counts[_end_if_not_eligible(dossier, today)] += 1
                counts["checked"] += 1
            last_id = batch[-1].id
            progress.save(done=counts["checked"], position=last_id, result=counts,
                          total=max(total, counts["checked"]))
    except LeaseLost:
        raise
    except Exception:
        record_event("yearly_check.failed", actor=None, object_type="desk_job",
                     object_id=job.id, result="error", **counts)
        raise
    progress.save(done=counts["checked"], position=last_id, result=counts,
                  total=counts["checked"])
    record_event("yearly_check.finished", actor=None, object_type="desk_job", object_id=job.id,
                 **counts)
    return counts
