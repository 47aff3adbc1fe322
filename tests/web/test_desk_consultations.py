"""The dossier page's consultation log: one entry per consultation (the page shown again
after an action on it is not one), paginated like every list."""
import re

from stts.demo_dossiers import DEMO
from stts.models import AuditEvent, Dossier
from stts.services.audit import record_event
from tests.conftest import HX, text_of
from tests.web.test_desk import COMMERCIAL, _category_of, _demo_dossier, _new_dossier, login


def _views(dossier_id) -> int:
    return (AuditEvent.select().where((AuditEvent.action == "dossier.viewed")
                                      & (AuditEvent.object_id == str(dossier_id))).count())


def _lines(html: str) -> list[str]:
    block = re.search(r'<ul class="consultations">(.*?)</ul>', html, re.S).group(1)
    return re.findall(r"<li>(.*?)</li>", block, re.S)


def test_actions_on_the_page_are_not_new_consultations(client):
    login(client, "stts1.alpha")
    client.post("/desk/request", data={"national_number": DEMO["eligible"],
                                       "category": _category_of(10), **COMMERCIAL})
    dossier = _new_dossier(DEMO["eligible"])
    client.get(f"/desk/dossiers/{dossier.id}")  # the redirect after the request
    before = _views(dossier.id)
    page = client.get(f"/desk/dossiers/{dossier.id}")  # the user opens the dossier: one more
    assert _views(dossier.id) == before + 1
    assert len(_lines(page.get_data(as_text=True))) == before + 1
    version = Dossier.get_by_id(dossier.id).version
    # An htmx action (its redirect is a full navigation) and a plain form, then their pages.
    response = client.post(f"/desk/dossiers/{dossier.id}/modify", headers=HX,
                           data={"version": version, **COMMERCIAL, "customer_number": "C-2"})
    assert response.headers["HX-Redirect"] == f"/desk/dossiers/{dossier.id}"
    client.get(f"/desk/dossiers/{dossier.id}")
    response = client.post(f"/desk/dossiers/{dossier.id}/activate", data={
        "activate-version": version + 1, "activate-activation_date": "2025-01-01",
        "activate-invoice_date": "2025-02-01"})
    assert response.status_code == 303
    after = client.get(f"/desk/dossiers/{dossier.id}").get_data(as_text=True)
    assert Dossier.get_by_id(dossier.id).state == "ACTIVE"
    assert _views(dossier.id) == before + 1
    assert len(_lines(after)) == before + 1
    # A new visit afterwards is a consultation again.
    client.get(f"/desk/dossiers/{dossier.id}")
    assert _views(dossier.id) == before + 2


def test_the_consultation_log_is_paginated(client, app):
    login(client, "stts1.alpha")
    dossier = _demo_dossier("active_alpha")
    from stts.models import User

    user = User.get(User.username == "stts3.alpha")
    for _ in range(45):
        record_event("dossier.viewed", actor=user, object_type="dossier", object_id=dossier.id,
                     company_id=dossier.company_id)
    page = client.get(f"/desk/dossiers/{dossier.id}").get_data(as_text=True)
    assert len(_lines(page)) == 20
    url = f"/desk/dossiers/{dossier.id}/consultations?page=2"
    assert f'href="{url}"' in page and f'hx-get="{url}"' in page
    fragment = client.get(url, headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="consultations"')
    assert len(_lines(fragment)) == 20 and "<html" not in fragment
    last = client.get(f"/desk/dossiers/{dossier.id}/consultations?page=3")
    assert last.status_code == 200 and "<html" in last.get_data(as_text=True)
    assert len(_lines(last.get_data(as_text=True))) == 46 - 40
    assert "Consultations of dossier" in text_of(last)
    # Reading the log is no consultation of the person.
    assert _views(dossier.id) == 46


def test_another_operators_consultation_log_is_404(client):
    login(client, "stts1.alpha")
    dossier = _demo_dossier("active_beta")
    assert client.get(f"/desk/dossiers/{dossier.id}/consultations").status_code == 404
    assert client.get(f"/desk/dossiers/{dossier.id}/consultations", headers=HX).status_code == 404
