"""Checklist 36 (stored files): a batch file is deleted once its batch is finished, its
response is kept XML_RESPONSE_RETENTION_DAYS and then purged by the daily job, and each
company's storage has a quota with a clear, translated refusal (desk and API)."""
import io
import os
from datetime import timedelta

from stts.db import utcnow
from stts.models import AuditEvent, User, XmlBatch
from stts.services.xml_batches import intake, processing
from stts.services.xml_batches.settings import file_path
from tests.conftest import text_of
from tests.web.xml_helpers import batch_xml, enable_xml, request_msg, upload


def _receive(content=None, username="lm.alpha"):
    sender = User.get(User.username == username)
    return intake.receive_batch(io.BytesIO(content or batch_xml(request_msg("r-1", 20))),
                                user=sender, enqueue=False)


def test_the_batch_file_is_deleted_once_processed_and_the_response_kept(app):
    enable_xml()
    batch = _receive()
    assert os.path.exists(file_path(batch.file_name))
    done = processing.process_batch(batch.id)
    assert done.state == "DONE"
    assert not os.path.exists(file_path(batch.file_name))  # full of national numbers: gone
    assert os.path.exists(file_path(done.response_name))


def test_a_rejected_batch_file_is_deleted_too(app):
    enable_xml()
    batch = _receive(b'<Batch xmlns="urn:be:stts:batch:1"><Header/></Batch>')
    done = processing.process_batch(batch.id)
    assert done.state == "REJECTED" and not os.path.exists(file_path(batch.file_name))


def test_the_daily_job_purges_old_responses_and_left_over_files(app, login_as):
    enable_xml()
    old, recent = _receive(), _receive(batch_xml(request_msg("r-2", 21)))
    processing.process_batch(old.id)
    processing.process_batch(recent.id)
    old, recent = XmlBatch.get_by_id(old.id), XmlBatch.get_by_id(recent.id)
    XmlBatch.update(finished_at=utcnow() - timedelta(days=91)).where(
        XmlBatch.id == old.id).execute()
    # a worker that died between the end of a batch and the deletion of its file
    with open(file_path(recent.file_name), "wb") as handle:
        handle.write(b"left over")
    from stts.worker.tasks import purge_xml_files

    assert purge_xml_files() == {"batch_files": 1, "responses": 1}
    assert not os.path.exists(file_path(old.response_name))
    assert os.path.exists(file_path(recent.response_name))
    assert not os.path.exists(file_path(recent.file_name))
    assert XmlBatch.get_by_id(old.id).response_name is None
    assert AuditEvent.select().where(AuditEvent.action == "xml.files_purged").exists()
    client = login_as("lm.alpha")
    assert client.get(f"/desk/xml/batches/{old.id}/response.xml").status_code == 409
    page = text_of(client.get(f"/desk/xml/batches/{old.id}"))
    assert "no longer kept" in page and "response.xml" not in page
    assert purge_xml_files() == {"batch_files": 0, "responses": 0}


def test_the_company_quota_refuses_an_upload_clearly(app, login_as):
    enable_xml()
    app.config["XML_COMPANY_QUOTA_BYTES"] = 3000
    _receive()  # waiting to be processed: its file counts
    client = login_as("lm.alpha")
    big = batch_xml(*[request_msg(f"q-{i}", 30 + i) for i in range(12)])
    assert len(big) > 2000
    before = XmlBatch.select().count()
    response = upload(client, big)
    assert response.status_code == 422
    assert "storage for structured messages is full" in text_of(response)
    assert XmlBatch.select().count() == before
    assert AuditEvent.select().where(AuditEvent.action == "xml.batch_refused").exists()
    folder = os.path.dirname(file_path("x"))
    assert len(os.listdir(folder)) == 1  # only the batch that is waiting
    client.post("/language", data={"language": "fr", "next": "/desk/xml"})
    response = upload(client, big)
    assert response.status_code == 422 and "stockage" in text_of(response)


def test_the_quota_frees_up_once_batches_are_processed(app):
    enable_xml()
    app.config["XML_COMPANY_QUOTA_BYTES"] = 6000
    first = _receive()
    processing.process_batch(first.id)  # its file goes, only its small response stays
    assert intake.stored_bytes(XmlBatch.get_by_id(first.id).company_id) < 2000
    _receive(batch_xml(request_msg("r-3", 22)))
    _receive(batch_xml(request_msg("r-4", 23)))
