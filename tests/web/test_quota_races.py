"""Two uploads at once against the last room of a quota: one is stored, the other refused
(the portal's total and per-address quotas, a company's XML storage). Each upload that reads
the quota's total waits there for the other one (at most a second): without the
serialization both read the same total, both fit, and both are stored."""
import io
import os
import threading

import pytest

from stts.models import AccessRequestDraft, User, XmlBatch
from stts.services import access_requests
from stts.services.xml_batches import intake
from stts.services.xml_batches.settings import file_path
from tests.concurrency import run_together
from tests.web.portal_helpers import MANAGER, NEW_ENTERPRISE, PDF, SIGNER
from tests.web.xml_helpers import batch_xml, enable_xml, request_msg


def hold_after(monkeypatch, module, name, parties=2):
    """``module.name`` (a quota reading) then waits for ``parties`` readings in all, or one
    second: the readings of both uploads happen before either writes, unless one waits for
    the other's transaction."""
    original = getattr(module, name)
    barrier = threading.Barrier(parties)

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        try:
            barrier.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass  # the other upload waits for this one's transaction
        return result

    monkeypatch.setattr(module, name, held)


def _at_signer_step(make_client, address):
    client = make_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.get("/access-request")
    client.post("/access-request/category", data={"category": "onss_employer"})
    client.post("/access-request/company",
                data={"enterprise_number": NEW_ENTERPRISE, "company_name": "Delta"})
    assert client.post("/access-request/manager", data=MANAGER).status_code == 303
    return client


def _upload(client):
    return lambda: client.post(
        "/access-request/signer", content_type="multipart/form-data",
        data={**SIGNER, "active": "no", "gazette": (io.BytesIO(PDF), "copy.pdf")}).status_code


def _uploads(app):
    folder = os.path.join(app.instance_path, "uploads")
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


@pytest.mark.parametrize("quota", ["PORTAL_UPLOAD_QUOTA_TOTAL", "PORTAL_UPLOAD_QUOTA_PER_ADDRESS"])
def test_two_portal_uploads_cannot_both_take_the_last_room(app, make_client, monkeypatch, quota):
    app.config[quota] = len(PDF) + 10  # room for one file
    first, second = (_at_signer_step(make_client, "203.0.113.20") for _ in range(2))
    before = _uploads(app)
    hold_after(monkeypatch, access_requests, "check_upload_quota")
    outcomes = run_together(app, [_upload(first), _upload(second)])
    assert sorted(outcomes) == [("ok", 303), ("ok", 422)], outcomes
    assert len(_uploads(app) - before) == 1  # the refused file was not kept
    counted = [d.gazette_bytes for d in AccessRequestDraft.select() if d.gazette_bytes]
    assert counted == [len(PDF)]


def test_two_batches_cannot_both_take_a_companys_last_room(app, monkeypatch):
    enable_xml()
    content = batch_xml(request_msg("race-1", 20))
    app.config["XML_COMPANY_QUOTA_BYTES"] = len(content) + 10
    sender = User.get(User.username == "lm.alpha")
    hold_after(monkeypatch, intake, "stored_bytes")

    def send():
        return intake.receive_batch(io.BytesIO(content), user=sender, enqueue=False).id

    outcomes = run_together(app, [send, send])
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    assert [result.code for kind, result in outcomes if kind == "refused"] == ["quota_exceeded"]
    batches = list(XmlBatch.select())
    assert len(batches) == 1
    folder = os.path.dirname(file_path("x"))
    assert os.listdir(folder) == [batches[0].file_name]


def test_a_file_whose_draft_was_not_saved_is_not_kept(app, make_client, monkeypatch):
    """The upload is stored inside the transaction that saves the draft: when that
    transaction fails, the file goes with it (no file that no draft names, until the purge)."""
    client = _at_signer_step(make_client, "203.0.113.21")
    before = _uploads(app)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(access_requests, "_record_step", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert _upload(client)() == 500
    assert _uploads(app) == before
