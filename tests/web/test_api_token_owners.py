"""API tokens die with their creator's authority (security line 34, docs/security.md).

The attack of the report, scripted: a local manager creates a technical account, is then
replaced through an approved access request, and their token sends a batch that changes a
dossier. Now the replacement revokes the token at once, and so do blocking and deleting its
creator; a token whose creator lost the authority behind the application's back is refused
as well. Runs on SQLite and, with STTS_TEST_DATABASE_URL, PostgreSQL."""
import pytest

from stts.models import AuditEvent, Dossier, TechnicalAccount, User
from stts.services.console import create_technical_account, xml_overview
from stts.services.users import delete_user, set_blocked
from tests.conftest import login, text_of
from tests.web.portal_helpers import agent_approves, english, submit_request
from tests.web.xml_helpers import ALPHA, batch_xml, dossier_of, enable_xml, modify_msg

english  # noqa: B018 (autouse fixture)


@pytest.fixture
def token(app):
    enable_xml()
    account, raw = create_technical_account(User.get(User.username == "lm.alpha"), "Loader")
    return raw


def _send(client, token, mid, customer):
    dossier = dossier_of(106)
    client.send_csrf = False
    response = client.post("/api/v1/batches", content_type="application/xml",
                           data=batch_xml(modify_msg(mid, dossier.id, customer), batch_id=mid),
                           headers={"Authorization": f"Bearer {token}"})
    return response, Dossier.get_by_id(dossier.id).customer_number


def _replace_the_manager(make_client):
    ticket = submit_request(make_client(), enterprise=ALPHA, name="", replace="yes")
    agent_approves(make_client, ticket)
    previous = User.get(User.username == "lm.alpha")
    assert not previous.is_local_manager
    return previous, User.get((User.company == previous.company) & User.is_local_manager)


def _account():
    return TechnicalAccount.get(TechnicalAccount.name == "Loader")


def test_the_token_of_a_replaced_manager_sends_nothing(client, make_client, token):
    response, customer = _send(client, token, "before-1", "BEFORE")
    assert response.status_code == 202 and customer == "BEFORE"
    previous, successor = _replace_the_manager(make_client)
    response, customer = _send(client, token, "after-1", "AFTER")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    assert customer == "BEFORE"
    account = _account()
    assert account.revoked_at is not None and account.revoked_reason == "creator_replaced"
    assert AuditEvent.select().where(
        (AuditEvent.action == "technical_account.revoked")
        & (AuditEvent.object_id == str(account.id))).count() == 1
    # The successor sees the token in the console: who created it, when, last used, why
    # it stopped.
    listed = xml_overview(successor).accounts
    assert [(a.name, a.creator.id, a.revoked_reason) for a in listed] == \
        [("Loader", previous.id, "creator_replaced")]
    assert listed[0].last_used_at is not None


def test_the_token_of_a_blocked_creator_stays_dead_even_once_unblocked(client, make_client,
                                                                        token):
    previous, successor = _replace_the_manager(make_client)
    set_blocked(successor, [previous.id], True)
    assert _send(client, token, "blk-1", "BLOCKED")[0].status_code == 401
    set_blocked(successor, [previous.id], False)
    response, customer = _send(client, token, "blk-2", "UNBLOCKED")
    assert response.status_code == 401 and customer != "UNBLOCKED"


def test_the_token_of_a_deleted_creator_sends_nothing(client, make_client, token):
    previous, successor = _replace_the_manager(make_client)
    delete_user(successor, previous.id)
    response, customer = _send(client, token, "del-1", "DELETED")
    assert response.status_code == 401 and customer != "DELETED"
    listed = xml_overview(successor).accounts
    assert listed[0].creator is None and listed[0].revoked_at is not None


@pytest.mark.parametrize("why", ["blocked", "deleted"])
def test_blocking_or_deleting_a_creator_revokes_their_tokens(client, token, why):
    """A token still live when its creator is blocked or deleted (one made before this rule
    by someone who has since stopped being the manager) is revoked by that act, with why."""
    alpha_manager = User.get(User.username == "lm.alpha")
    creator = User.get((User.company == alpha_manager.company) & ~User.is_local_manager
                       & (User.blocked == False))  # noqa: E712
    TechnicalAccount.update(created_by_id=creator.id).execute()
    if why == "blocked":
        set_blocked(alpha_manager, [creator.id], True)
    else:
        delete_user(alpha_manager, creator.id)
    account = _account()
    assert account.revoked_at is not None and account.revoked_reason == f"creator_{why}"
    assert _send(client, token, f"{why}-1", why.upper())[0].status_code == 401


@pytest.mark.parametrize("change", [
    {"is_local_manager": False}, {"blocked": True}, "deleted", "other company"])
def test_a_creator_who_lost_the_authority_behind_the_apps_back_is_refused(client, token,
                                                                          change):
    """The check at each request: no path that ends the creator's authority leaves the
    token working, even one that does not go through the services."""
    creator = User.get(User.username == "lm.alpha")
    if change == "deleted":
        TechnicalAccount.update(created_by_id=10**9).execute()
    elif change == "other company":
        TechnicalAccount.update(created_by_id=User.get(User.username == "lm.beta").id).execute()
    else:
        User.update(**change).where(User.id == creator.id).execute()
    assert _account().revoked_at is None
    response, customer = _send(client, token, "back-1", "BACKDOOR")
    assert response.status_code == 401 and customer != "BACKDOOR"


def test_the_console_lists_creator_created_and_last_used(client, token):
    login(client, "lm.alpha")
    page = text_of(client.get("/console/xml"))
    assert "Created by" in page and "Last used" in page and "Never" in page
    _send(client, token, "used-1", "USED")
    page = text_of(client.get("/console/xml"))
    assert "Never" not in page and "lm.alpha" in page


def test_a_batch_queued_before_the_replacement_is_refused_when_its_turn_comes(make_client,
                                                                             token):
    import io

    from stts.services.console import authenticate_token
    from stts.services.xml_batches import intake, processing

    dossier = dossier_of(106)
    batch = intake.receive_batch(
        io.BytesIO(batch_xml(modify_msg("queued-1", dossier.id, "QUEUED"), batch_id="Q-1")),
        account=authenticate_token(token), enqueue=False)
    _replace_the_manager(make_client)
    processing.process_batch(batch.id)
    assert Dossier.get_by_id(dossier.id).customer_number != "QUEUED"
