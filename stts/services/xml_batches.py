"""XML batches: receive a file, validate it (pass 1), apply its messages (pass 2), write the
response file and notify the company.

Idempotency (security checklist 28): every message's result row (unique on company and
message id) is written in the same savepoint as its effect, so a message applies at most
once, for ever. Messages are committed in groups (``XML_GROUP_SIZE``, each message in its own
savepoint) together with the batch's progress counters: a worker killed mid-batch loses only
the uncommitted group, and the next run resumes after the last committed message.

A worker holds a batch through a lease (``lease_token``/``lease_until``, renewed at every
group); a dead worker's lease runs out and ``resume_stale_batches`` hands the batch to another.
"""
from __future__ import annotations

import logging
import os
import secrets
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, g, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from lxml import etree
from peewee import InterfaceError, OperationalError

from stts import fastsql
from stts.db import database, utcnow
from stts.models import Company, TechnicalAccount, User, XmlBatch, XmlMessageResult
from stts.models.xml import FINISHED_STATES
from stts.pagination import Page, paginate
from stts.permissions import allowed
from stts.services import Conflict, NotFound, ServiceError
from stts.services.audit import record_event
from stts.xml import dispatcher
from stts.xml.parser import RESPONSE_NS, BatchFormatError, Header, check_prolog, read_batch

log = logging.getLogger(__name__)

DEFAULTS = {
    "XML_MAX_BYTES": 64 * 1024 * 1024,
    "XML_MAX_MESSAGES": 200_000,
    "XML_GROUP_SIZE": 200,
    "XML_LEASE_SECONDS": 300,
    "XML_GROUP_PAUSE": 0.0,  # seconds to wait after each group (tests of a killed worker)
}
PAGE_SIZE = 20
CHUNK = 64 * 1024


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


class BatchRefused(ServiceError):
    """The upload is refused at once (nothing is kept): ``code`` for the API."""

    def __init__(self, message, code: str, line=None, column=None):
        super().__init__(message)
        self.code = code
        self.line = line
        self.column = column


# --- files ----------------------------------------------------------------------------------

def xml_dir() -> str:
    path = os.path.join(current_app.instance_path, "xml")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def file_path(name: str) -> str:
    return os.path.join(xml_dir(), os.path.basename(name))


def _store(stream) -> tuple[str, int]:
    """Copy ``stream`` in chunks to a new random file; the uploaded name is ignored."""
    name = secrets.token_hex(16) + ".xml"
    path = file_path(name)
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > setting("XML_MAX_BYTES"):
                    raise BatchRefused(_l("The file is too large."), code="too_large")
                handle.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return name, size


# --- receiving ------------------------------------------------------------------------------

def receive_batch(stream, *, user=None, account=None, language: str | None = None,
                  remote_addr: str | None = None, enqueue: bool = True) -> XmlBatch:
    """Store an upload and queue it for processing. ``user`` (a desk user with "xml.send")
    or ``account`` (an authenticated technical account) is the sender. A file with a
    DOCTYPE, empty or not UTF-8 is refused at once and deleted (BatchRefused)."""
    company_id = user.company_id if user is not None else account.company_id
    name, size = _store(stream)
    try:
        check_prolog(file_path(name))
    except BatchFormatError as error:
        os.unlink(file_path(name))
        record_event("xml.batch_refused", actor=user, company_id=company_id,
                     object_type="xml_batch", result="refused", reason=error.code,
                     technical_account=getattr(account, "id", None))
        raise BatchRefused(error.message, error.code, error.line, error.column) from None
    if size == 0:
        os.unlink(file_path(name))
        raise BatchRefused(_l("The file is empty."), code="empty")
    with database.atomic():
        batch = XmlBatch.create(
            company=company_id, sender=user.id if user is not None else None,
            technical_account=account.id if account is not None else None,
            sender_name=(user.username if user is not None else f"api:{account.name}")[:120],
            language=(user.language if user is not None else language) or "fr",
            remote_addr=(remote_addr or "")[:45] or None, file_name=name, file_size=size,
            created_at=utcnow(), updated_at=utcnow())
        record_event("xml.batch_received", actor=user, company_id=company_id,
                     object_type="xml_batch", object_id=batch.id, size=size,
                     technical_account=getattr(account, "id", None))
    if enqueue:
        from stts.xml.tasks import process_batch_job

        process_batch_job(batch.id)
    return XmlBatch.get_by_id(batch.id)


# --- reading (desk and API) -------------------------------------------------------------------

def get_batch(company_id: int, batch_id) -> XmlBatch:
    """A batch of ``company_id``; another company's batch is NotFound."""
    try:
        batch_id = int(batch_id)
    except (TypeError, ValueError):
        raise NotFound(_l("This batch does not exist.")) from None
    batch = XmlBatch.get_or_none((XmlBatch.id == batch_id) & (XmlBatch.company == company_id))
    if batch is None:
        raise NotFound(_l("This batch does not exist."))
    return batch


