"""A worker killed in the middle of a batch, then restarted: no message lost, none applied
twice. The processing runs in a subprocess that is SIGKILLed after it committed some groups."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from peewee import fn

from stts.db import utcnow
from stts.demo_dossiers import person
from stts.models import Beneficiary, Dossier, DossierAction, User, XmlBatch, XmlMessageResult
from stts.services.xml_batches import intake, processing
from tests.web.xml_helpers import batch_xml, enable_xml

pytestmark = pytest.mark.slow

COUNT = 400
FIRST = 5000  # persons unknown to the eligibility source: requests go to REVIEW


def _messages():
    return [f'<Request messageId="k-{i}"><NationalNumber>{person(FIRST + i)}</NationalNumber>'
            f'<Category>AGE65</Category><LastName>Kill{i}</LastName><FirstName>Test</FirstName>'
            '</Request>' for i in range(COUNT)]


SCRIPT = textwrap.dedent("""
    import json, sys
    from stts.app import create_app
    from stts.db import database
    config = json.loads(sys.argv[1])
    app = create_app(config)
    app.instance_path = config["INSTANCE"]
    with app.app_context(), database.connection_context():
        from stts.services.xml_batches.processing import process_batch
        process_batch(int(sys.argv[2]))
""")


def test_killed_worker_resumes_exactly_once(app, tmp_path):
    import io
    import json

    enable_xml()
    sender = User.get(User.username == "lm.alpha")
    batch = intake.receive_batch(io.BytesIO(batch_xml(*_messages())), user=sender,
                                      enqueue=False)
    config = {key: app.config[key] for key in ("SECRET_KEY", "AUDIT_HMAC_KEY", "AUDIT_CHAIN_KEY",
                                                     "TESTING")}
    for key in ("SQLITE_PATH", "DATABASE_URL"):
        if app.config.get(key):
            config[key] = app.config[key]
    config.update(XML_GROUP_SIZE=20, XML_GROUP_PAUSE=0.05, XML_GROUP_SECONDS=0,
                  INSTANCE=app.instance_path)
    worker = subprocess.Popen([sys.executable, "-c", SCRIPT, json.dumps(config), str(batch.id)],
                              cwd=os.getcwd())
    deadline = time.monotonic() + 60
    processed = 0
    while time.monotonic() < deadline:
        processed = XmlBatch.get_by_id(batch.id).processed
        if processed >= 60:
            break
        assert worker.poll() is None, "the worker ended before it could be killed"
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed = XmlBatch.get_by_id(batch.id)
    assert killed.state == "PROCESSING" and 60 <= killed.processed < COUNT
    assert killed.processed % 20 == 0  # only whole groups are committed
    assert XmlMessageResult.select().where(XmlMessageResult.batch == batch.id).count() == \
        killed.processed
    # The dead worker's lease has to run out before another worker may take the batch.
    assert processing.process_batch(batch.id) is None
    XmlBatch.update(lease_until=utcnow()).where(XmlBatch.id == batch.id).execute()
    assert batch.id in processing.resume_stale_batches(older_than=__import__("datetime").timedelta(0))

    done = processing.process_batch(batch.id)
    assert done.state == "DONE"
    assert (done.total, done.processed, done.accepted, done.rejected) == (COUNT, COUNT, COUNT, 0)
    numbers = [person(FIRST + i) for i in range(COUNT)]
    per_person = dict(Dossier.select(Beneficiary.national_number, fn.COUNT(Dossier.id))
                      .join(Beneficiary).where(Beneficiary.national_number.in_(numbers))
                      .group_by(Beneficiary.national_number).tuples())
    assert len(per_person) == COUNT and set(per_person.values()) == {1}
    requests = (DossierAction.select().join(Dossier).join(Beneficiary)
                .where(Beneficiary.national_number.in_(numbers)
                       & (DossierAction.type == "REQUEST")).count())
    assert requests == COUNT
    assert XmlMessageResult.select().where(XmlMessageResult.batch == batch.id).count() == COUNT
