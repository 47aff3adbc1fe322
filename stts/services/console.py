"""The local manager's structured-message settings and the company's activity trail."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from stts.db import utcnow, write_transaction
from stts.i18n import lazy_gettext as _l
from stts.models import Application, AuditEvent, Company, User, UserApplication
from stts.models.console import TechnicalAccount
from stts.pagination import Page, paginate
from stts.services import NotFound, ServiceError, parse_id
from stts.services.audit import record_event
from stts.services.locking import update_versioned
from stts.services.user_search import get_company_user
from stts.tokens import digest, new_token

ACTIVITY_PAGE_SIZE = 25


# --- structured messages ---------------------------------------------------------------

@dataclass
class XmlOverview:
    company: Company
    users: list
    senders: set
    accounts: list


def xml_overview(manager: User) -> XmlOverview:
    company = Company.get_by_id(manager.company_id)
    users = list(User.select(User.id, User.username, User.first_name, User.last_name,
                             User.is_local_manager, User.blocked)
                 .where(User.company == manager.company_id)
                 .order_by(User.last_name_key, User.first_name_key, User.id))
    senders = {
        user_id for (user_id,) in UserApplication.select(UserApplication.user)
        .join(Application).switch(UserApplication).join(User)
        .where((Application.code == "STTS_XML") & (User.company == manager.company_id))
        .tuples()
    }
    accounts = list(TechnicalAccount.select()
                    .where(TechnicalAccount.company == manager.company_id)
                    .order_by(TechnicalAccount.revoked_at.is_null(False), TechnicalAccount.name,
                              TechnicalAccount.id))
    # Name each token's creator in one query (a deleted creator keeps only the audit trail).
    creator_ids = {a.created_by_id for a in accounts if a.created_by_id}
    creators = {u.id: u for u in User.select(User.id, User.username, User.first_name,
                                             User.last_name)
                .where(User.id.in_(list(creator_ids)) & (User.company == manager.company_id))
                } if creator_ids else {}
    for account in accounts:
        account.creator = creators.get(account.created_by_id)
    return XmlOverview(company=company, users=users, senders=senders, accounts=accounts)


def update_xml_settings(manager: User, *, enabled: bool, result_email: str, version) -> Company:
    """Switch XML sending on or off and set where batch results are notified."""
    result_email = (result_email or "").strip() or None
    if enabled and not result_email:
        raise ServiceError(_l("Give the address that receives the batch results."),
                           field="result_email")
    company = Company.get_by_id(manager.company_id)
    with write_transaction():
        update_versioned(Company, company.id, version,
                         {"xml_enabled": enabled, "xml_result_email": result_email},
                         message=_l("The settings changed meanwhile. Your input is kept: check "
                                    "and save again."))
        record_event("company.xml_settings", actor=manager, company_id=company.id,
                     object_type="company", object_id=company.id,
                     before={"xml_enabled": company.xml_enabled,
                             "xml_result_email": company.xml_result_email},
                     after={"xml_enabled": enabled, "xml_result_email": result_email})
    return Company.get_by_id(company.id)


def set_xml_sender(manager: User, user_id, allowed: bool) -> User:
    """Give or take the STTS_XML application of one user of the company."""
    user = get_company_user(manager, user_id)
    application = Application.get(Application.code == "STTS_XML")
    with write_transaction():
        if allowed:
            UserApplication.insert(user=user.id, application=application.id) \
                .on_conflict_ignore().execute()
        else:
            UserApplication.delete().where((UserApplication.user == user.id)
                                           & (UserApplication.application == application.id)
                                           ).execute()
        User.update(version=User.version + 1).where(User.id == user.id).execute()
        record_event("user.xml_sender_granted" if allowed else "user.xml_sender_revoked",
                     actor=manager, company_id=manager.company_id, object_type="user",
                     object_id=user.id)
    return user


def create_technical_account(manager: User, name: str) -> tuple[TechnicalAccount, str]:
    """A technical account with a fresh API token; only the token's hash is stored."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("Give the technical account a name."), field="name")
    token = new_token()
    with write_transaction():
        account = TechnicalAccount.create(
            company=manager.company_id, name=name, token_hash=digest(token),
            token_hint=token[:6], created_at=utcnow(), created_by_id=manager.id)
        record_event("technical_account.created", actor=manager, company_id=manager.company_id,
                     object_type="technical_account", object_id=account.id,
                     after={"name": name})
    return account, token


