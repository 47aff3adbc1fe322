"""Processing a batch in the worker: pass 1 validates the whole file against the schema and
the company's rules, pass 2 applies its messages in groups through the dossier desk's
services, as the sender and with the sender's rights; then the response file and the
notification. A worker holds the batch through a lease (``stts.worker.runner``); a dead
worker's lease runs out and the batch is resumed after its last committed group."""
from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from peewee import InterfaceError, OperationalError, fn

from stts import fastsql
from stts.db import database, utcnow
from stts.i18n import gettext as _
from stts.i18n import lazy_gettext as _l
from stts.labels import STATE_LABELS
from stts.models import Company, TechnicalAccount, User, XmlBatch, XmlMessageResult
from stts.models.xml import FINISHED_STATES
from stts.rights import allowed
from stts.services import Conflict, NotFound, ServiceError
from stts.services.audit import record_event
from stts.services.notifications import queue_mail
from stts.services.xml_batches.intake import BatchRefused, receive_batch
from stts.services.xml_batches.responses import results_of, write_response
from stts.services.xml_batches.settings import file_path, setting
from stts.stored_text import freeze, thaw
from stts.worker import worker
from stts.worker.runner import Lease, LeaseLost, stale
from stts.xml import dispatcher
from stts.xml.parser import BatchFormatError, Header, read_batch

log = logging.getLogger(__name__)


def _sender(batch: XmlBatch):
    """The sender as it is now, or (None, reason) when it may no longer send."""
    if batch.technical_account_id:
        account = (TechnicalAccount.select(TechnicalAccount, Company).join(Company)
                   .where(TechnicalAccount.id == batch.technical_account_id).first())
        if account is None or account.revoked_at is not None or not account.company.xml_enabled:
            return None, _l("The technical account was revoked or structured messages are "
                            "switched off for your company.")
        sender = dispatcher.technical_sender(account, batch.language)
    else:
        sender = User.get_or_none(User.id == batch.sender_id) if batch.sender_id else None
        if sender is None or sender.blocked or not allowed(sender, "xml.send"):
            return None, _l("The sender may no longer send structured messages.")
    sender.source_address = batch.remote_addr  # the audit trail's address for its messages
    return sender, None


def process_batch(batch_id: int, *, turn: bool = False) -> XmlBatch | None:
    """Validate and apply a batch (or resume it). Returns None when another worker holds it
    or it is already finished. The desk's services run as the sender, and the texts stored
    for the sender (results, the notification) are in the sender's language.

    With ``turn`` only one turn of the batch is done (see ``process_turn``): its validation,
    or its next XML_SLICE_MESSAGES messages (fewer once XML_SLICE_SECONDS have passed); the
    batch stays PROCESSING and the queue comes back to it in its company's next turn."""
    lease = Lease.claim(XmlBatch, batch_id, XmlBatch.state.not_in(FINISHED_STATES))
    if lease is None:
        return None
    return _process(lease, turn)


