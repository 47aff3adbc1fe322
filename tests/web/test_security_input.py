"""Checklist 16 (autoescape; user content never carries hx-* attributes) and 19 (uploaded
filenames ignored, files stored outside the web root)."""
import io
import os

import pytest

from stts.models import Beneficiary, Company, Dossier, User, XmlBatch
from tests.conftest import HX, login
from tests.web.xml_helpers import batch_xml, enable_xml, request_msg

HOSTILE = '<div hx-get="/logout" hx-trigger="load" onclick="x()">Evil</div>'
ESCAPED = "&lt;div hx-get="


@pytest.fixture
def hostile(app):
    """Hostile markup stored in names an operator, a manager and the institution display."""
    alpha = Company.get(Company.name == "Telco Alpha")
    dossier = Dossier.select().where(Dossier.company == alpha).order_by(Dossier.id).first()
    Beneficiary.update(last_name=HOSTILE, first_name=HOSTILE).where(
        Beneficiary.id == dossier.beneficiary_id).execute()
    User.update(last_name=HOSTILE, first_name=HOSTILE).where(
        User.username == "stts1.alpha").execute()
    return dossier


def _assert_inert(response):
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert HOSTILE not in body and 'hx-get="/logout"' not in body
    assert ESCAPED in body
    return body


def test_names_render_escaped_in_the_desk(client, hostile):
    login(client, "stts3.alpha")
    _assert_inert(client.get(f"/desk/dossiers/{hostile.id}"))
    _assert_inert(client.get(f"/desk/dossiers/{hostile.id}", headers=HX))
    number = Beneficiary.get_by_id(hostile.beneficiary_id).national_number
    _assert_inert(client.post("/desk/dossiers", data={"national_number": number}, headers=HX))


def test_names_render_escaped_in_the_console(client, hostile):
    login(client, "lm.alpha")
    user = User.get(User.username == "stts1.alpha")
    _assert_inert(client.get("/console/users"))
    _assert_inert(client.get(f"/console/users/{user.id}"))


def test_names_render_escaped_in_the_back_office_review(client, hostile):
    Dossier.update(state="REVIEW").where(Dossier.id == hostile.id).execute()
    login(client, "handler.bipt")
    _assert_inert(client.get(f"/backoffice/review/{hostile.id}"))


def test_hostile_query_strings_are_escaped(client):
    login(client, "auditor.bipt")
    response = client.get("/backoffice/audit", query_string={"actor": HOSTILE[:60]})
    body = response.get_data(as_text=True)
    assert HOSTILE[:60] not in body and 'hx-get="/logout"' not in body


def test_uploaded_filename_is_ignored_and_file_is_outside_the_web_root(app, client):
    enable_xml()
    login(client, "lm.alpha")
    static_before = set(os.listdir(app.static_folder))
    response = client.post("/desk/xml", content_type="multipart/form-data", data={
        "file": (io.BytesIO(batch_xml(request_msg("path-1", 31))), "../../static/evil.xml")})
    assert response.status_code == 303
    batch = XmlBatch.select().order_by(XmlBatch.id.desc()).first()
    assert "evil" not in batch.file_name and "/" not in batch.file_name
    # Processed at once here: the batch file is gone (retention), its response is kept.
    assert not os.path.exists(os.path.join(app.instance_path, "xml", batch.file_name))
    stored = os.path.realpath(os.path.join(app.instance_path, "xml", batch.response_name))
    assert os.path.exists(stored)
    assert not stored.startswith(os.path.realpath(app.static_folder) + os.sep)
    assert not stored.startswith(os.path.realpath(app.root_path) + os.sep)
    assert set(os.listdir(app.static_folder)) == static_before
    assert client.get(f"/static/{batch.file_name}").status_code == 404


@pytest.mark.parametrize("url", ["/desk/dossiers/99999999999999999999",
                                 "/desk/tasks/99999999999999999999",
                                 "/console/users/9223372036854775808"])
