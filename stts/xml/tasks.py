"""Background jobs of structured messages (huey; registered by an import in stts.jobs)."""
from huey import crontab

from stts.jobs import huey, in_app_context


@huey.task()
@in_app_context
def process_batch_job(batch_id: int):
    from stts.services.xml_batches import process_batch

    batch = process_batch(batch_id)
    return batch.state if batch is not None else None


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def resume_xml_batches():
    """Queue again the batches whose worker died (their lease ran out)."""
    from stts.services.xml_batches import resume_stale_batches

    ids = resume_stale_batches()
    for batch_id in ids:
        process_batch_job(batch_id)
    return ids