def revoke_technical_account(manager: User, account_id) -> TechnicalAccount:
    account_id = parse_id(account_id)
    if account_id is None:
        raise NotFound(_l("This technical account does not exist."))
    with write_transaction():
        account = TechnicalAccount.get_or_none(
            (TechnicalAccount.id == account_id)
            & (TechnicalAccount.company == manager.company_id))
        if account is None:
            raise NotFound(_l("This technical account does not exist."))
        if account.revoked_at is None:
            account.revoked_at, account.revoked_reason = utcnow(), "manager"
            TechnicalAccount.update(revoked_at=account.revoked_at, revoked_reason="manager").where(
                TechnicalAccount.id == account.id).execute()
            record_event("technical_account.revoked", actor=manager,
                         company_id=manager.company_id, object_type="technical_account",
                         object_id=account.id)
    return account


CREATOR_LOST = {"replaced": "creator_replaced", "blocked": "creator_blocked",
                "deleted": "creator_deleted"}


def revoke_tokens_of(user: User, why: str, *, actor: User | None) -> int:
    """A token dies with its creator's authority (docs/security.md, line 34): when the local
    manager who created technical accounts is replaced, blocked or deleted, their tokens are
    revoked in the same transaction as that change, for good (unblocking revives nothing).
    The successor creates new technical accounts. Returns how many were revoked."""
    reason = CREATOR_LOST[why]
    live = list(TechnicalAccount.select(TechnicalAccount.id, TechnicalAccount.name)
                .where((TechnicalAccount.created_by_id == user.id)
                       & TechnicalAccount.revoked_at.is_null()))
    if not live:
        return 0
    TechnicalAccount.update(revoked_at=utcnow(), revoked_reason=reason).where(
        TechnicalAccount.id.in_([a.id for a in live])
        & TechnicalAccount.revoked_at.is_null()).execute()
    for account in live:
        record_event("technical_account.revoked", actor=actor, company_id=user.company_id,
                     object_type="technical_account", object_id=account.id, reason=reason,
                     creator=user.id)
    return len(live)


LAST_USED_PRECISION = timedelta(minutes=1)


def authenticate_token(token: str) -> TechnicalAccount | None:
    """The live technical account for an API token (for the XML endpoint), or None.

    Live: not revoked, XML sending on, and its creator still the company's local manager and
    not blocked. Revocation already happens when the creator loses that authority; checking
    it here too means no way of losing it can leave a token working."""
    if not token or len(token) > 200:
        return None
    creator = User.alias("creator")
    account = (TechnicalAccount.select(TechnicalAccount, Company).join(Company)
               .switch(TechnicalAccount)
               .join(creator, on=(creator.id == TechnicalAccount.created_by_id))
               .where((TechnicalAccount.token_hash == digest(token))
                      & TechnicalAccount.revoked_at.is_null()
                      & (Company.xml_enabled == True)  # noqa: E712
                      & (creator.company == TechnicalAccount.company)
                      & (creator.is_local_manager == True)  # noqa: E712
                      & (creator.blocked == False))  # noqa: E712
               .first())
    if account is not None:
        now = utcnow()
        if account.last_used_at is None or now - account.last_used_at >= LAST_USED_PRECISION:
            # At most one write a minute per token: "last used" to the minute.
            TechnicalAccount.update(last_used_at=now).where(
                TechnicalAccount.id == account.id).execute()
            account.last_used_at = now
    return account


# --- activity --------------------------------------------------------------------------

@dataclass
class ActivityFilter:
    action: str = ""
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None


def company_actions(manager: User) -> list[str]:
    return [a for (a,) in AuditEvent.select(AuditEvent.action).distinct()
            .where(AuditEvent.company_id == manager.company_id)
            .order_by(AuditEvent.action).tuples()]


def search_activity(manager: User, criteria: ActivityFilter, page: int = 1,
                    page_size: int = ACTIVITY_PAGE_SIZE) -> Page:
    """The company's audit trail, newest first, filtered."""
    where = AuditEvent.company_id == manager.company_id
    if criteria.action:
        where &= AuditEvent.action == criteria.action
    if criteria.actor:
        where &= AuditEvent.actor_username == criteria.actor.strip().lower()
    if criteria.date_from:
        where &= AuditEvent.at >= datetime.combine(criteria.date_from, time.min)
    if criteria.date_to:
        where &= AuditEvent.at < datetime.combine(criteria.date_to + timedelta(days=1), time.min)
    query = AuditEvent.select().where(where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    result = paginate(query, page, page_size)
    events = result.rows
    # Name the users the events are about, in one query (deleted users keep their id only).
    ids = {int(e.object_id) for e in events
           if e.object_type == "user" and (e.object_id or "").isdigit()}
    names = {}
    if ids:
        names = {u.id: u.username for u in User.select(User.id, User.username)
                 .where(User.id.in_(list(ids)) & (User.company == manager.company_id))}
    for event in events:
        event.object_label = (names.get(int(event.object_id))
                              if event.object_type == "user" and (event.object_id or "").isdigit()
                              else None)
    return result
