"""Checklist 37 (in part): one company's batch never holds a write transaction — and with it
the audit chain's lock (PostgreSQL) or the write lock (SQLite) — for long: a group of
messages is committed after XML_GROUP_SECONDS even when it is not full, and the batch
continues exactly after the last committed message."""
import io
import time

from stts.models import User, XmlMessageResult
from stts.services.xml_batches import intake, processing
from stts.xml import dispatcher
from tests.web.xml_helpers import batch_xml, enable_xml, request_msg


def test_a_slow_group_is_committed_in_short_transactions(app, monkeypatch):
    enable_xml()
    app.config.update(XML_GROUP_SIZE=200, XML_GROUP_SECONDS=0.1)
    sender = User.get(User.username == "lm.alpha")
    batch = intake.receive_batch(io.BytesIO(batch_xml(
        *[request_msg(f"f-{i}", 60 + i) for i in range(8)])), user=sender, enqueue=False)
    real_apply = dispatcher.apply_message

    def slow_apply(*args, **kwargs):
        time.sleep(0.06)
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(dispatcher, "apply_message", slow_apply)
    committed = []
    real_group = processing._apply_group

    def recording_group(*args, **kwargs):
        started = time.monotonic()
        done = real_group(*args, **kwargs)
        committed.append((done, time.monotonic() - started))
        return done

    monkeypatch.setattr(processing, "_apply_group", recording_group)
    done = processing.process_batch(batch.id)
    assert done.state == "DONE" and done.processed == 8
    assert sum(count for count, _ in committed) == 8
    assert len(committed) >= 3, committed  # not one transaction for the whole group
    assert all(count <= 2 for count, _ in committed), committed
    seqs = [r.seq for r in XmlMessageResult.select().where(XmlMessageResult.batch == batch.id)
            .order_by(XmlMessageResult.seq)]
    assert seqs == list(range(1, 9))  # each message once, in order
