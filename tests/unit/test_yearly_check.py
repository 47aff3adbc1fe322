"""The yearly check without HTTP: batches, unknown persons kept, progress and audit."""
from datetime import date, timedelta

from stts.demo_dossiers import DEMO
from stts.models import AuditEvent, Beneficiary, DeskJob, Dossier, EligibilityRecord, Task
from stts.services import yearly_check


def _dossier(nrn):
    return Dossier.select().join(Beneficiary).where(Beneficiary.national_number == nrn).get()


def test_walks_all_active_dossiers_in_small_batches(app):
    EligibilityRecord.update(valid_to=date.today() - timedelta(days=1)).where(
        EligibilityRecord.national_number.in_([DEMO["active_alpha"], DEMO["active_gamma"]])
    ).execute()
    EligibilityRecord.delete().where(
        EligibilityRecord.national_number == DEMO["active_beta"]).execute()
    active = Dossier.select().where(Dossier.state == "ACTIVE").count()
    job = DeskJob.create(kind=yearly_check.KIND, state="QUEUED")
    job = yearly_check.run_yearly_check(job.id, batch_size=7)
    result = yearly_check.result_of(job)
    assert job.state == "DONE" and job.done == job.total == active
    assert result == {"checked": active, "ended": 2, "kept": active - 3, "unknown": 1,
                      "skipped": 0}
    assert _dossier(DEMO["active_alpha"]).state == "ENDED"
    assert _dossier(DEMO["active_gamma"]).end_reason == "NOT_ELIGIBLE"
    assert _dossier(DEMO["active_beta"]).state == "ACTIVE"  # unknown to the source: kept
    assert Task.select().where(Task.type == "TERMINATE_REDUCTION").count() == 2
    events = list(AuditEvent.select().where(AuditEvent.action == "yearly_check.ended"))
    assert len(events) == 2 and all(DEMO["active_alpha"] not in e.details for e in events)


def test_a_finished_job_is_not_run_again(app):
    job = DeskJob.create(kind=yearly_check.KIND, state="DONE", result='{"checked": 0}')
    assert yearly_check.run_yearly_check(job.id).result == '{"checked": 0}'


def test_stale_running_job_does_not_block_a_new_one(app):
    from stts.db import utcnow
    from stts.models import User

    DeskJob.create(kind=yearly_check.KIND, state="RUNNING",
                   created_at=utcnow() - timedelta(days=1))
    job = yearly_check.start_yearly_check(User.get(User.username == "handler.bipt"))
    assert DeskJob.get_by_id(job.id).state == "DONE"