def list_batches(user, page: int = 1) -> Page:
    query = (XmlBatch.select().where(XmlBatch.company == user.company_id)
             .order_by(XmlBatch.created_at.desc(), XmlBatch.id.desc()))
    return paginate(query, page, PAGE_SIZE)


def response_path(company_id: int, batch_id) -> tuple[XmlBatch, str]:
    """The response file of a finished batch; Conflict while it is still being processed."""
    batch = get_batch(company_id, batch_id)
    if not batch.finished or not batch.response_name:
        raise Conflict(_l("The batch is still being processed: its response is not ready."))
    return batch, file_path(batch.response_name)


def status_of(batch: XmlBatch) -> dict:
    """The batch's state as plain data (the API's JSON)."""
    iso = lambda value: value.isoformat(timespec="seconds") + "Z" if value else None  # noqa: E731
    return {
        "id": batch.id, "batchId": batch.batch_ref, "state": batch.state,
        "total": batch.total, "processed": batch.processed, "accepted": batch.accepted,
        "rejected": batch.rejected, "duplicates": batch.duplicates,
        "error": ({"message": batch.error, "line": batch.error_line,
                   "column": batch.error_column} if batch.error else None),
        "receivedAt": iso(batch.created_at), "startedAt": iso(batch.started_at),
        "finishedAt": iso(batch.finished_at),
    }


# --- processing -----------------------------------------------------------------------------