def _process(lease: Lease, turn: bool) -> XmlBatch | None:
    batch_id = lease.row_id
    batch = XmlBatch.get_by_id(batch_id)
    try:
        sender, refusal = _sender(batch)
        with force_locale(batch.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
            if refusal is not None:
                _reject(batch, lease, BatchFormatError(refusal, code="sender"))
            else:
                validated = batch.state in ("RECEIVED", "VALIDATING")
                if validated:
                    _validate(batch, lease)
                if batch.state == "PROCESSING" and not (turn and validated):
                    if _apply(batch, lease, sender, turn):
                        _finish(batch, lease)
    except LeaseLost:
        log.warning("xml batch %s: lease lost, another worker continues", batch_id)
        return None
    finally:
        lease.release()
    if batch.finished:
        _forget_reader(batch_id)
        remove_batch_file(batch)
        worker.enqueue("mail.deliver")
    return XmlBatch.get_by_id(batch_id)


def _validate(batch: XmlBatch, lease: Lease) -> None:
    """Pass 1: the whole file against the schema, the company, unique message ids."""
    lease.renew(state="VALIDATING", started_at=batch.started_at or utcnow())
    company = Company.get_by_id(batch.company_id)
    seen: set[str] = set()
    header = None
    try:
        for item in read_batch(file_path(batch.file_name)):
            if isinstance(item, Header):
                header = item
                if item.enterprise_number != company.enterprise_number:
                    raise BatchFormatError(
                        _l("The batch is sent for enterprise number %(number)s, which is not "
                           "your company's.", number=item.enterprise_number), code="company")
                continue
            if item.message_id in seen:
                raise BatchFormatError(
                    _l("The message id %(id)s appears twice in this batch.", id=item.message_id),
                    item.line, code="duplicate_id")
            seen.add(item.message_id)
            if len(seen) > setting("XML_MAX_MESSAGES"):
                raise BatchFormatError(_l("The batch has more than %(max)s messages.",
                                          max=setting("XML_MAX_MESSAGES")), code="too_many")
    except BatchFormatError as error:
        _reject(batch, lease, error, header)
        return
    batch.state, batch.total, batch.batch_ref = "PROCESSING", len(seen), header.batch_id
    lease.renew(state="PROCESSING", total=batch.total, batch_ref=header.batch_id)


def _reject(batch: XmlBatch, lease: Lease, error: BatchFormatError, header=None) -> None:
    batch.state = "REJECTED"
    batch.error = freeze(error.message)
    batch.error_line, batch.error_column = error.line, error.column
    batch.batch_ref = header.batch_id if header else batch.batch_ref
    batch.finished_at = utcnow()
    batch.response_name = write_response(batch, [])
    with database.atomic():
        lease.renew(state="REJECTED", error=batch.error, error_line=error.line,
                    error_column=error.column, batch_ref=batch.batch_ref,
                    finished_at=batch.finished_at, response_name=batch.response_name)
        record_event("xml.batch_rejected", actor=None, company_id=batch.company_id,
                     object_type="xml_batch", object_id=batch.id, result="rejected",
                     reason=error.code, line=error.line)
        _notify(batch)


CODES = ((dispatcher.Forbidden, "FORBIDDEN"), (dispatcher.Invalid, "INVALID"),
         (NotFound, "NOT_FOUND"), (Conflict, "CONFLICT"), (ServiceError, "REFUSED"))


def _accepted_text(dossier) -> str:
    return freeze(_l("Accepted: dossier %(id)s is now %(state)s.", id=dossier.id,
                     state=STATE_LABELS.get(dossier.state, dossier.state)))


def _apply_one(batch: XmlBatch, sender, message) -> XmlMessageResult:
    """One message in its own savepoint, its result row in the same savepoint."""
    row = dict(company=batch.company_id, batch=batch.id, seq=message.seq, line=message.line,
               message_id=message.message_id, kind=message.kind, created_at=utcnow())
    try:
        with database.atomic():
            dossier = dispatcher.apply_message(sender, message.kind, message.data)
            return fastsql.create(XmlMessageResult, **row, code="OK",
                                  text=_accepted_text(dossier), dossier_id=dossier.id,
                                  dossier_state=dossier.state)
    except (ServiceError, NotFound) as error:
        code = next(code for kind, code in CODES if isinstance(error, kind))
        text = freeze(error.message)
    except (OperationalError, InterfaceError, LeaseLost):
        raise  # the database is unwell: the group rolls back, a later run redoes it
    except Exception:  # noqa: BLE001 — a bug must not stop the batch; nothing was applied
        log.exception("xml batch %s: message %s failed", batch.id, message.seq)
        code, text = "ERROR", freeze(_l("Unexpected error: nothing was applied. Send the "
                                        "message again later with the same message id."))
    with database.atomic():
        return fastsql.create(XmlMessageResult, **row, code=code, text=text)


def _apply_group(batch: XmlBatch, lease: Lease, sender, group: list) -> int:
    """Apply the group's messages in one transaction, ending it early once
    XML_GROUP_SECONDS have passed: the transaction (and the audit chain's lock its events
    take) stays short, so other companies' work waits little. Returns how many messages
    were committed; the caller applies the rest in the next transaction."""
    budget = setting("XML_GROUP_SECONDS")
    started = time.monotonic()
    with database.atomic():
        earlier = {r.message_id: r for r in results_of(
            batch.company_id, [m.message_id for m in group])}
        accepted = rejected = duplicates = 0
        done = 0
        for message in group:
            if done and budget and time.monotonic() - started >= budget:
                break
            done += 1
            prior = earlier.get(message.message_id)
            if prior is not None and prior.code == "ERROR":
                XmlMessageResult.delete().where(XmlMessageResult.id == prior.id).execute()
                prior = None
            if prior is not None:
                duplicates += 1
                continue
            result = _apply_one(batch, sender, message)
            if result.code == "OK":
                accepted += 1
            else:
                rejected += 1
        batch.processed = group[done - 1].seq
        batch.accepted += accepted
        batch.rejected += rejected
        batch.duplicates += duplicates
        lease.renew(processed=batch.processed, accepted=XmlBatch.accepted + accepted,
                    rejected=XmlBatch.rejected + rejected,
                    duplicates=XmlBatch.duplicates + duplicates)
    pause = setting("XML_GROUP_PAUSE")
    if pause:
        time.sleep(pause)
    return done


def _apply(batch: XmlBatch, lease: Lease, sender, turn: bool = False) -> bool:
    """Pass 2: apply the messages after the last committed one; every one of them, or with
    ``turn`` one slice of them. True when the batch has no message left."""
    size = setting("XML_GROUP_SIZE")
    limit = setting("XML_SLICE_MESSAGES") if turn else None
    seconds = setting("XML_SLICE_SECONDS") if turn else 0
    started = time.monotonic()
    messages = _reader(batch)
    applied = 0
    group: list = []
    while True:
        group.extend(itertools.islice(messages, size - len(group)))
        if not group:
            return True
        if limit is not None and (applied >= limit or (
                seconds and applied and time.monotonic() - started >= seconds)):
            _keep_reader(batch, itertools.chain(group, messages))
            return False
        todo = group if limit is None else group[:limit - applied]
        done = _apply_group(batch, lease, sender, todo)
        applied += done
        group = group[done:]


# The readers of batches between two turns, so that a batch's next slice continues where the
# reader stopped instead of parsing the file again from its start (a batch of 200,000
# messages would otherwise be parsed once per slice). Keyed by batch id with the position
# the reader stands at; a few per worker process; another process parses from the start.
_READERS: dict[int, tuple[int, object]] = {}
_READERS_LOCK = threading.Lock()
_READERS_KEPT = 8


def _reader(batch: XmlBatch):
    with _READERS_LOCK:
        kept = _READERS.pop(batch.id, None)
    if kept is not None and kept[0] == batch.processed:
        return kept[1]
    done = batch.processed
    return (item for item in read_batch(file_path(batch.file_name), validate=False)
            if not isinstance(item, Header) and item.seq > done)


def _keep_reader(batch: XmlBatch, messages) -> None:
    with _READERS_LOCK:
        _READERS[batch.id] = (batch.processed, messages)
        while len(_READERS) > _READERS_KEPT:
            _READERS.pop(next(iter(_READERS)))


def _forget_reader(batch_id: int) -> None:
    with _READERS_LOCK:
        _READERS.pop(batch_id, None)


# --- the queue's turns: fairness between companies ---------------------------------------------

def in_turn() -> list[int]:
    """The unfinished batches nobody holds, in the order the queue serves them: each
    company's oldest one, the company served least recently first (a company whose batches
    were never worked on before all others), then by arrival. A company's huge batch thus
    gets one slice, then every other company waiting gets one, and so on."""
    now = utcnow()
    waiting = list(XmlBatch.select(XmlBatch.id, XmlBatch.company, XmlBatch.created_at)
                   .where(XmlBatch.state.not_in(FINISHED_STATES)
                          & (XmlBatch.lease_until.is_null() | (XmlBatch.lease_until < now)))
                   .order_by(XmlBatch.created_at, XmlBatch.id))
    first: dict[int, XmlBatch] = {}
    for batch in waiting:
        first.setdefault(batch.company_id, batch)
    if not first:
        return []
    served = dict(XmlBatch.select(XmlBatch.company, fn.MAX(XmlBatch.updated_at))
                  .where(XmlBatch.company.in_(list(first)) & XmlBatch.started_at.is_null(False))
                  .group_by(XmlBatch.company).tuples())
    never = datetime.min
    order = sorted(first.values(), key=lambda b: (served.get(b.company_id) or never,
                                                   b.created_at, b.id))
    return [batch.id for batch in order]


def process_turn() -> XmlBatch | None:
    """One turn of the batch queue: claim the batch whose turn it is (``in_turn``) and do one
    turn of it (``process_batch(..., turn=True)``). None when no batch is waiting (or every
    waiting one is held by another worker)."""
    for batch_id in in_turn():
        lease = Lease.claim(XmlBatch, batch_id, XmlBatch.state.not_in(FINISHED_STATES))
        if lease is not None:
            return _process(lease, True)
    return None


def waiting() -> bool:
    """True when an unfinished batch is held by nobody: the queue needs another turn."""
    now = utcnow()
    return XmlBatch.select(XmlBatch.id).where(
        XmlBatch.state.not_in(FINISHED_STATES)
        & (XmlBatch.lease_until.is_null() | (XmlBatch.lease_until < now))).exists()


def _finish(batch: XmlBatch, lease: Lease) -> None:
    batch.finished_at = utcnow()
    batch.response_name = write_response(batch, None)
    batch.state = "DONE"
    with database.atomic():
        lease.renew(state="DONE", finished_at=batch.finished_at,
                    response_name=batch.response_name)
        record_event("xml.batch_processed", actor=None, company_id=batch.company_id,
                     object_type="xml_batch", object_id=batch.id, total=batch.total,
                     accepted=batch.accepted, rejected=batch.rejected,
                     duplicates=batch.duplicates)
        _notify(batch)


def _notify(batch: XmlBatch) -> None:
    company = Company.get_by_id(batch.company_id)
    if not company.xml_result_email:
        return
    name = batch.batch_ref or str(batch.id)
    if batch.state == "DONE":
        subject = _("STTS: batch %(name)s processed", name=name)
        body = _("The batch %(name)s (number %(id)s) sent by %(sender)s has been processed.\n"
                 "Messages: %(total)s — accepted: %(accepted)s, rejected: %(rejected)s, "
                 "already processed earlier: %(duplicates)s.\n"
                 "The response file is on the batch's page in the dossier desk.",
                 name=name, id=batch.id, sender=batch.sender_name, total=batch.total,
                 accepted=batch.accepted, rejected=batch.rejected, duplicates=batch.duplicates)
    else:
        subject = _("STTS: batch %(name)s rejected", name=name)
        body = _("The batch %(name)s (number %(id)s) sent by %(sender)s was rejected as a "
                 "whole; nothing was applied.\nReason: %(error)s",
                 name=name, id=batch.id, sender=batch.sender_name, error=thaw(batch.error))
    queue_mail(company.xml_result_email, subject, body)


def remove_batch_file(batch: XmlBatch) -> bool:
    """Delete a finished batch's file (full of national numbers): its response and its
    per-message results are what is kept. True when a file was deleted."""
    try:
        os.unlink(file_path(batch.file_name))
    except FileNotFoundError:
        return False
    return True


def purge_files(now=None) -> dict:
    """The daily retention job: batch files of finished batches still on disk (a worker that
    died between the end and the deletion) and response files older than
    XML_RESPONSE_RETENTION_DAYS are deleted; the batch keeps its counts and results."""
    now = now or utcnow()
    files = 0
    for batch in XmlBatch.select().where(XmlBatch.state.in_(FINISHED_STATES)).iterator():
        files += remove_batch_file(batch)
    limit = now - timedelta(days=setting("XML_RESPONSE_RETENTION_DAYS"))
    expired = list(XmlBatch.select(XmlBatch.id, XmlBatch.response_name, XmlBatch.company)
                   .where(XmlBatch.state.in_(FINISHED_STATES)
                          & XmlBatch.response_name.is_null(False)
                          & (XmlBatch.finished_at < limit)))
    for batch in expired:
        try:
            os.unlink(file_path(batch.response_name))
        except FileNotFoundError:
            pass
        XmlBatch.update(response_name=None).where(XmlBatch.id == batch.id).execute()
    if files or expired:
        record_event("xml.files_purged", actor=None, object_type="xml_batch",
                     batch_files=files, responses=len(expired))
    return {"batch_files": files, "responses": len(expired)}


def resume_stale_batches(older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Ids of unfinished batches nobody holds (a worker died): to be queued again."""
    return stale(XmlBatch, XmlBatch.state.not_in(FINISHED_STATES), older_than)


def cli_send(path: str, username: str, echo) -> int:
    """``flask stts send-xml``: receive ``path`` as ``username`` and process it at once."""
    user = User.get_or_none(User.username == username)
    if user is None or not allowed(user, "xml.send"):
        echo(f"{username}: no such user, or not allowed to send structured messages")
        return 2
    with open(path, "rb") as handle:
        try:
            batch = receive_batch(handle, user=user, enqueue=False)
        except BatchRefused as error:
            echo(f"refused ({error.code}): {error.message}")
            return 1
    batch = process_batch(batch.id) or XmlBatch.get_by_id(batch.id)
    echo(f"batch {batch.id}: {batch.state}; messages {batch.total}, accepted {batch.accepted}, "
         f"rejected {batch.rejected}, duplicates {batch.duplicates}")
    if batch.error:
        echo(f"error (line {batch.error_line}, column {batch.error_column}): "
             f"{thaw(batch.error)}")
    if batch.response_name:
        echo(f"response: {file_path(batch.response_name)}")
    return 0 if batch.state == "DONE" else 1
