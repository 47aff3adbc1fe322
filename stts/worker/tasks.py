"""Every background task. The bodies are services; a task only names them for the queue.

Imported by the application factory, so that the producer (a web process) and the consumer
(``stts.worker.consumer``) declare the same tasks under the same names."""
from __future__ import annotations

from huey import crontab

from stts.db import refresh_planner_statistics
from stts.models import DeskJob
from stts.services import access_requests, register_feed, yearly_check
from stts.services.audit import write_checkpoint
from stts.services.notifications import deliver_pending
from stts.services.sessions import purge_expired_sessions
from stts.services.statistics import summary as statistics_summary
from stts.services.xml_batches import processing as xml_processing
from stts.worker import worker
from stts.worker.runner import stale_desk_jobs

# The body of each kind of DeskJob (stts.worker.runner.run_desk_job runs and resumes them).
DESK_JOBS = {
    yearly_check.KIND: yearly_check.run_yearly_check,
    register_feed.KIND: register_feed.run_register_import,
}


@worker.task("mail.deliver", retries=3, retry_delay=30)
def deliver_mail():
    return deliver_pending()


@worker.periodic_task("mail.deliver_periodically", crontab(minute="*"))
def deliver_mail_periodically():
    return deliver_pending()


@worker.task("desk_job.run")
def run_desk_job(job_id: int):
    job = DeskJob.get_by_id(job_id)
    return DESK_JOBS[job.kind](job_id).state


@worker.task("xml.process_batch")
def process_xml_batch(batch_id: int | None = None):
    """One turn of the batch queue (``batch_id``, the batch that was received or resumed,
    only woke the queue up: the turn goes to the company waiting longest), then the next turn
    is queued behind whatever else is queued meanwhile: one company's huge batch is done in
    slices, with every other company's batches in between."""
    batch = xml_processing.process_turn()
    if batch is not None and xml_processing.waiting():
        worker.enqueue("xml.process_batch")
    return batch.state if batch is not None else None


@worker.periodic_task("jobs.resume", crontab(minute="*"))
def resume_jobs():
    """Queue again the jobs and batches whose worker died (their lease ran out)."""
    desk_jobs = stale_desk_jobs()
    for job_id in desk_jobs:
        worker.enqueue("desk_job.run", job_id)
    batches = xml_processing.resume_stale_batches()
    for batch_id in batches:
        worker.enqueue("xml.process_batch", batch_id)
    return {"desk_jobs": desk_jobs, "xml_batches": batches}


@worker.periodic_task("statistics.refresh", crontab(minute="17"))
def refresh_statistics():
    """Rebuild the dashboards' monthly summary from the dossier history, every hour
    (idempotent: a run that overlaps another gives the same rows)."""
    refresh = statistics_summary.rebuild()
    return {"dossiers": refresh.dossiers, "actions": refresh.actions}


@worker.periodic_task("xml.purge", crontab(minute="41", hour="3"))
def purge_xml_files():
    """Retention of structured-message files (docs/xml.md), every night."""
    return xml_processing.purge_files()


@worker.periodic_task("portal.purge_drafts", crontab(minute="23"))
def purge_portal_drafts():
    """Abandoned access-request drafts and their uploads (docs/security.md), hourly."""
    return access_requests.purge_drafts()


@worker.periodic_task("audit.checkpoint", crontab(minute="*/5"))
def checkpoint_audit_trail():
    """Anchor the audit chain's head outside the database (a signed file) every 5 minutes."""
    checkpoint = write_checkpoint()
    return checkpoint["id"] if checkpoint else None


@worker.periodic_task("sessions.purge", crontab(minute="7"))
def purge_sessions():
    """Sessions that expired without their browser coming back (checklist 9), hourly."""
    return purge_expired_sessions()


@worker.periodic_task("database.statistics", crontab(minute="53", hour="2"))
def refresh_database_statistics():
    """The query planner's statistics follow the tables as they grow (SQLite), nightly."""
    return refresh_planner_statistics()
