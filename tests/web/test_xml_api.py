"""The structured-message API: bearer tokens of technical accounts, 202 + Location, status
JSON, response XML, structured JSON errors, tenant isolation, the hostile-input corpus."""
import time

import pytest

from stts.models import Company, Dossier, User, XmlBatch
from stts.services.console import create_technical_account, revoke_technical_account
from tests.web.xml_helpers import (
    batch_xml,
    cancel_msg,
    cease_msg,
    dossier_of,
    enable_xml,
    modify_msg,
    parse_response,
    request_msg,
    results,
)


@pytest.fixture
def token(app):
    enable_xml()
    manager = User.get(User.username == "lm.alpha")
    account, raw = create_technical_account(manager, "Batch loader")
    return raw


def _post(client, content, token, **headers):
    client.send_csrf = False  # the API has no CSRF: token auth, no cookies
    return client.post("/api/v1/batches", data=content, content_type="application/xml",
                       headers={"Authorization": f"Bearer {token}", **headers})


def test_upload_without_token_is_401_json(client):
    response = _post(client, batch_xml(request_msg("a-0", 40)), "nope")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Set-Cookie" not in response.headers


def test_upload_202_location_status_and_response(client, token):
    response = _post(client, batch_xml(request_msg("a-1", 41), batch_id="API-1"), token,
                     **{"Accept-Language": "nl"})
    assert response.status_code == 202
    location = response.headers["Location"]
    assert location.startswith("/api/v1/batches/")
    assert "Set-Cookie" not in response.headers
    headers = {"Authorization": f"Bearer {token}"}
    status = client.get(location, headers=headers)
    assert status.status_code == 200
    body = status.json
    assert (body["state"], body["total"], body["accepted"], body["batchId"]) == \
        ("DONE", 1, 1, "API-1")
    answer = client.get(body["response"], headers=headers)
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    found = results(parse_response(answer.data))
    assert found["a-1"].get("code") == "OK"
    assert XmlBatch.get_by_id(body["id"]).language == "nl"
    dossier = dossier_of(41)
    assert dossier.actions[0].author_id is None  # no personal author: the technical account
    assert dossier.actions[0].author_name.startswith("Batch loader")


def test_technical_account_has_stts2_rights_not_cancel(client, token):
    dossier = dossier_of(106)
    response = _post(client, batch_xml(modify_msg("t-1", dossier.id, "TECH"),
                                       cancel_msg("t-2", dossier.id),
                                       cease_msg("t-3", dossier.id)), token)
    body = client.get(response.headers["Location"],
                      headers={"Authorization": f"Bearer {token}"}).json
    answer = client.get(body["response"], headers={"Authorization": f"Bearer {token}"})
    found = results(parse_response(answer.data))
    assert found["t-1"].get("code") == "OK"
    assert found["t-2"].get("code") == "FORBIDDEN"
    assert found["t-3"].get("code") == "OK"
    assert Dossier.get_by_id(dossier.id).state == "ENDED"


def test_other_companys_batch_is_404_json(client, token):
    enable_xml("0428759497", "xml@beta.example.invalid")
    beta_manager = User.get(User.username == "lm.beta")
    _account, beta_token = create_technical_account(beta_manager, "Beta loader")
    response = _post(client, batch_xml(request_msg("iso-a", 42)), token)
    location = response.headers["Location"]
    other = client.get(location, headers={"Authorization": f"Bearer {beta_token}"})
    assert other.status_code == 404 and other.json["error"]["code"] == "not_found"
    other = client.get(location + "/response", headers={"Authorization": f"Bearer {beta_token}"})
    assert other.status_code == 404


def test_revoked_token_and_disabled_company_refused(client, token, app):
    manager = User.get(User.username == "lm.alpha")
    from stts.models import TechnicalAccount

    account = TechnicalAccount.get(TechnicalAccount.name == "Batch loader")
    revoke_technical_account(manager, account.id)
    assert _post(client, batch_xml(request_msg("rv-1", 43)), token).status_code == 401


