"""The audit chain becomes keyed: every existing row's hash is recomputed with HMAC-SHA256 and
the chain key (``AUDIT_CHAIN_KEY``, outside the database), in id order, after checking that
the unkeyed chain was intact (a broken trail is not silently re-signed: the migration stops).
The append-only guards are lifted for this one rewrite and put back in the same transaction.
Afterwards the first checkpoint is written by the worker (or ``flask stts audit-checkpoint``)."""
import hashlib
import hmac
import json

from flask import current_app
from peewee import SqliteDatabase, Table

GENESIS = "0" * 64
FIELDS = ("at", "actor_id", "actor_username", "company_id", "action", "object_type",
          "object_id", "result", "details", "ip")


def _canonical(row: dict) -> str:
    at = row["at"]
    fields = {name: row[name] for name in FIELDS}
    fields["at"] = at.isoformat(timespec="microseconds") if hasattr(at, "isoformat") else at
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


def _lift_guards(db):
    if isinstance(db, SqliteDatabase):
        for verb in ("update", "delete"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS audit_event_no_{verb}")
    else:
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")


def _restore_guards(db):
    if isinstance(db, SqliteDatabase):
        for verb in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END")
    else:
        db.execute_sql(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")


def up(migrator, db):
    from stts.models import AuditEvent

    if not AuditEvent.select().exists():
        return  # a new installation: nothing to re-sign
    key = current_app.config["AUDIT_CHAIN_KEY"].encode()
    columns = [getattr(AuditEvent, name) for name in ("id", "prev_hash", "hash") + FIELDS]
    rows = AuditEvent.select(*columns).order_by(AuditEvent.id).dicts()
    old_prev = new_prev = GENESIS
    updates = []
    for row in rows.iterator():
        canonical = _canonical(row)
        expected = hashlib.sha256((old_prev + canonical).encode()).hexdigest()
        if row["prev_hash"] != old_prev or row["hash"] != expected:
            raise RuntimeError(f"audit row {row['id']} does not match the unkeyed chain: "
                               "run `flask stts audit-verify` on the old version first")
        old_prev = row["hash"]
        new_hash = hmac.new(key, (new_prev + canonical).encode(), hashlib.sha256).hexdigest()
        updates.append((row["id"], new_prev, new_hash))
        new_prev = new_hash
    if not updates:
        return
    _lift_guards(db)
    table = Table(AuditEvent._meta.table_name, ("id", "prev_hash", "hash")).bind(db)
    for row_id, prev_hash, new_hash in updates:
        table.update(prev_hash=prev_hash, hash=new_hash).where(table.id == row_id).execute()
    _restore_guards(db)


def down(migrator, db):
    raise RuntimeError("the keyed audit chain cannot be made unkeyed again")
