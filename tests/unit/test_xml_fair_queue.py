"""Checklist 37: one company's huge batch does not hold up another company's batch. The
queue does a batch one turn at a time (its validation, then slices of XML_SLICE_MESSAGES
messages) and gives the turn to the company waiting longest, so a small batch sent after a
big one is done long before the big one ends.

The queue is the real one (huey on SQLite, and on Redis when a server answers), worked by
hand one task at a time: the order is deterministic, no timing is involved."""
import io
import uuid

import pytest

from stts.models import User, XmlBatch, XmlMessageResult
from stts.services.xml_batches import intake, processing
from stts.worker import worker
from tests.conftest import redis_or_skip
from tests.web.xml_helpers import batch_xml, enable_xml, request_msg

BIG, SMALL, SLICE = 400, 30, 40
BETA = "0428759497"


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, app, tmp_path):
    """The application's job queue as the worker process has it (not immediate)."""
    app.config.update(HUEY_IMMEDIATE=False, HUEY_SQLITE_PATH=str(tmp_path / "queue.sqlite3"),
                      HUEY_NAME=f"stts-test-{uuid.uuid4().hex}",
                      XML_SLICE_MESSAGES=SLICE, XML_SLICE_SECONDS=0, XML_GROUP_SIZE=15)
    if request.param == "redis":
        app.config["HUEY_REDIS_URL"] = redis_or_skip()
    worker.init_app(app)
    yield worker.huey
    worker.huey.flush()


def _run_one(huey) -> bool:
    """What the consumer does for one task: take the oldest and run it."""
    task = huey.dequeue()
    if task is None:
        return False
    huey.execute(task)
    return True


def _send(username: str, prefix: str, count: int, first: int, enterprise: str) -> XmlBatch:
    sender = User.get(User.username == username)
    content = batch_xml(*[request_msg(f"{prefix}-{i}", first + i, category="AGE65",
                                      extra=f"<LastName>Fair{i}</LastName><FirstName>T</FirstName>")
                          for i in range(count)], enterprise=enterprise, batch_id=prefix)
    return intake.receive_batch(io.BytesIO(content), user=sender)


def _state(batch):
    return XmlBatch.get_by_id(batch.id)


def test_a_small_batch_sent_after_a_huge_one_is_done_first(queue):
    enable_xml()
    enable_xml(BETA, "xml@beta.example.invalid")
    big = _send("lm.alpha", "big", BIG, 5000, "0403019261")
    assert _run_one(queue)  # the big batch's validation: one turn
    assert _state(big).state == "PROCESSING" and _state(big).processed == 0
    assert _run_one(queue)  # its first slice
    assert _state(big).processed == SLICE
    small = _send("lm.beta", "small", SMALL, 7000, BETA)

    turns = 0
    while _state(small).state != "DONE":
        assert _run_one(queue), "the queue ran dry before the small batch was done"
        turns += 1
    # The small batch needed two turns (validation, one slice); the big one got one slice in
    # between, so most of it is still waiting.
    assert turns <= 4
    assert _state(big).processed <= 2 * SLICE < BIG // 2
    assert _state(big).state == "PROCESSING"

    while _run_one(queue):  # the big batch continues, slice after slice, to its end
        pass
    big = _state(big)
    assert (big.state, big.processed, big.accepted) == ("DONE", BIG, BIG)
    seqs = [seq for (seq,) in XmlMessageResult.select(XmlMessageResult.seq)
            .where(XmlMessageResult.batch == big.id).order_by(XmlMessageResult.seq).tuples()]
    assert seqs == list(range(1, BIG + 1))  # each message once, whatever the slicing
    assert _state(small).accepted == SMALL


def test_turns_go_round_the_companies_waiting(queue):
    """Three companies' batches at once: every turn goes to the company served least
    recently, each company's batches in the order they came."""
    enable_xml()
    enable_xml(BETA, "xml@beta.example.invalid")
    a1 = _send("lm.alpha", "a1", 3 * SLICE, 5000, "0403019261")
    a2 = _send("lm.alpha", "a2", SLICE, 5200, "0403019261")
    b1 = _send("lm.beta", "b1", 2 * SLICE, 7000, BETA)
    served = []
    while True:
        before = {b.id: (b.state, b.processed) for b in XmlBatch.select()}
        if not _run_one(queue):
            break
        after = {b.id: (b.state, b.processed) for b in XmlBatch.select()}
        served += [batch_id for batch_id in after if after[batch_id] != before[batch_id]]
    names = {a1.id: "a1", a2.id: "a2", b1.id: "b1"}
    order = [names[batch_id] for batch_id in served]
    # alpha, beta, alpha, beta...: a1's validation, b1's, a1's slices with b1's in between,
    # then a2 once a1 is done.
    assert order == ["a1", "b1", "a1", "b1", "a1", "b1", "a1", "a2", "a2"], order
    assert all(_state(b).state == "DONE" for b in (a1, a2, b1))


def test_the_slice_continues_the_reader_where_it_stopped(queue, monkeypatch):
    """A batch's next slice does not parse its file again from the start."""
    enable_xml()
    opened = []
    real = processing.read_batch
    monkeypatch.setattr(processing, "read_batch",
                        lambda *args, **kwargs: opened.append(args) or real(*args, **kwargs))
    big = _send("lm.alpha", "big", 4 * SLICE, 5000, "0403019261")
    while _run_one(queue):
        pass
    assert _state(big).state == "DONE"
    assert len(opened) == 2  # validation, then one reader for every slice
