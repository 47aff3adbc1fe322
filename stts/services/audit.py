"""The one way to write the audit trail.

Every row carries a keyed hash (HMAC-SHA256 with ``AUDIT_CHAIN_KEY``, a key kept outside the
database: configuration or the instance file ``audit_chain_key``) of its fields and of the
previous row's hash. Someone who can write the database but does not hold the key cannot
recompute the chain after editing or deleting a row (see ``verify_chain``). The chain's head
is anchored outside the database at intervals: ``write_checkpoint`` signs the last row's id,
hash and the number of rows into a file of ``AUDIT_CHECKPOINT_DIR``, and
``verify_checkpoints`` finds a trail cut after a checkpoint, or rewritten before it.
National register numbers never appear in clear: pass them through ``pseudonymize``.
What this protects against, and what not: docs/security.md ("The audit trail's evidence").
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os

from flask import current_app

from stts import fastsql
from stts.db import database, is_sqlite, utcnow
from stts.logging import hash_number
from stts.models import AuditEvent

GENESIS = "0" * 64
_CHAIN_LOCK_KEY = 74_787_001  # PostgreSQL advisory lock serialising the chain


def pseudonymize(national_number: str) -> str:
    """Keyed hash of a national register number: linkable in the trail, not reversible."""
    return hash_number(national_number, current_app.config["AUDIT_HMAC_KEY"].encode())


def chain_key() -> bytes:
    return current_app.config["AUDIT_CHAIN_KEY"].encode()


def _row_digest(prev_hash: str, fields: dict, key: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, (prev_hash + canonical).encode(), hashlib.sha256).hexdigest()


def unkeyed_digest(prev_hash: str, fields: dict) -> str:
    """The digest of the chain before it was keyed (read once, by the migration)."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict:
    return {
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "company_id": event.company_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "result": event.result,
        "details": event.details,
        "ip": event.ip,
    }


def record_event(
    action: str,
    *,
    actor,
    address: str | None = None,
    company_id: int | None = None,
    object_type: str | None = None,
    object_id=None,
    result: str = "ok",
    before: dict | None = None,
    after: dict | None = None,
    **details,
) -> AuditEvent:
    """Append one event. ``actor``: the user who acts (None for the system or an anonymous
    visitor); the source address is ``address``, or the one the actor came from
    (``source_address``, set where the user was loaded for a request or a batch)."""
    payload = dict(details)
    if before is not None:
        payload["before"] = before
    if after is not None:
        payload["after"] = after
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_username=actor.username if actor is not None else None,
        company_id=company_id if company_id is not None else getattr(actor, "company_id", None),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        result=result,
        details=json.dumps(payload, sort_keys=True, default=str),
        ip=address if address is not None else getattr(actor, "source_address", None),
    )
    # Every event is two statements built once per process (stts/fastsql.py): the chain's
    # last hash by primary key, and one INSERT. The lock (PostgreSQL) or the write
    # transaction (SQLite) keeps the chain linear under concurrent writers.
    with database.atomic():
        if not is_sqlite():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_CHAIN_LOCK_KEY,))
        last = fastsql.execute(_LAST_HASH).fetchone()
        event.prev_hash = last[0] if last else GENESIS
        event.hash = _row_digest(event.prev_hash, _hashed_fields(event), chain_key())
        event.id = fastsql.insert(AuditEvent, {name: event.__data__.get(name)
                                               for name in _COLUMNS})
    return event


_LAST_HASH = "SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1"
_COLUMNS = ("at", "actor_id", "actor_username", "company_id", "action", "object_type",
            "object_id", "result", "details", "ip", "prev_hash", "hash")


def verify_chain(batch_size: int = 5000) -> list[int]:
    """Ids of audit rows whose keyed hash or link does not match; empty when the chain is
    intact. A row deleted in the middle breaks the next row's link; a row edited or inserted,
    or a chain recomputed without the key, breaks every hash from there on."""
    key = chain_key()
    broken: list[int] = []
    prev_hash = GENESIS
    query = AuditEvent.select().order_by(AuditEvent.id)
    for event in query.iterator():
        expected = _row_digest(prev_hash, _hashed_fields(event), key)
        if event.prev_hash != prev_hash or event.hash != expected:
            broken.append(event.id)
        prev_hash = event.hash
    return broken


# --- the head anchored outside the database ---------------------------------------------------

_CHECKPOINT_PREFIX = "audit-checkpoint-"


def checkpoint_dir() -> str:
    return current_app.config.get("AUDIT_CHECKPOINT_DIR") or os.path.join(
        current_app.instance_path, "audit-checkpoints")


def _signature(body: dict, key: bytes) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, b"checkpoint:" + canonical.encode(), hashlib.sha256).hexdigest()


def write_checkpoint() -> dict | None:
    """Sign the chain's head (last id, its hash, the number of rows) into a new file of the
    checkpoint directory; nothing when the head has not moved since the last checkpoint.
    Returns the checkpoint written."""
    row = (AuditEvent.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc())
           .first())
    if row is None:
        return None
    folder = checkpoint_dir()
    os.makedirs(folder, mode=0o700, exist_ok=True)
    latest = _latest_checkpoint(folder)
    if latest is not None and latest.get("id") == row.id:
        return None
    count = AuditEvent.select().where(AuditEvent.id <= row.id).count()
    body = {"id": row.id, "hash": row.hash, "count": count,
            "at": utcnow().isoformat(timespec="seconds")}
    checkpoint = {**body, "signature": _signature(body, chain_key())}
    path = os.path.join(folder, f"{_CHECKPOINT_PREFIX}{row.id:020d}.json")
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(checkpoint, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)  # a reader never sees half a file
    return checkpoint


def _checkpoint_files(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                  if name.startswith(_CHECKPOINT_PREFIX) and name.endswith(".json"))


def _latest_checkpoint(folder: str) -> dict | None:
    files = _checkpoint_files(folder)
    if not files:
        return None
    try:
        with open(files[-1]) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def verify_checkpoints() -> list[str]:
    """What the checkpoints outside the database disagree with (empty: they all agree). Each
    signed checkpoint must still find its row, with the same hash, and as many rows up to
    it: rows cut from the end (truncation), deleted before it, or a chain recomputed from
    an earlier point are found, and a forged or edited checkpoint file too."""
    key = chain_key()
    problems: list[str] = []
    for path in _checkpoint_files(checkpoint_dir()):
        name = os.path.basename(path)
        try:
            with open(path) as handle:
                checkpoint = json.load(handle)
            body = {k: checkpoint[k] for k in ("id", "hash", "count", "at")}
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(f"{name}: unreadable checkpoint")
            continue
        if not hmac.compare_digest(str(checkpoint.get("signature", "")), _signature(body, key)):
            problems.append(f"{name}: signature does not match (forged or altered)")
            continue
        row = AuditEvent.select(AuditEvent.hash).where(AuditEvent.id == body["id"]).first()
        if row is None:
            problems.append(f"{name}: row {body['id']} is missing (the trail was cut or "
                            "rows deleted)")
            continue
        if row.hash != body["hash"]:
            problems.append(f"{name}: row {body['id']} has another hash than when anchored")
        count = AuditEvent.select().where(AuditEvent.id <= body["id"]).count()
        if count != body["count"]:
            problems.append(f"{name}: {count} rows up to {body['id']}, {body['count']} when "
                            "anchored")
    return problems
