"""Every page and fragment each role can reach, in each of the four languages, read as a
person reads it: no message left in another language, no raw code, no ISO date, no
two-digit year, no unformatted phone number (tests/web/rendered.py says how).

Before the crawl, people working in another language than the reader's leave traces on
every face: dossiers requested, modified, ceased, a batch of structured messages with
refusals, a user created and one deleted, an access request, a refused login."""
import pytest

from stts.demo_dossiers import DEMO
from stts.models import User
from tests.conftest import login
from tests.web import rendered
from tests.web.portal_helpers import MANAGER, agent_approves, read_credentials, submit_request
from tests.web.xml_helpers import (
    batch_xml,
    cease_msg,
    dossier_of,
    enable_xml,
    modify_msg,
    request_msg,
    upload,
)

ROLES = ("lm.alpha", "stts1.alpha", "stts2.alpha", "stts3.alpha", "agent.bipt",
         "handler.bipt", "auditor.bipt")
# The language the traces are left in, for each reader's language.
OTHER = {"fr": "nl", "nl": "de", "de": "fr", "en": "fr"}
COMMERCIAL = {"service": "MOBILE", "phone_number": "0470 12 34 56", "customer_number": "C-1",
              "tariff_formula": "Social mobile", "installation_costs": "12.50"}


def _traces(make_client, language):
    User.update(language=language).execute()
    desk = make_client()
    login(desk, "stts3.alpha")
    assert desk.post("/desk/request", data={"national_number": DEMO["eligible"],
                                            "category": _category(10), **COMMERCIAL}
                     ).status_code == 303
    active = dossier_of(103)
    assert desk.post(f"/desk/dossiers/{active.id}/modify", data={
        "version": active.version, **COMMERCIAL, "installation_costs": "20"}).status_code == 303
    ceased = dossier_of(104)
    assert desk.post(f"/desk/dossiers/{ceased.id}/cease", data={
        "cease-version": ceased.version, "cease-reason": "CUSTOMER_REQUEST",
        "cease-effective_date": "2025-06-30"}).status_code in (302, 303)
    assert desk.post("/desk/transfer", data={"national_number": DEMO["active_beta"],
                                             **COMMERCIAL, "customer_number": "T-1"}
                     ).status_code == 303
    enable_xml()
    manager = make_client()
    login(manager, "lm.alpha")
    incomplete = dossier_of(181)
    upload(manager, batch_xml(request_msg("m-1", 20), request_msg("m-2", 100),
                              modify_msg("m-3", incomplete.id, customer="X-3"),
                              cease_msg("m-4", 999999)))
    upload(manager, batch_xml(request_msg("bad-1", 23, category="AGE6"), batch_id="B-2"))
    upload(manager, batch_xml(request_msg("bad-2", 24), batch_id="B-3").replace(
        b"</Category>", b"</Categ>"))  # not well-formed
    for username, nrn in (("new.user", "85.07.30-033.28"), ("gone.user", "90051200211")):
        created = manager.post("/console/users/new", data={
            "username": username, "username_confirm": username, "last_name": "Dubois",
            "first_name": "Élodie", "national_number": nrn,
            "email": f"{username}@alpha.example.com", "language": language, "app_web": "y",
            "profile": "STTS2"})
        assert created.status_code in (201, 302, 303), created.status_code
    gone = User.get(User.username == "gone.user")
    assert manager.post(f"/console/users/{gone.id}/delete").status_code in (302, 303)
    visitor = make_client()
    visitor.accept_language = language
    ticket = submit_request(visitor)
    refused = make_client()
    refused.post("/login", data={"username": "stts1.alpha", "password": "wrong"})
    refused.post("/login", data={"username": "nobody.alpha", "password": "wrong"})
    return ticket


def _category(n):
    from stts.models.dossiers import CATEGORIES

    return CATEGORIES[n % len(CATEGORIES)]


@pytest.mark.parametrize("language", rendered.LANGUAGES)
def test_every_page_reads_in_the_readers_language(app, make_client, language):
    ticket = _traces(make_client, OTHER[language])
    User.update(language=language).execute()
    report, found = {}, {}
    for username in ROLES:
        if not User.get_or_none(User.username == username):
            continue
        client = make_client()
        login(client, username)
        found.update(rendered.crawl(client, "/home", language=language, report=report))
    visitor = make_client()
    visitor.accept_language = language
    found.update(rendered.crawl(visitor, "/", language=language, report=report))
    found.update(rendered.crawl(visitor, "/login", language=language, report=report))
    # Last (the request is pending for the crawl above): the new local manager's provisional
    # login, which leads only to the first-login page.
    agent_approves(make_client, ticket)
    _message, username, password = read_credentials(app, MANAGER["email"])
    User.update(language=language).where(User.username == username).execute()
    newcomer = make_client()
    login(newcomer, username, password)
    found.update(rendered.crawl(newcomer, "/home", language=language, report=report))
    assert report["visited"] > 150  # the crawl does reach the application's pages
    forms = report["forms"]
    for kind in ("/desk/request?", "/console/users/new?", "/account/password?",
                 "/first-login?"):
        assert kind in forms, f"the crawl posted no {kind} form: {sorted(forms)}"
    # Every form that changes something refuses a second post of itself (stts/once.py).
    assert not report["without_once"], sorted({k.split(" on ")[0] for k in report["without_once"]})
    summary = "\n".join(f"{address}: {trouble}" for address, trouble in sorted(found.items()))
    assert not found, f"{language}: {len(found)} pages\n{summary}"
