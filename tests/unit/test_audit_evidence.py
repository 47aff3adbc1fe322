"""Checklist 35: the audit chain is keyed (HMAC, the key outside the database) and its head is
anchored outside the database at intervals (signed checkpoint files), so deleting rows,
recomputing the chain and cutting its end are all found by ``flask stts audit-verify``.
Each attack is scripted as an intruder with write access to the database would run it."""
import hashlib
import importlib.util
import json
import os

import pytest

from stts.db import database, is_sqlite
from stts.models import AuditEvent
from stts.services.audit import (
    GENESIS,
    _hashed_fields,
    checkpoint_dir,
    record_event,
    unkeyed_digest,
    verify_chain,
    verify_checkpoints,
    write_checkpoint,
)


def _seed(count=60):
    for i in range(count):
        record_event("test.event", actor=None, object_type="thing", object_id=i, n=i)


def _as_intruder(*statements):
    """Run SQL behind the application's back, the append-only guards out of the way."""
    sqlite = is_sqlite()
    with database.atomic():
        if sqlite:
            for verb in ("update", "delete"):
                database.execute_sql(f"DROP TRIGGER IF EXISTS audit_event_no_{verb}")
        else:
            database.execute_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        for sql, params in statements:
            database.execute_sql(sql.replace("%s", "?") if sqlite else sql, params)
        if not sqlite:
            database.execute_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def _recompute(digest):
    """Rewrite every hash of the chain in id order with ``digest(prev, fields)``."""
    prev = GENESIS
    statements = []
    for event in AuditEvent.select().order_by(AuditEvent.id):
        new = digest(prev, _hashed_fields(event))
        statements.append(("UPDATE audit_event SET prev_hash = %s, hash = %s WHERE id = %s",
                           (prev, new, event.id)))
        prev = new
    _as_intruder(*statements)


def _delete(ids):
    _as_intruder(*[("DELETE FROM audit_event WHERE id = %s", (i,)) for i in ids])


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["stts", *args])


def test_intact_trail_and_checkpoints_pass(app):
    _seed(5)
    assert write_checkpoint() is not None
    assert verify_chain() == [] and verify_checkpoints() == []
    result = _cli(app, "audit-verify")
    assert result.exit_code == 0 and "intact" in result.output


def test_deleting_rows_and_recomputing_the_unkeyed_chain_is_found(app):
    """The reported attack: 38 rows deleted, the SHA-256 chain recomputed — it used to pass."""
    _seed(60)
    ids = [e.id for e in AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id)][5:43]
    _delete(ids)
    _recompute(unkeyed_digest)
    broken = verify_chain()
    assert broken, "a chain recomputed without the key must not verify"
    result = _cli(app, "audit-verify")
    assert result.exit_code == 1 and "BROKEN" in result.output


def test_recomputing_with_a_guessed_key_is_found(app):
    import hmac

    _seed(10)
    _recompute(lambda prev, fields: hmac.new(b"guess", (prev + json.dumps(
        fields, sort_keys=True, separators=(",", ":"), default=str)).encode(),
        hashlib.sha256).hexdigest())
    assert len(verify_chain()) == AuditEvent.select().count()


def test_cutting_the_end_of_the_trail_is_found_by_the_checkpoint(app):
    """Deleting the last rows leaves a valid chain: only the anchor outside finds it."""
    _seed(20)
    write_checkpoint()
    last = [e.id for e in AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id.desc())
            .limit(7)]
    _delete(last)
    assert verify_chain() == []  # what is left is a consistent chain
    problems = verify_checkpoints()
    assert problems and "missing" in problems[0]
    result = _cli(app, "audit-verify")
    assert result.exit_code == 1 and "checkpoint" in result.output


def test_deleting_and_recomputing_with_the_stolen_key_is_found_by_the_checkpoint(app):
    """Even an intruder holding the chain key cannot move the anchors already written."""
    from stts.services.audit import _row_digest, chain_key

    _seed(30)
    write_checkpoint()
    ids = [e.id for e in AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id)][3:9]
    _delete(ids)
    key = chain_key()
    _recompute(lambda prev, fields: _row_digest(prev, fields, key))
    assert verify_chain() == []
    problems = verify_checkpoints()
    assert any("another hash" in p for p in problems) and any("rows up to" in p for p in problems)


def test_a_forged_or_edited_checkpoint_is_found(app):
    _seed(5)
    checkpoint = write_checkpoint()
    folder = checkpoint_dir()
    (path,) = [os.path.join(folder, n) for n in os.listdir(folder)]
    with open(path) as handle:
        data = json.load(handle)
    data["count"] = checkpoint["count"] - 1
    with open(path, "w") as handle:
        json.dump(data, handle)
    assert "signature" in verify_checkpoints()[0]


def test_the_periodic_task_writes_a_checkpoint_only_when_the_head_moved(app):
    from stts.worker.tasks import checkpoint_audit_trail

    _seed(3)
    first = checkpoint_audit_trail()
    assert first == AuditEvent.select().order_by(AuditEvent.id.desc()).first().id
    assert checkpoint_audit_trail() is None  # head unchanged: no new file
    _seed(1)
    assert checkpoint_audit_trail() > first
    assert len(os.listdir(checkpoint_dir())) == 2
    assert _cli(app, "audit-checkpoint").output.strip() == "head unchanged"


def test_the_key_is_outside_the_database(app):
    """Configured, or generated once into the instance folder; never written to a table."""
    from stts.app import _instance_secret

    key = app.config["AUDIT_CHAIN_KEY"]
    generated = _instance_secret(app, "audit_chain_key")
    assert os.path.exists(os.path.join(app.instance_path, "audit_chain_key"))
    assert len(generated) == 64  # 32 random bytes, hex
    for event in AuditEvent.select():
        assert key not in (event.details or "")


def test_the_migration_re_signs_an_intact_unkeyed_trail(app):
    """Rows written before the chain was keyed are checked against the old chain, then
    re-signed with the key, guards restored."""
    _seed(12)
    _recompute(unkeyed_digest)
    assert len(verify_chain()) == AuditEvent.select().count()
    path = os.path.join(os.path.dirname(__file__), "..", "..", "stts", "migrations",
                        "0014_keyed_audit_chain.py")
    spec = importlib.util.spec_from_file_location("keyed_chain", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with database.atomic():
        module.up(None, database.obj)
    assert verify_chain() == []
    from peewee import DatabaseError

    with pytest.raises(DatabaseError):  # the append-only guard is back
        with database.atomic():
            database.execute_sql("DELETE FROM audit_event")


def test_the_migration_refuses_a_broken_unkeyed_trail(app):
    _seed(6)
    _recompute(unkeyed_digest)
    target = AuditEvent.select().order_by(AuditEvent.id).first()
    _as_intruder(("UPDATE audit_event SET result = 'forged' WHERE id = %s", (target.id,)))
    path = os.path.join(os.path.dirname(__file__), "..", "..", "stts", "migrations",
                        "0014_keyed_audit_chain.py")
    spec = importlib.util.spec_from_file_location("keyed_chain_b", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(RuntimeError):
        module.up(None, database.obj)


def test_the_checkpoint_task_is_scheduled(app):
    from stts.worker import worker

    function, schedule, _options = worker._declared["audit.checkpoint"]
    assert schedule is not None and function.__name__ == "checkpoint_audit_trail"
