"""Abuse of the public portal, scripted (security lines 30 and 36, docs/security.md "The
public portal"): a request for someone else's enterprise number no longer blocks the
genuine one, even re-sent after each refusal; abandoned drafts and their uploads are deleted
by the periodic job; uploads have a quota whose refusal loses nothing typed; wrong follow-up
tickets are counted and throttled, not each written to the audit trail; and every public
POST of the url_map is rate-limited. The clock is moved, never slept. Runs on SQLite and,
with STTS_TEST_DATABASE_URL, PostgreSQL."""
import io
import os
import time
from datetime import timedelta

import pytest
import time_machine

from stts.models import AccessRequest, AccessRequestDraft, AuditEvent
from stts.ratelimit import EXTRA_LIMITED
from tests.conftest import login, text_of
from tests.web.portal_helpers import (
    NEW_ENTERPRISE,
    PDF,
    SIGNER,
    english,
    fill_wizard,
    gazette_file,
    request_row,
    submit_request,
)

english  # noqa: B018 (autouse fixture)

ATTACKER = "203.0.113.9"
GENUINE = "198.51.100.7"
IMPOSTOR = {"last_name": "Mallory", "first_name": "Eve", "national_number": "90051200211",
            "quality": "worker", "email": "eve@example.com", "phone": "+32 470 00 00 00",
            "language": "fr"}


def _from(make_client, address):
    client = make_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _agent(make_client):
    agent = make_client()
    login(agent, "agent.bipt")
    return agent


def _original(agent, ticket):
    row = request_row(ticket)
    assert agent.post(f"/backoffice/access-requests/{row.id}/original",
                      data={"version": row.version}).status_code == 303


def _refuse(agent, ticket):
    row = request_row(ticket)
    response = agent.post(f"/backoffice/access-requests/{row.id}/refuse",
                          data={"version": row.version, "reason": "Not the company's own"})
    assert response.status_code == 303


# --- several requests for one enterprise number ----------------------------------------------

def test_a_request_for_someone_elses_number_never_blocks_the_genuine_one(make_client):
    attacker = _from(make_client, ATTACKER)
    first_fake = submit_request(attacker, manager=IMPOSTOR)
    genuine = submit_request(_from(make_client, GENUINE))  # accepted although one is open
    agent = _agent(make_client)
    refused = [first_fake]
    _refuse(agent, first_fake)
    for _round in range(3):  # re-sent after each refusal: the genuine one stays untouched
        fake = submit_request(_from(make_client, ATTACKER), manager=IMPOSTOR)
        assert request_row(genuine).status == "awaiting_original"
        _refuse(agent, fake)
        refused.append(fake)
    fake = submit_request(_from(make_client, ATTACKER), manager=IMPOSTOR)
    assert AccessRequest.select().where(
        AccessRequest.enterprise_number == NEW_ENTERPRISE).count() == 6
    # The agent sees them side by side: the queue flags the number, the request lists the
    # others with what tells them apart.
    queue = text_of(agent.get("/backoffice/access-requests"))
    assert "2 open requests for this number" in queue
    page = text_of(agent.get(f"/backoffice/access-requests/{request_row(genuine).id}"))
    assert 'id="same-number"' in page
    for ticket in refused + [fake]:
        assert ticket in page
    assert "Mallory" in page and "Peeters" in page
    _original(agent, genuine)
    row = request_row(genuine)
    assert agent.post(f"/backoffice/access-requests/{row.id}/approve",
                      data={"version": row.version}).status_code == 303
    assert request_row(genuine).status == "approved"
    assert request_row(fake).status == "awaiting_original"


def test_an_older_request_cannot_undo_a_later_approval(make_client):
    older = submit_request(_from(make_client, ATTACKER), manager=IMPOSTOR)
    newer = submit_request(_from(make_client, GENUINE))
    agent = _agent(make_client)
    for ticket in (older, newer):
        _original(agent, ticket)
    row = request_row(newer)
    agent.post(f"/backoffice/access-requests/{row.id}/approve", data={"version": row.version})
    row = request_row(older)
    page = text_of(agent.get(f"/backoffice/access-requests/{row.id}"))
    assert "Another request for this enterprise number was approved" in page
    response = agent.post(f"/backoffice/access-requests/{row.id}/approve",
                          data={"version": row.version})
    assert response.status_code == 422 and request_row(older).status == "original_received"