@contextmanager
def _acting_as(sender, batch: XmlBatch):
    """Run the desk's services as ``sender``: they (and the audit trail) see it as the
    current user, in the sender's language."""
    pushed = None
    if not has_request_context():
        pushed = current_app.test_request_context(
            "/xml/worker", environ_base={"REMOTE_ADDR": batch.remote_addr or ""})
        pushed.push()
    missing = object()
    saved = g.get("_login_user", missing)
    g._login_user = sender if sender is not None else AnonymousUserMixin()
    try:
        with force_locale(batch.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
            yield
    finally:
        if saved is missing:
            g.pop("_login_user", None)
        else:
            g._login_user = saved
        if pushed is not None:
            pushed.pop()


def _sender(batch: XmlBatch):
    """The sender as it is now, or (None, reason) when it may no longer send."""
    if batch.technical_account_id:
        account = (TechnicalAccount.select(TechnicalAccount, Company).join(Company)
                   .where(TechnicalAccount.id == batch.technical_account_id).first())
        if account is None or account.revoked_at is not None or not account.company.xml_enabled:
            return None, _l("The technical account was revoked or structured messages are "
                            "switched off for your company.")
        return dispatcher.technical_sender(account, batch.language), None
    user = User.get_or_none(User.id == batch.sender_id) if batch.sender_id else None
    if user is None or user.blocked or not allowed(user, "xml.send"):
        return None, _l("The sender may no longer send structured messages.")
    return user, None


def _claim(batch_id: int) -> str | None:
    token = secrets.token_hex(16)
    now = utcnow()
    rows = (XmlBatch.update(lease_token=token,
                            lease_until=now + timedelta(seconds=setting("XML_LEASE_SECONDS")),
                            updated_at=now)
            .where((XmlBatch.id == batch_id) & XmlBatch.state.not_in(FINISHED_STATES)
                   & (XmlBatch.lease_until.is_null() | (XmlBatch.lease_until < now)))
            .execute())
    return token if rows else None


class LeaseLost(Exception):
    pass


def _progress(batch: XmlBatch, token: str, **fields) -> None:
    """Update the batch while holding its lease (renewed); LeaseLost when another took it."""
    now = utcnow()
    fields.update(updated_at=now,
                  lease_until=now + timedelta(seconds=setting("XML_LEASE_SECONDS")))
    rows = (XmlBatch.update(**fields)
            .where((XmlBatch.id == batch.id) & (XmlBatch.lease_token == token)).execute())
    if rows != 1:
        raise LeaseLost(batch.id)


def process_batch(batch_id: int) -> XmlBatch | None:
    """Validate and apply a batch (or resume it). Returns None when another worker holds it
    or it is already finished."""
    token = _claim(batch_id)
    if token is None:
        return None
    batch = XmlBatch.get_by_id(batch_id)
    try:
        sender, refusal = _sender(batch)
        with _acting_as(sender, batch):
            if refusal is not None:
                _reject(batch, token, BatchFormatError(refusal, code="sender"))
            else:
                if batch.state in ("RECEIVED", "VALIDATING"):
                    _validate(batch, token)
                if batch.state == "PROCESSING":
                    _apply(batch, token, sender)
                    _finish(batch, token)
    except LeaseLost:
        log.warning("xml batch %s: lease lost, another worker continues", batch_id)
        return None
    finally:
        XmlBatch.update(lease_token=None, lease_until=None).where(
            (XmlBatch.id == batch_id) & (XmlBatch.lease_token == token)).execute()
    if batch.finished:
        from stts.jobs import deliver_mail

        deliver_mail()
    return XmlBatch.get_by_id(batch_id)


def _validate(batch: XmlBatch, token: str) -> None:
    """Pass 1: the whole file against the schema, the company, unique message ids."""
    _progress(batch, token, state="VALIDATING", started_at=batch.started_at or utcnow())
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
        _reject(batch, token, error, header)
        return
    batch.state, batch.total, batch.batch_ref = "PROCESSING", len(seen), header.batch_id
    _progress(batch, token, state="PROCESSING", total=batch.total, batch_ref=header.batch_id)


def _reject(batch: XmlBatch, token: str, error: BatchFormatError, header=None) -> None:
    batch.state = "REJECTED"
    batch.error = str(error.message)
    batch.error_line, batch.error_column = error.line, error.column
    batch.batch_ref = header.batch_id if header else batch.batch_ref
    batch.finished_at = utcnow()
    batch.response_name = _write_response(batch, [])
    with database.atomic():
        _progress(batch, token, state="REJECTED", error=batch.error, error_line=error.line,
                  error_column=error.column, batch_ref=batch.batch_ref,
                  finished_at=batch.finished_at, response_name=batch.response_name)
        record_event("xml.batch_rejected", company_id=batch.company_id, object_type="xml_batch",
                     object_id=batch.id, result="rejected", reason=error.code,
                     line=error.line)
        _notify(batch)


CODES = ((dispatcher.Forbidden, "FORBIDDEN"), (dispatcher.Invalid, "INVALID"),
         (NotFound, "NOT_FOUND"), (Conflict, "CONFLICT"), (ServiceError, "REFUSED"))


def _accepted_text(dossier) -> str:
    from stts.blueprints.desk.labels import STATE_LABELS

    return _("Accepted: dossier %(id)s is now %(state)s.", id=dossier.id,
             state=STATE_LABELS.get(dossier.state, dossier.state))


def _apply_one(batch: XmlBatch, sender, message) -> XmlMessageResult:
    """One message in its own savepoint, its result row in the same savepoint."""
    row = dict(company=batch.company_id, batch=batch.id, seq=message.seq,
               message_id=message.message_id, kind=message.kind, created_at=utcnow())
    try:
        with database.atomic():
            dossier = dispatcher.apply_message(sender, message.kind, message.data)
            return fastsql.create(XmlMessageResult, **row, code="OK", text=_accepted_text(dossier),
                                           dossier_id=dossier.id, dossier_state=dossier.state)
    except ServiceError as error:
        code = next(code for kind, code in CODES if isinstance(error, kind))
        text = str(error.message)
    except (OperationalError, InterfaceError, LeaseLost):
        raise  # the database is unwell: the group rolls back, a later run redoes it
    except Exception:  # noqa: BLE001 — a bug must not stop the batch; nothing was applied
        log.exception("xml batch %s: message %s failed", batch.id, message.seq)
        code, text = "ERROR", _("Unexpected error: nothing was applied. Send the message "
                                "again later with the same message id.")
    with database.atomic():
        return fastsql.create(XmlMessageResult, **row, code=code, text=text)


def _apply_group(batch: XmlBatch, token: str, sender, group: list) -> None:
    with database.atomic():
        earlier = {r.message_id: r for r in XmlMessageResult.select(
            XmlMessageResult.id, XmlMessageResult.message_id, XmlMessageResult.code,
            XmlMessageResult.batch).where(
            (XmlMessageResult.company == batch.company_id)
            & XmlMessageResult.message_id.in_([m.message_id for m in group]))}
        accepted = rejected = duplicates = 0
        for message in group:
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
        batch.processed = group[-1].seq
        batch.accepted += accepted
        batch.rejected += rejected
        batch.duplicates += duplicates
        _progress(batch, token, processed=batch.processed,
                  accepted=XmlBatch.accepted + accepted, rejected=XmlBatch.rejected + rejected,
                  duplicates=XmlBatch.duplicates + duplicates)
    pause = setting("XML_GROUP_PAUSE")
    if pause:
        import time

        time.sleep(pause)


def _apply(batch: XmlBatch, token: str, sender) -> None:
    """Pass 2: apply every message after the last committed one."""
    done = batch.processed
    size = setting("XML_GROUP_SIZE")
    group = []
    for item in read_batch(file_path(batch.file_name), validate=False):
        if isinstance(item, Header) or item.seq <= done:
            continue
        group.append(item)
        if len(group) >= size:
            _apply_group(batch, token, sender, group)
            group = []
    if group:
        _apply_group(batch, token, sender, group)


def _finish(batch: XmlBatch, token: str) -> None:
    batch.finished_at = utcnow()
    batch.response_name = _write_response(batch, None)
    batch.state = "DONE"
    with database.atomic():
        _progress(batch, token, state="DONE", finished_at=batch.finished_at,
                  response_name=batch.response_name)
        record_event("xml.batch_processed", company_id=batch.company_id,
                     object_type="xml_batch", object_id=batch.id, total=batch.total,
                     accepted=batch.accepted, rejected=batch.rejected,
                     duplicates=batch.duplicates)
        _notify(batch)


def _notify(batch: XmlBatch) -> None:
    from stts.services.notifications import queue_mail

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
                 name=name, id=batch.id, sender=batch.sender_name, error=batch.error)
    queue_mail(company.xml_result_email, subject, body)


