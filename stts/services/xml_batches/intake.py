"""Receiving a batch (the desk's upload, the API, the CLI) and what a sender may read of it."""
from __future__ import annotations

import os
import secrets

from peewee import fn

from stts.db import serialized, utcnow
from stts.i18n import lazy_gettext as _l
from stts.models import XmlBatch, XmlMessageResult
from stts.models.xml import FINISHED_STATES
from stts.pagination import Page, paginate
from stts.services import Conflict, NotFound, ServiceError, parse_id
from stts.services.audit import record_event
from stts.services.xml_batches.settings import file_path, setting
from stts.stored_text import thaw
from stts.worker import worker
from stts.xml.parser import BatchFormatError, check_prolog

PAGE_SIZE = 20
CHUNK = 64 * 1024


class BatchRefused(ServiceError):
    """The upload is refused at once (nothing is kept): ``code`` for the API."""

    def __init__(self, message, code: str, line=None, column=None):
        super().__init__(message)
        self.code = code
        self.line = line
        self.column = column


class ResponseExpired(Conflict):
    """The batch is finished but its response was deleted by the retention job."""


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


def receive_batch(stream, *, user=None, account=None, language: str | None = None,
                  address: str | None = None, enqueue: bool = True) -> XmlBatch:
    """Store an upload and queue it for processing. ``user`` (a desk user with "xml.send")
    or ``account`` (an authenticated technical account) is the sender; ``address`` where it
    was sent from. A file with a DOCTYPE, empty or not UTF-8 is refused at once and deleted
    (BatchRefused)."""
    company_id = user.company_id if user is not None else account.company_id
    name, size = _store(stream)
    try:
        check_prolog(file_path(name))
    except BatchFormatError as error:
        os.unlink(file_path(name))
        record_event("xml.batch_refused", actor=user, address=address, company_id=company_id,
                     object_type="xml_batch", result="refused", reason=error.code,
                     technical_account=getattr(account, "id", None))
        raise BatchRefused(error.message, error.code, error.line, error.column) from None
    if size == 0:
        os.unlink(file_path(name))
        raise BatchRefused(_l("The file is empty."), code="empty")
    quota = setting("XML_COMPANY_QUOTA_BYTES")
    # The company's total is read and the batch that adds to it created in one transaction,
    # alone among the company's uploads: two batches at once cannot both fit in its last
    # megabytes.
    with serialized("xml-storage", company_id):
        full = stored_bytes(company_id) + size > quota
        if not full:
            batch = XmlBatch.create(
                company=company_id, sender=user.id if user is not None else None,
                technical_account=account.id if account is not None else None,
                sender_name=(user.username if user is not None else f"api:{account.name}")[:120],
                language=(user.language if user is not None else language) or "fr",
                remote_addr=(address or "")[:45] or None, file_name=name, file_size=size,
                created_at=utcnow(), updated_at=utcnow())
            record_event("xml.batch_received", actor=user, address=address,
                         company_id=company_id, object_type="xml_batch", object_id=batch.id,
                         size=size, technical_account=getattr(account, "id", None))
    if full:
        os.unlink(file_path(name))
        record_event("xml.batch_refused", actor=user, address=address, company_id=company_id,
                     object_type="xml_batch", result="refused", reason="quota_exceeded",
                     size=size, technical_account=getattr(account, "id", None))
        raise BatchRefused(
            _l("Your company's storage for structured messages is full (%(mb)s MB: batches "
               "waiting to be processed and responses kept %(days)s days). Send the file "
               "again once earlier batches are processed or their responses have expired.",
               mb=quota // (1024 * 1024), days=setting("XML_RESPONSE_RETENTION_DAYS")),
            code="quota_exceeded")
    if enqueue:
        worker.enqueue("xml.process_batch", batch.id)
    return XmlBatch.get_by_id(batch.id)


def stored_bytes(company_id: int) -> int:
    """What the company's files take now: batch files not processed yet (a finished batch's
    file is deleted) and the response files still kept."""
    pending = (XmlBatch.select(fn.COALESCE(fn.SUM(XmlBatch.file_size), 0))
               .where((XmlBatch.company == company_id)
                      & XmlBatch.state.not_in(FINISHED_STATES)).scalar())
    responses = 0
    for (name,) in (XmlBatch.select(XmlBatch.response_name)
                    .where((XmlBatch.company == company_id)
                           & XmlBatch.response_name.is_null(False)).tuples()):
        try:
            responses += os.path.getsize(file_path(name))
        except OSError:
            continue
    return int(pending or 0) + responses


def get_batch(company_id: int, batch_id) -> XmlBatch:
    """A batch of ``company_id``; another company's batch is NotFound."""
    batch_id = parse_id(batch_id)
    if batch_id is None:
        raise NotFound(_l("This batch does not exist."))
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
    if batch.finished and not batch.response_name:
        raise ResponseExpired(_l("The response of this batch is no longer kept (responses are kept "
                          "%(days)s days).", days=setting("XML_RESPONSE_RETENTION_DAYS")))
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
        "error": ({"message": thaw(batch.error), "line": batch.error_line,
                   "column": batch.error_column} if batch.error else None),
        "receivedAt": iso(batch.created_at), "startedAt": iso(batch.started_at),
        "finishedAt": iso(batch.finished_at),
    }


REFUSALS_SHOWN = 500


def refusals(batch: XmlBatch, limit: int = REFUSALS_SHOWN) -> list[XmlMessageResult]:
    """The batch's refused messages in its order (the first ``limit``), each with its code and
    its stored reason (``stts.stored_text``: written in the reader's language)."""
    return list(XmlMessageResult.select().where(
        (XmlMessageResult.batch == batch.id) & (XmlMessageResult.code != "OK"))
        .order_by(XmlMessageResult.seq).limit(limit))
