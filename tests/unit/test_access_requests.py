"""Access-request service rules without HTTP: tickets, the Gazette upload, draft steps."""
import io
import re

import pytest
from werkzeug.datastructures import FileStorage

from stts.services import ServiceError
from stts.services import access_requests as service


def test_tickets_are_readable_and_random():
    tickets = {service.new_ticket() for _ in range(200)}
    assert len(tickets) == 200
    for ticket in tickets:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", ticket)


@pytest.mark.parametrize("typed,expected", [
    ("abcd efgh jkmn pqrs", "ABCD-EFGH-JKMN-PQRS"),
    ("ABCD-EFGH-JKMN-PQRS", "ABCD-EFGH-JKMN-PQRS"),
    ("ABCD-EFGH-JKMN-PQRO", "ABCD-EFGH-JKMN-PQR0"),  # O read as zero
    ("ABCD-EFGH-JKMN-PQRU", ""),  # U is not in the alphabet
    ("ABCD-EFGH", ""),
    ("", ""),
])
def test_normalize_ticket(typed, expected):
    assert service.normalize_ticket(typed) == expected


def _upload(content):
    return FileStorage(stream=io.BytesIO(content), filename="../../x.pdf",
                       content_type="application/pdf")


def test_store_gazette_checks_magic_and_size(app):
    app.config["GAZETTE_MAX_BYTES"] = 100
    name, size = service.store_gazette(_upload(b"%PDF-1.7 small"))
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", name) and size == 14
    with pytest.raises(ServiceError) as not_pdf:
        service.store_gazette(_upload(b"<html>"))
    assert not_pdf.value.field == "gazette"
    with pytest.raises(ServiceError):
        service.store_gazette(_upload(b"%PDF-" + b"x" * 200))


def test_company_facts_for_known_and_unknown_companies(app):
    alpha = service.company_facts("0403019261", "")
    assert alpha["has_manager"] and alpha["known_name"] == "Telco Alpha"
    assert alpha["onss_number"] == "012345674"
    new = service.company_facts("0450123451", "")
    assert new["company_id"] is None and not new["has_manager"]
    with pytest.raises(ServiceError) as unknown_onss:
        service.company_facts("", "999999965")
    assert unknown_onss.value.field == "enterprise_number"
    with pytest.raises(ServiceError) as other_owner:
        service.company_facts("0450123451", "012345674")
    assert other_owner.value.field == "onss_number"
    with pytest.raises(ServiceError):  # the institution itself
        service.company_facts("0765432146", "")


def test_draft_steps_skip_replace_unless_the_company_has_a_manager(app):
    draft = service.start_draft()
    assert service.first_incomplete_step(draft) == "category"
    assert "replace" not in service.steps_of(draft)
    service.save_draft_step(draft, "category", {"category": "no_staff"}, {"category": "no_staff"})
    clean = {"enterprise_number": "0403019261", "onss_number": "", "company_name": ""}
    service.save_draft_step(draft, "company", clean, clean)
    assert "replace" in service.steps_of(draft)
    assert service.first_incomplete_step(draft) == "manager"
    with pytest.raises(ServiceError):  # no jumping ahead
        service.save_draft_step(draft, "replace", {"replace": "yes"}, {"replace": "yes"})
