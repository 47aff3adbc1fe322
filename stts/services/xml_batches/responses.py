"""The response file of a batch: one result per message (or the batch's error), streamed so
that memory stays flat whatever the batch's size."""
from __future__ import annotations

import os
import secrets

from lxml import etree

from stts.db import is_sqlite
from stts.i18n import gettext as _
from stts.models import Company, XmlBatch, XmlMessageResult
from stts.services.xml_batches.settings import file_path
from stts.stored_text import thaw
from stts.xml.parser import RESPONSE_NS, Header, read_batch


def _iso(value) -> str:
    return value.isoformat(timespec="seconds") + "Z"


# One probe of the (company, message id) index per id. As a list of parameters (IN), the
# ids left PostgreSQL's plan free to read every result of the company and compare each with
# every id, which it did while the table had no statistics (100 ms for 200 ids at 18,000
# results, growing with every batch); a LATERAL subquery with LIMIT is not merged into a
# join, so each id is looked up on its own whatever the statistics say.
_RESULTS_BY_MESSAGE_ID = (
    "SELECT r.* FROM unnest(%s::text[]) AS m(message_id) CROSS JOIN LATERAL ("
    "SELECT * FROM xml_message_result AS x WHERE x.company_id = %s"
    " AND x.message_id = m.message_id LIMIT 1) AS r")


def results_of(company_id: int, message_ids: list[str]):
    """The company's results of these message ids (a message sent again has one)."""
    if is_sqlite():  # its planner probes the unique index for an IN list
        return XmlMessageResult.select().where(
            (XmlMessageResult.company == company_id)
            & XmlMessageResult.message_id.in_(message_ids))
    return XmlMessageResult.raw(_RESULTS_BY_MESSAGE_ID, list(message_ids), company_id)


def _result_rows(batch: XmlBatch, messages: list) -> dict:
    return {r.message_id: r for r in results_of(batch.company_id,
                                                [m.message_id for m in messages])}


def write_response(batch: XmlBatch, results) -> str:
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
                error.text = thaw(batch.error)
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
            text.text = thaw(row.text)
        xf.write("\n  ", result)
