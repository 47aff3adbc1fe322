"""Helpers of the structured-message tests: batch files, the sender's setup, look-ups."""
from __future__ import annotations

import io

from lxml import etree

from stts.demo_dossiers import person
from stts.models import Application, Beneficiary, Company, Dossier, User, UserApplication

ALPHA = "0403019261"
NS = "urn:be:stts:batch:1"
RNS = {"r": "urn:be:stts:response:1"}


def batch_xml(*messages: str, enterprise: str = ALPHA, batch_id: str = "B-1") -> bytes:
    body = "\n  ".join(messages)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Batch xmlns="{NS}">\n'
            f'  <Header><EnterpriseNumber>{enterprise}</EnterpriseNumber>'
            f'<BatchId>{batch_id}</BatchId><CreatedAt>2025-03-01T09:00:00Z</CreatedAt></Header>\n'
            f'  {body}\n</Batch>\n').encode()


def category_of(n: int) -> str:
    from stts.models import EligibilityRecord

    record = EligibilityRecord.get_or_none(EligibilityRecord.national_number == person(n))
    return record.category if record else "AGE65"


def request_msg(mid, n, category=None, complete=True, extra=""):
    category = category or category_of(n)
    commercial = ("<Service>FIXED</Service><PhoneNumber>+3222268888</PhoneNumber>"
                  "<CustomerNumber>C-%s</CustomerNumber><TariffFormula>Social</TariffFormula>"
                  % mid) if complete else ""
    return (f'<Request messageId="{mid}"><NationalNumber>{person(n)}</NationalNumber>'
            f'<Category>{category}</Category>{extra}{commercial}</Request>')


def transfer_msg(mid, n):
    return (f'<Transfer messageId="{mid}"><NationalNumber>{person(n)}</NationalNumber>'
            '<Service>MOBILE</Service><PhoneNumber>+32470123456</PhoneNumber>'
            f'<CustomerNumber>T-{mid}</CustomerNumber><TariffFormula>Mobile social</TariffFormula>'
            '<ActivationDate>2025-03-01</ActivationDate></Transfer>')


def complete_msg(mid, dossier_id):
    return (f'<CompleteData messageId="{mid}"><DossierId>{dossier_id}</DossierId>'
            '<Service>FIXED</Service><PhoneNumber>+3222268888</PhoneNumber>'
            f'<CustomerNumber>D-{mid}</CustomerNumber><TariffFormula>Social</TariffFormula>'
            '</CompleteData>')


def modify_msg(mid, dossier_id, customer="NEW-1", version=None):
    v = f"<Version>{version}</Version>" if version else ""
    return (f'<Modify messageId="{mid}"><DossierId>{dossier_id}</DossierId>{v}'
            f'<CustomerNumber>{customer}</CustomerNumber></Modify>')


def cease_msg(mid, dossier_id, date="2030-01-01"):
    return (f'<Cease messageId="{mid}"><DossierId>{dossier_id}</DossierId>'
            f'<Reason>CUSTOMER_REQUEST</Reason><EffectiveDate>{date}</EffectiveDate></Cease>')


def cancel_msg(mid, dossier_id, reason="Sent by mistake"):
    return (f'<CancelAction messageId="{mid}"><DossierId>{dossier_id}</DossierId>'
            f'<Reason>{reason}</Reason></CancelAction>')


def enable_xml(slug_enterprise: str = ALPHA, email: str = "xml@alpha.example.invalid"):
    Company.update(xml_enabled=True, xml_result_email=email).where(
        Company.enterprise_number == slug_enterprise).execute()


def grant_xml(username: str) -> User:
    user = User.get(User.username == username)
    app_id = Application.get(Application.code == "STTS_XML").id
    UserApplication.insert(user=user.id, application=app_id).on_conflict_ignore().execute()
    return user


def dossier_of(n: int) -> Dossier:
    return (Dossier.select(Dossier, Beneficiary).join(Beneficiary)
            .where(Beneficiary.national_number == person(n))
            .order_by(Dossier.id.desc()).first())


def upload(client, content: bytes, headers=None):
    return client.post("/desk/xml", data={"file": (io.BytesIO(content), "anything.xml")},
                       content_type="multipart/form-data", headers=headers or {})


def parse_response(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def results(root) -> dict:
    return {r.get("messageId"): r for r in root.findall("r:Result", RNS)}