# --- abandoned drafts and their uploads ------------------------------------------------------

def _uploads(app):
    folder = os.path.join(app.instance_path, "uploads")
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def test_abandoned_drafts_and_their_files_are_deleted_by_the_periodic_job(app, make_client):
    from stts.worker import worker
    from stts.worker.tasks import purge_portal_drafts

    function, schedule, _options = worker._declared["portal.purge_drafts"]
    assert schedule is not None and function.__name__ == "purge_portal_drafts"
    before = _uploads(app)
    abandoned_client = make_client()
    fill_wizard(abandoned_client, signer={**SIGNER, "active": "no", "gazette": gazette_file()})
    abandoned = AccessRequestDraft.get()
    kept = submit_request(make_client(), signer={**SIGNER, "active": "no",
                                                 "gazette": gazette_file()})
    orphan = os.path.join(app.instance_path, "uploads", "0" * 32 + ".pdf")
    with open(orphan, "wb") as handle:
        handle.write(PDF)
    assert abandoned.gazette_file in _uploads(app)
    retention = timedelta(hours=app.config["PORTAL_DRAFT_RETENTION_HOURS"])
    with time_machine.travel(time.time() + retention.total_seconds() - 60, tick=False):
        # Not expired yet; the file no draft or request holds is deleted after an hour.
        assert purge_portal_drafts() == {"drafts": 0, "files": 0, "orphans": 1}
        fresh_client = make_client()
        fresh_client.post("/access-request/category", data={"category": "no_staff"})
    with time_machine.travel(time.time() + retention.total_seconds() + 3600, tick=False):
        # Expired: no longer offered to its browser either.
        assert abandoned_client.get("/access-request").headers["Location"].endswith(
            "/access-request/category")
        result = purge_portal_drafts()
    assert result == {"drafts": 1, "files": 1, "orphans": 0}
    assert not AccessRequestDraft.select().where(
        AccessRequestDraft.key == abandoned.key).exists()
    assert AccessRequestDraft.select().count() == 1  # the fresh one stays
    left = _uploads(app) - before
    assert left == {request_row(kept).gazette_file}  # the submitted request keeps its copy
    events = [e.details for e in AuditEvent.select().where(
        AuditEvent.action == "access_request.drafts_purged").order_by(AuditEvent.id)]
    assert len(events) == 2 and '"drafts": 1' in events[1]


# --- the upload quota ---------------------------------------------------------------------

def _signer_upload(client, content=PDF):
    return client.post("/access-request/signer",
                       data={**SIGNER, "last_name": "Typed-Name", "active": "no",
                             "gazette": (io.BytesIO(content), "copy.pdf")},
                       content_type="multipart/form-data")


def _to_signer_step(client):
    client.get("/access-request")
    client.post("/access-request/category", data={"category": "onss_employer"})
    client.post("/access-request/company",
                data={"enterprise_number": NEW_ENTERPRISE, "company_name": "Delta"})
    from tests.web.portal_helpers import MANAGER
    assert client.post("/access-request/manager", data=MANAGER).status_code == 303


@pytest.mark.parametrize("language,words", [("en", "takes no more files from your connection"),
                                            ("fr", "Tout ce que vous avez saisi est conservé")])
def test_the_upload_quota_per_address_refuses_clearly_and_keeps_what_was_typed(
        app, make_client, language, words):
    app.config["PORTAL_UPLOAD_QUOTA_PER_ADDRESS"] = 2 * len(PDF)
    before = _uploads(app)
    for _draft in range(2):
        client = _from(make_client, ATTACKER)
        _to_signer_step(client)
        assert _signer_upload(client).status_code == 303
        # Replacing a draft's own file is within its share.
        assert _signer_upload(client).status_code == 303
    client = _from(make_client, ATTACKER)
    client.accept_language = language
    _to_signer_step(client)
    refused = _signer_upload(client)
    assert refused.status_code == 422
    page = text_of(refused)
    assert words in page and 'value="Typed-Name"' in page
    assert len(_uploads(app) - before) == 2
    # Nothing typed is lost: the earlier steps are still there.
    assert "Peeters" in text_of(client.get("/access-request/manager"))
    # Another address is not affected.
    other = _from(make_client, GENUINE)
    _to_signer_step(other)
    assert _signer_upload(other).status_code == 303


