"""The one way to write the audit trail.

Every row carries the hash of the previous row, so an edit made behind the application's
back breaks the chain (see ``verify_chain``). National register numbers never appear in
clear: pass them through ``pseudonymize``.
"""
from __future__ import annotations

import hashlib
import json

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


def _row_digest(prev_hash: str, fields: dict) -> str:
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
        event.hash = _row_digest(event.prev_hash, _hashed_fields(event))
        event.id = fastsql.insert(AuditEvent, {name: event.__data__.get(name)
                                               for name in _COLUMNS})
    return event


_LAST_HASH = "SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1"
_COLUMNS = ("at", "actor_id", "actor_username", "company_id", "action", "object_type",
            "object_id", "result", "details", "ip", "prev_hash", "hash")


def verify_chain(batch_size: int = 5000) -> list[int]:
    """Ids of audit rows whose hash or link does not match; empty when the trail is intact."""
    broken: list[int] = []
    prev_hash = GENESIS
    query = AuditEvent.select().order_by(AuditEvent.id)
    for event in query.iterator():
        expected = _row_digest(prev_hash, _hashed_fields(event))
        if event.prev_hash != prev_hash or event.hash != expected:
            broken.append(event.id)
        prev_hash = event.hash
    return broken