# --- the response file ------------------------------------------------------------------------

def _iso(value) -> str:
    return value.isoformat(timespec="seconds") + "Z"


def _result_rows(batch: XmlBatch, messages: list) -> dict:
    return {r.message_id: r for r in XmlMessageResult.select().where(
        (XmlMessageResult.company == batch.company_id)
        & XmlMessageResult.message_id.in_([m.message_id for m in messages]))}


def _write_response(batch: XmlBatch, results) -> str:
    """Stream the response file (memory stays flat); ``results`` [] for a rejected batch."""
    company = Company.get_by_id(batch.company_id)
    name = secrets.token_hex(16) + ".response.xml"
    temporary = file_path(name) + ".part"
    q = "{%s}" % RESPONSE_NS
    attrs = {"enterpriseNumber": company.enterprise_number,
             "receivedAt": _iso(batch.created_at), "finishedAt": _iso(batch.finished_at),
             "state": "REJECTED" if results == [] else "DONE", "total": str(batch.total),
             "accepted": str(batch.accepted), "rejected": str(batch.rejected),
             "duplicates": str(batch.duplicates)}
    if batch.batch_ref:
        attrs["batchId"] = batch.batch_ref
    with etree.xmlfile(temporary, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(q + "BatchResponse", attrs, nsmap={None: RESPONSE_NS}):
            if results == []:
                error = etree.Element(q + "Error", nsmap={None: RESPONSE_NS})
                error.text = batch.error or ""
                if batch.error_line:
                    error.set("line", str(batch.error_line))
                if batch.error_column:
                    error.set("column", str(batch.error_column))
                xf.write("\n  ", error)
            else:
                chunk = []
                for item in read_batch(file_path(batch.file_name), validate=False):
                    if isinstance(item, Header):
                        continue
                    chunk.append(item)
                    if len(chunk) >= 500:
                        _write_results(xf, q, batch, chunk)
                        chunk = []
                if chunk:
                    _write_results(xf, q, batch, chunk)
            xf.write("\n")
    os.replace(temporary, file_path(name))
    return name


def _write_results(xf, q: str, batch: XmlBatch, chunk: list) -> None:
    rows = _result_rows(batch, chunk)
    for message in chunk:
        row = rows.get(message.message_id)
        result = etree.Element(q + "Result", nsmap={None: RESPONSE_NS},
                               messageId=message.message_id, type=message.kind)
        text = etree.SubElement(result, q + "Text")
        if row is None:  # cannot happen after a complete pass 2; kept explicit
            result.set("code", "ERROR")
            text.text = _("Unexpected error: nothing was applied. Send the message again "
                          "later with the same message id.")
        else:
            result.set("code", row.code)
            if row.dossier_id:
                result.set("dossierId", str(row.dossier_id))
            if row.dossier_state:
                result.set("dossierState", row.dossier_state)
            if row.batch_id != batch.id:
                result.set("duplicate", "true")
                result.set("firstBatch", str(row.batch_id))
            text.text = row.text
        xf.write("\n  ", result)


def resume_stale_batches(older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Ids of unfinished batches nobody holds (a worker died): to be queued again."""
    now = utcnow()
    return [b.id for b in XmlBatch.select(XmlBatch.id).where(
        XmlBatch.state.not_in(FINISHED_STATES)
        & (XmlBatch.lease_until.is_null() | (XmlBatch.lease_until < now))
        & (XmlBatch.updated_at < now - older_than))]


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
        echo(f"error (line {batch.error_line}, column {batch.error_column}): {batch.error}")
    if batch.response_name:
        echo(f"response: {file_path(batch.response_name)}")
    return 0 if batch.state == "DONE" else 1