def test_the_total_quota_of_all_drafts_holds(app, make_client):
    app.config["PORTAL_UPLOAD_QUOTA_TOTAL"] = 3 * len(PDF)
    for index in range(3):
        client = _from(make_client, f"192.0.2.{index}")
        _to_signer_step(client)
        assert _signer_upload(client).status_code == 303
    client = _from(make_client, "192.0.2.200")
    _to_signer_step(client)
    refused = _signer_upload(client)
    assert refused.status_code == 422
    assert "cannot take more files right now" in text_of(refused)


# --- follow-up failures ---------------------------------------------------------------------

def test_follow_up_failures_are_counted_and_throttled_not_each_audited(app, make_client):
    app.config["PORTAL_FOLLOW_FAILURES"] = "5 per hour"
    ticket = submit_request(make_client())
    attacker = _from(make_client, ATTACKER)
    start = time.time()

    def guess(n):
        return attacker.post("/access-request/follow",
                             data={"ticket": f"AAAA-BBBB-CCCC-{n:04d}",
                                   "enterprise_number": NEW_ENTERPRISE})

    def rows():
        return AuditEvent.select().where(AuditEvent.action.startswith("access_request.follow"))

    with time_machine.travel(start, tick=False):
        codes = [guess(n).status_code for n in range(100)]
        assert codes[:5] == [422] * 5 and set(codes[5:]) == {429}
        refused = attacker.post("/access-request/follow",
                                data={"ticket": ticket, "enterprise_number": NEW_ENTERPRISE},
                                headers={"Accept-Language": "fr"})
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
        assert "Trop de requêtes" in text_of(refused)
        # A hundred guesses, two rows: the first failure and the count at the limit.
        assert [(r.action, r.ip) for r in rows().order_by(AuditEvent.id)] == [
            ("access_request.follow_failed", ATTACKER),
            ("access_request.follow_throttled", ATTACKER)]
        assert '"failures": 5' in rows().order_by(AuditEvent.id.desc()).first().details
        # The requester elsewhere still follows their request.
        genuine = _from(make_client, GENUINE).post(
            "/access-request/follow", data={"ticket": ticket, "enterprise_number": NEW_ENTERPRISE})
        assert genuine.status_code == 200 and ticket in text_of(genuine)
    with time_machine.travel(start + 3601, tick=False):
        assert guess(1).status_code == 422
        assert rows().where(AuditEvent.action == "access_request.follow_failed").count() == 2


# --- every public POST is limited --------------------------------------------------------------

ISSUE_POSTS = {"portal.wizard", "portal.check_field", "portal.follow", "auth.login",
               "auth.first_login"}
VALUES = {"step": "company", "name": "enterprise_number"}


def _public_posts(app):
    found = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        access = getattr(view, "stts_access", None)
        if access == "public" or rule.endpoint in EXTRA_LIMITED:
            found[rule.endpoint] = rule
        else:
            # Anything else needs a login or a bearer token (the deny-by-default test).
            assert access, rule.endpoint
    return found


def test_every_public_post_of_the_url_map_is_rate_limited(app, make_client):
    app.config.update(RATELIMIT_PUBLIC_POST="3 per minute")
    posts = _public_posts(app)
    assert ISSUE_POSTS <= set(posts)
    with time_machine.travel(time.time(), tick=False):
        for index, (endpoint, rule) in enumerate(sorted(posts.items())):
            path = rule.build({k: VALUES[k] for k in rule.arguments}, append_unknown=False)[1]
            client = _from(make_client, f"192.0.2.{index + 1}")
            answers = [client.post(path, data={"x": "1"}) for _ in range(5)]
            codes = [a.status_code for a in answers]
            assert 429 not in codes[:3] and codes[3:] == [429, 429], (endpoint, codes)
            assert int(answers[3].headers["Retry-After"]) > 0, endpoint
            # Another address still gets through.
            fresh = _from(make_client, f"192.0.2.{index + 101}").post(path, data={"x": "1"})
            assert fresh.status_code != 429, endpoint
