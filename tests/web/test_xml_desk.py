"""Structured messages through the desk: every message type, a mixed batch, the same file
twice, rights, tenant isolation, live progress fragment and the result e-mail."""
import os

from flask_babel import force_locale
from lxml import etree

from stts.models import Dossier, DossierAction, OutboundMail, XmlBatch, XmlMessageResult
from stts.stored_text import thaw
from stts.xml.parser import schema
from tests.conftest import HX, text_of
from tests.web.xml_helpers import (
    batch_xml,
    cancel_msg,
    cease_msg,
    complete_msg,
    dossier_of,
    enable_xml,
    grant_xml,
    modify_msg,
    parse_response,
    request_msg,
    results,
    transfer_msg,
    upload,
)


def _send(client, content):
    response = upload(client, content)
    assert response.status_code == 303, response.status_code
    batch = XmlBatch.select().order_by(XmlBatch.id.desc()).first()
    assert response.headers["Location"].endswith(f"/desk/xml/batches/{batch.id}")
    return batch


def _response_root(client, batch):
    response = client.get(f"/desk/xml/batches/{batch.id}/response.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = parse_response(response.data)
    assert schema("response").validate(root), schema("response").error_log
    return root


def test_upload_page_needs_xml_right(app, login_as):
    client = login_as("stts3.alpha")  # no STTS_XML application
    assert client.get("/desk/xml").status_code == 403


def test_upload_page_shows_form_with_file_field(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    response = client.get("/desk/xml")
    assert response.status_code == 200
    page = text_of(response)
    assert 'type="file"' in page and 'hx-encoding="multipart/form-data"' in page
    assert "<progress" in page


def test_request_message(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    batch = _send(client, batch_xml(request_msg("req-1", 10)))
    batch = XmlBatch.get_by_id(batch.id)
    assert (batch.state, batch.total, batch.accepted, batch.rejected) == ("DONE", 1, 1, 0)
    dossier = dossier_of(10)
    assert dossier.company_id == batch.company_id and dossier.state == "APPROVED"
    result = results(_response_root(client, batch))["req-1"]
    assert result.get("code") == "OK" and result.get("dossierId") == str(dossier.id)
    assert result.get("type") == "Request"


def test_request_without_commercial_data_is_incomplete(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    _send(client, batch_xml(request_msg("req-inc", 12, complete=False)))
    assert dossier_of(12).state == "INCOMPLETE"


def test_transfer_message(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    before = dossier_of(130)
    assert before.company.enterprise_number != "0403019261"
    batch = _send(client, batch_xml(transfer_msg("tr-1", 130)))
    after = Dossier.get_by_id(before.id)
    assert after.company_id == batch.company_id and after.customer_number == "T-tr-1"
    assert XmlBatch.get_by_id(batch.id).accepted == 1


def test_complete_data_message_submits_dossier(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    dossier = dossier_of(180)
    assert dossier.state == "INCOMPLETE"
    _send(client, batch_xml(complete_msg("cd-1", dossier.id)))
    after = Dossier.get_by_id(dossier.id)
    assert after.state in ("APPROVED", "REVIEW") and after.customer_number == "D-cd-1"
    assert DossierAction.select().where((DossierAction.dossier == dossier.id)
                                        & (DossierAction.type == "COMPLETE")).count() == 1


def test_modify_message_keeps_fields_left_out(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    dossier = dossier_of(100)
    phone = dossier.phone_number
    _send(client, batch_xml(modify_msg("mod-1", dossier.id, customer="CHANGED-9")))
    after = Dossier.get_by_id(dossier.id)
    assert after.customer_number == "CHANGED-9" and after.phone_number == phone


def test_cease_message(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    dossier = dossier_of(101)
    _send(client, batch_xml(cease_msg("ce-1", dossier.id)))
    after = Dossier.get_by_id(dossier.id)
    assert after.state == "ENDED" and after.end_reason == "CUSTOMER_REQUEST"


def test_cancel_action_message(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")  # local manager: STTS 3 rights
    dossier = dossier_of(102)
    _send(client, batch_xml(cease_msg("ce-2", dossier.id), cancel_msg("ca-2", dossier.id)))
    after = Dossier.get_by_id(dossier.id)
    assert after.state == "ACTIVE"
    cancel = DossierAction.select().where((DossierAction.dossier == dossier.id)
                                          & (DossierAction.type == "CANCEL")).get()
    assert cancel.reason == "Sent by mistake"


def test_mixed_batch_with_refusals(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    incomplete = dossier_of(181)
    active = dossier_of(103)
    content = batch_xml(
        request_msg("m-1", 20),
        request_msg("m-2", 100),  # already active at Telco Alpha: refused
        transfer_msg("m-3", 131),
        complete_msg("m-4", incomplete.id),
        modify_msg("m-5", active.id, customer="MIX-5"),
        cease_msg("m-6", 999999),  # no such dossier
        modify_msg("m-7", active.id, version=1),  # stale version: conflict
        '<Request messageId="m-8"><NationalNumber>85073003329</NationalNumber>'
        '<Category>AGE65</Category></Request>',  # check digits
        cancel_msg("m-9", active.id),
    )
    batch = XmlBatch.get_by_id(_send(client, content).id)
    assert (batch.state, batch.total, batch.processed) == ("DONE", 9, 9)
    assert (batch.accepted, batch.rejected, batch.duplicates) == (5, 4, 0)
    found = results(_response_root(client, batch))
    assert list(found) == [f"m-{i}" for i in range(1, 10)]  # the batch's order
    assert found["m-1"].get("code") == "OK"
    assert found["m-2"].get("code") == "REFUSED"
    assert found["m-3"].get("code") == "OK"
    assert found["m-4"].get("code") == "OK"
    assert found["m-5"].get("code") == "OK"
    assert found["m-6"].get("code") == "NOT_FOUND"
    assert found["m-7"].get("code") == "CONFLICT"
    assert found["m-8"].get("code") == "INVALID"
    assert found["m-9"].get("code") == "OK"  # cancels m-5's modification
    assert Dossier.get_by_id(active.id).customer_number != "MIX-5"


def test_response_texts_in_senders_language(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")  # language fr
    batch = _send(client, batch_xml(cease_msg("fr-1", 999999)))
    text = results(_response_root(client, batch))["fr-1"].findtext(
        "r:Text", namespaces={"r": "urn:be:stts:response:1"})
    assert text
    row = XmlMessageResult.get(XmlMessageResult.message_id == "fr-1")
    with force_locale(batch.language):
        assert thaw(row.text) == text  # stored as its message, written in each reader's language
    with force_locale("de"):
        assert thaw(row.text) != text
    page = client.get(f"/desk/xml/batches/{batch.id}").get_data(as_text=True)
    assert 'id="batch-refusals"' in page and "fr-1" in page


def test_same_file_twice_applies_nothing_twice(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    dossier = dossier_of(104)
    content = batch_xml(request_msg("tw-1", 21), modify_msg("tw-2", dossier.id, "TWICE"),
                        cease_msg("tw-3", 999999))
    first = _send(client, content)
    actions_after_first = DossierAction.select().count()
    dossiers_after_first = Dossier.select().count()
    second = XmlBatch.get_by_id(_send(client, content).id)
    assert DossierAction.select().count() == actions_after_first
    assert Dossier.select().count() == dossiers_after_first
    assert (second.state, second.accepted, second.rejected, second.duplicates) == ("DONE", 0, 0, 3)
    found = results(_response_root(client, second))
    assert all(r.get("duplicate") == "true" for r in found.values())
    assert {r.get("firstBatch") for r in found.values()} == {str(first.id)}
    assert found["tw-1"].get("code") == "OK" and found["tw-3"].get("code") == "NOT_FOUND"


def test_stts1_sender_may_not_cease(app, login_as):
    enable_xml()
    grant_xml("stts1.alpha")
    client = login_as("stts1.alpha")
    dossier = dossier_of(105)
    batch = _send(client, batch_xml(cease_msg("r-1", dossier.id),
                                    modify_msg("r-2", dossier.id, "BY-STTS1")))
    found = results(_response_root(client, batch))
    assert found["r-1"].get("code") == "FORBIDDEN"
    assert found["r-2"].get("code") == "OK"
    assert Dossier.get_by_id(dossier.id).state == "ACTIVE"


def test_schema_invalid_file_rejected_as_whole_with_line_and_column(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    content = batch_xml(request_msg("ok-1", 22), request_msg("bad-1", 23, category="AGE6"))
    count = Dossier.select().count()
    batch = XmlBatch.get_by_id(_send(client, content).id)
    assert batch.state == "REJECTED" and batch.error_line == 5 and batch.error_column
    assert Dossier.select().count() == count  # nothing applied, not even the valid message
    root = _response_root(client, batch)
    assert root.get("state") == "REJECTED"
    assert root.find("r:Error", {"r": "urn:be:stts:response:1"}).get("line") == "5"


def test_other_companys_enterprise_number_is_rejected(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    batch = XmlBatch.get_by_id(_send(client, batch_xml(request_msg("x-1", 24),
                                                       enterprise="0428759497")).id)
    assert batch.state == "REJECTED" and "0428759497" in batch.error
    assert dossier_of(24) is None


def test_doctype_refused_at_upload_and_file_deleted(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    content = (b'<?xml version="1.0"?>\n<!DOCTYPE Batch [<!ENTITY x "y">]>\n'
               b'<Batch xmlns="urn:be:stts:batch:1">&x;</Batch>')
    response = upload(client, content, headers=HX)
    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert XmlBatch.select().count() == 0
    folder = os.path.join(app.instance_path, "xml")
    assert not os.path.isdir(folder) or os.listdir(folder) == []


def test_status_fragment_polls_until_finished(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    batch = _send(client, batch_xml(request_msg("p-1", 25)))
    finished = client.get(f"/desk/xml/batches/{batch.id}", headers=HX)
    body = finished.get_data(as_text=True)
    assert finished.status_code == 200 and "<html" not in body
    assert 'id="batch-status"' in body and "every 1s" not in body
    assert "response.xml" in body
    XmlBatch.update(state="PROCESSING").where(XmlBatch.id == batch.id).execute()
    running = client.get(f"/desk/xml/batches/{batch.id}", headers=HX).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in running and "response.xml" not in running
    page = client.get(f"/desk/xml/batches/{batch.id}")
    assert "<html" in page.get_data(as_text=True)


def test_response_not_ready_while_processing(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    batch = _send(client, batch_xml(request_msg("nr-1", 26)))
    XmlBatch.update(state="PROCESSING").where(XmlBatch.id == batch.id).execute()
    assert client.get(f"/desk/xml/batches/{batch.id}/response.xml").status_code == 409


def test_other_companys_batch_is_404(app, login_as, make_client):
    enable_xml()
    enable_xml("0428759497", "xml@beta.example.invalid")
    alpha = login_as("lm.alpha")
    batch = _send(alpha, batch_xml(request_msg("iso-1", 27)))
    from tests.conftest import login

    beta = make_client()
    login(beta, "lm.beta")
    assert beta.get(f"/desk/xml/batches/{batch.id}").status_code == 404
    assert beta.get(f"/desk/xml/batches/{batch.id}/response.xml").status_code == 404
    assert f"/desk/xml/batches/{batch.id}" not in beta.get("/desk/xml").get_data(as_text=True)


def test_result_mail_sent_to_company_address(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    batch = _send(client, batch_xml(request_msg("mail-1", 28), batch_id="MAIL-B"))
    mail = OutboundMail.select().where(OutboundMail.recipient == "xml@alpha.example.invalid").get()
    assert "MAIL-B" in mail.subject and mail.sent_at is not None
    outbox = os.path.join(app.instance_path, "outbox")
    assert any(open(os.path.join(outbox, f), encoding="utf-8").read().count("MAIL-B")
               for f in os.listdir(outbox))
    assert batch.id


def test_uploaded_file_stored_under_random_name(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    batch = XmlBatch.get_by_id(_send(client, batch_xml(request_msg("fn-1", 29))).id)
    assert "anything" not in batch.file_name and len(batch.file_name) == 36
    assert batch.state == "DONE"  # processed at once here: the batch file is already deleted
    assert not os.path.exists(os.path.join(app.instance_path, "xml", batch.file_name))
    assert os.path.exists(os.path.join(app.instance_path, "xml", batch.response_name))


def test_upload_too_large_is_413(app, login_as):
    app.config["XML_MAX_BYTES"] = 2000
    enable_xml()
    client = login_as("lm.alpha")
    content = batch_xml(*[request_msg(f"big-{i}", 30 + i) for i in range(40)])
    assert len(content) > 2000
    response = upload(client, content)
    assert response.status_code == 413
    assert XmlBatch.select().count() == 0


def test_schemas_are_public(client):
    for name in ("batch", "response"):
        response = client.get(f"/xml/schema/{name}.xsd")
        assert response.status_code == 200
        etree.XMLSchema(etree.fromstring(response.data))
    assert client.get("/xml/schema/other.xsd").status_code == 404


def test_each_refused_message_shows_the_line_where_it_starts(app, login_as):
    enable_xml()
    client = login_as("lm.alpha")
    content = batch_xml(request_msg("ln-1", 22), cease_msg("ln-2", 999999))
    text = content.decode() if isinstance(content, bytes) else content
    expected = next(number for number, line in enumerate(text.splitlines(), start=1)
                    if 'messageId="ln-2"' in line)
    batch = _send(client, content)
    row = XmlMessageResult.get(XmlMessageResult.message_id == "ln-2")
    assert row.line == expected > 1
    page = client.get(f"/desk/xml/batches/{batch.id}").get_data(as_text=True)
    refusals = page[page.index('id="batch-refusals"'):]
    assert f"<td>{row.seq}</td><td>{expected}</td><td>ln-2</td>" in refusals


def test_batch_counts_are_headed_as_counts_of_messages(app, login_as):
    """A batch's counts are headed for the messages they count (French: "Traités",
    "Acceptés", "Rejetés"), not with a single item's state."""
    enable_xml()
    client = login_as("lm.alpha")
    client.post("/language", data={"language": "fr", "next": "/home"})
    batch = _send(client, batch_xml(request_msg("h-1", 27)))
    status = client.get(f"/desk/xml/batches/{batch.id}", headers=HX).get_data(as_text=True)
    for heading in ("Traités", "Acceptés", "Rejetés"):
        assert f"{heading}</" in status, heading
    listing = client.get("/desk/xml").get_data(as_text=True)
    assert '<th scope="col">Acceptés</th><th scope="col">Rejetés</th>' in listing
