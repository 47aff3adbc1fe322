"""The documented multi-node deployment: the worker takes its jobs from Redis.

A web process (the test's application, its queue on the Redis server this machine runs)
queues a National Register import; a real ``huey_consumer stts.worker.consumer.huey``
process, configured only by environment variables as in docs/deployment.md, takes the job
from Redis and applies it to the same database."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stts.demo_dossiers import DEMO
from stts.models import Beneficiary, DeskJob, User
from stts.services import register_feed
from stts.worker import worker
from tests.conftest import REDIS_URL, redis_or_skip

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = Path(sys.executable).parent / "huey_consumer"


@pytest.fixture
def redis_queue(app):
    """The application's queue on Redis under a name of this test's own."""
    redis_or_skip()
    name = "stts-test-" + secrets.token_hex(4)
    app.config.update(HUEY_REDIS_URL=REDIS_URL, HUEY_NAME=name, HUEY_IMMEDIATE=False)
    worker.init_app(app)
    yield name
    worker.huey.storage.flush_all()


def test_a_worker_process_takes_the_job_from_redis(app, redis_queue):
    handler = User.get(User.username == "handler.bipt")
    nrn = DEMO["active_alpha"]
    raw = ("event_id,kind,national_number,date,street,postcode,city\n"
           f"R-1,ADDRESS,{nrn},2026-01-05,Rue de la Loi 16,1000,Bruxelles\n").encode()
    job = register_feed.start_register_import(handler, raw)
    assert DeskJob.get_by_id(job.id).state == "QUEUED"
    assert worker.huey.pending_count() == 1  # the job waits in Redis, not in this process

    env = {**os.environ, "STTS_HUEY_REDIS_URL": REDIS_URL, "STTS_HUEY_NAME": redis_queue,
           "STTS_INSTANCE_PATH": app.instance_path,
           "STTS_SECRET_KEY": app.config["SECRET_KEY"],
           "STTS_AUDIT_HMAC_KEY": app.config["AUDIT_HMAC_KEY"],
           "STTS_AUDIT_CHAIN_KEY": app.config["AUDIT_CHAIN_KEY"]}
    env.pop("STTS_HUEY_IMMEDIATE", None)
    env.pop("DATABASE_URL", None)
    if app.config.get("DATABASE_URL"):
        env["DATABASE_URL"] = app.config["DATABASE_URL"]
    else:
        env["STTS_SQLITE_PATH"] = app.config["SQLITE_PATH"]
    consumer = subprocess.Popen([str(CONSUMER), "stts.worker.consumer.huey", "-w", "1"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while DeskJob.get_by_id(job.id).state != "DONE":
            assert consumer.poll() is None, consumer.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker did not finish the job"
            time.sleep(0.2)
    finally:
        consumer.terminate()
        consumer.wait(timeout=10)
    assert Beneficiary.get(Beneficiary.national_number == nrn).street == "Rue de la Loi 16"
    assert worker.huey.pending_count() == 0