def test_xml_switched_off_refuses_token(client, token):
    Company.update(xml_enabled=False).where(Company.enterprise_number == "0403019261").execute()
    assert _post(client, batch_xml(request_msg("off-1", 44)), token).status_code == 401


def test_wrong_content_type_is_415(client, token):
    client.send_csrf = False
    response = client.post("/api/v1/batches", data="x=1",
                           content_type="application/x-www-form-urlencoded",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_oversize_upload_is_413_json(client, token, app):
    app.config["XML_MAX_BYTES"] = 1000
    content = batch_xml(*[request_msg(f"o-{i}", 50 + i) for i in range(30)])
    response = _post(client, content, token)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert XmlBatch.select().count() == 0


def test_response_not_ready_is_409_json(client, token):
    response = _post(client, batch_xml(request_msg("nr-a", 45)), token)
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    XmlBatch.update(state="PROCESSING", response_name=None).where(
        XmlBatch.id == batch_id).execute()
    answer = client.get(f"/api/v1/batches/{batch_id}/response",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 409 and answer.json["error"]["code"] == "not_ready"


# --- hostile input ---------------------------------------------------------------------------

LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']>\n<Batch xmlns="urn:be:stts:batch:1">&lol9;</Batch>\n')
QUADRATIC = (b'<?xml version="1.0"?>\n<!DOCTYPE b [<!ENTITY a "' + b"x" * 50000 + b'">]>\n'
             b'<Batch xmlns="urn:be:stts:batch:1">' + b"&a;" * 50000 + b"</Batch>")
XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE b [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<Batch xmlns="urn:be:stts:batch:1"><Header><EnterpriseNumber>&xxe;</EnterpriseNumber>'
       b"</Header></Batch>")
EXTERNAL_DTD = (b'<?xml version="1.0"?>\n<!DOCTYPE Batch SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
                b'<Batch xmlns="urn:be:stts:batch:1"/>')
XINCLUDE = (b'<?xml version="1.0"?>\n<Batch xmlns="urn:be:stts:batch:1" '
            b'xmlns:xi="http://www.w3.org/2001/XInclude">\n<Header><EnterpriseNumber>'
            b'<xi:include href="file:///etc/passwd" parse="text"/></EnterpriseNumber>'
            b"<BatchId>X</BatchId><CreatedAt>2025-01-01T00:00:00Z</CreatedAt></Header>\n</Batch>")
DEEP = (b'<Batch xmlns="urn:be:stts:batch:1">' + b"<Request>" * 50000 + b"</Request>" * 50000
        + b"</Batch>")


@pytest.mark.parametrize("content", [LAUGHS, QUADRATIC, XXE, EXTERNAL_DTD],
                         ids=["billion-laughs", "quadratic", "xxe", "external-dtd"])
def test_doctype_attacks_get_fast_400_and_store_nothing(client, token, app, content):
    started = time.monotonic()
    response = _post(client, content, token)
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert response.json["error"]["code"] == "doctype_forbidden"
    assert "root:" not in response.get_data(as_text=True)
    assert XmlBatch.select().count() == 0
    import os

    folder = os.path.join(app.instance_path, "xml")
    assert not os.path.isdir(folder) or os.listdir(folder) == []


@pytest.mark.parametrize("content,code_word", [(XINCLUDE, "XInclude"), (DEEP, "deep")],
                         ids=["xinclude", "deep-nesting"])
def test_structural_attacks_rejected_quickly_without_leak(client, token, content, code_word):
    started = time.monotonic()
    dossiers = Dossier.select().count()
    response = _post(client, content, token, **{"Accept-Language": "en"})
    assert response.status_code == 202
    body = client.get(response.headers["Location"],
                      headers={"Authorization": f"Bearer {token}"}).json
    assert time.monotonic() - started < 2
    assert body["state"] == "REJECTED"
    assert code_word.lower() in body["error"]["message"].lower() or body["error"]["line"]
    assert "root:" not in str(body)
    assert body["total"] == 0 and Dossier.select().count() == dossiers