def test_an_id_beyond_the_database_integer_is_not_found(client, url):
    """Found while fixing the form fuzzer's version overflow: a path id of 2**63 or more
    overflowed the database integer (a 500)."""
    login(client, "lm.alpha" if url.startswith("/console") else "stts3.alpha")
    assert client.get(url).status_code == 404


# --- ids from forms, queries and batch files: one bound, never a 500 ------------------------

OUT_OF_RANGE_IDS = [str(2**63), str(2**64), "9" * 19, "9" * 40, "²", "١٢", "-1", "0", "1e3",
                    "0x10", "１２"]


@pytest.mark.parametrize("value", OUT_OF_RANGE_IDS)
def test_bulk_user_action_with_an_id_out_of_range_is_not_found(client, value):
    """A bulk block with user_id 2**63 overflowed the database integer (a 500)."""
    login(client, "lm.alpha")
    own = User.get(User.username == "stts1.alpha")
    for confirm in ("", "yes"):
        response = client.post("/console/users/bulk", data={
            "user_id": [str(own.id), value], "action": "block", "confirm": confirm})
        assert response.status_code == 404, (value, confirm, response.status_code)
    assert not User.get_by_id(own.id).blocked  # nothing changed: the whole selection refused


@pytest.mark.parametrize("value", OUT_OF_RANGE_IDS)
def test_audit_filter_with_a_company_out_of_range_is_422(client, value):
    """``/backoffice/audit?company=²`` passed ``str.isdigit`` and broke ``int()`` (a 500);
    a 19-digit company overflowed the database integer."""
    login(client, "auditor.bipt")
    for headers in ({}, HX):
        response = client.get("/backoffice/audit", query_string={"company": value},
                              headers=headers)
        assert response.status_code == 422, (value, response.status_code)
        assert "Choose a company from the list." in response.get_data(as_text=True)


def test_the_bound_is_the_url_converters(client):
    from stts.app import DatabaseIdConverter
    from stts.services import MAX_ID, parse_id

    converter = DatabaseIdConverter(None)
    assert converter.max == MAX_ID == 2**63 - 1
    assert parse_id(str(MAX_ID)) == MAX_ID and parse_id(str(MAX_ID + 1)) is None
    assert parse_id(" 12 ") == 12 and parse_id(12) == 12
    for value in OUT_OF_RANGE_IDS + [None, True, 2**63, "", " ", "1 2", 1.0]:
        assert parse_id(value) is None, value


def test_batch_ids_out_of_range_are_refused_per_message_without_a_traceback(app, caplog):
    """An oversized DossierId in a batch gave the message ERROR and logged a traceback."""
    from stts.models import XmlMessageResult
    from stts.services.xml_batches import intake, processing
    from tests.web.xml_helpers import cancel_msg, dossier_of, modify_msg

    enable_xml()
    sender = User.get(User.username == "lm.alpha")
    active = dossier_of(103)
    huge = "9" * 30
    content = batch_xml(
        modify_msg("o-1", str(2**63)),
        modify_msg("o-2", huge),
        modify_msg("o-3", active.id, version=str(2**63)),
        modify_msg("o-4", active.id, version=huge),
        cancel_msg("o-5", str(2**64)),
        f'<CancelAction messageId="o-6"><DossierId>{active.id}</DossierId>'
        f'<ActionId>{huge}</ActionId><Reason>r</Reason></CancelAction>')
    batch = intake.receive_batch(io.BytesIO(content), user=sender, enqueue=False)
    with caplog.at_level("ERROR"):
        done = processing.process_batch(batch.id)
    assert done.state == "DONE"
    codes = {r.message_id: r.code for r in XmlMessageResult.select().where(
        XmlMessageResult.batch == batch.id)}
    assert codes == {"o-1": "NOT_FOUND", "o-2": "NOT_FOUND", "o-3": "CONFLICT",
                     "o-4": "CONFLICT", "o-5": "NOT_FOUND", "o-6": "CONFLICT"}
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
