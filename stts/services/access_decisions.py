"""Access requests at the institution: the queue, the signed original, approval (company,
local manager account, provisional credentials by e-mail) or refusal, and replacement."""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale

from stts.db import utcnow, write_transaction
from stts.i18n import format_day
from stts.i18n import gettext as _
from stts.i18n import lazy_gettext as _l
from stts.models import Company, User
from stts.models.portal import (
    AR_APPROVED,
    AR_AWAITING,
    AR_OPEN,
    AR_RECEIVED,
    AR_REFUSED,
    AR_STATUSES,
    AccessRequest,
)
from stts.pagination import Page, paginate
from stts.passwords import generate_provisional_password
from stts.services import ServiceError
from stts.services.access_requests import PROCESSING_DAYS, get_request, normalize_ticket
from stts.services.audit import pseudonymize, record_event
from stts.services.authentication import set_provisional_password
from stts.services.console import revoke_tokens_of
from stts.services.locking import check_version, update_versioned
from stts.services.notifications import queue_mail
from stts.services.sessions import end_all_sessions
from stts.text import search_key
from stts.worker import worker

PAGE_SIZE = 20


# ---------------------------------------------------------------- the back-office

def list_requests(*, status: str = "open", overdue: bool = False, query: str = "",
                  page: int = 1) -> Page:
    """A page of requests, oldest first."""
    select = AccessRequest.select()
    if status == "open":
        select = select.where(AccessRequest.status.in_(AR_OPEN))
    elif status in AR_STATUSES:
        select = select.where(AccessRequest.status == status)
    if overdue:
        select = select.where((AccessRequest.status == AR_RECEIVED)
                              & (AccessRequest.due_at < utcnow()))
    query = (query or "").strip()
    if query:
        ticket = normalize_ticket(query)
        digits = re.sub(r"[\s.\-/]", "", query).upper().removeprefix("BE")
        if ticket:
            select = select.where(AccessRequest.ticket == ticket)
        elif digits.isdigit():
            select = select.where(AccessRequest.enterprise_number.startswith(digits))
        else:
            select = select.where(AccessRequest.id == 0)
    return paginate(select.order_by(AccessRequest.submitted_at, AccessRequest.id), page,
                    PAGE_SIZE)


STALE = _l("Someone changed this request meanwhile. Check it and try again.")


def _locked(request_id: int, version) -> AccessRequest:
    row = get_request(request_id)
    check_version(row, version, STALE)
    return row


def _bump(row: AccessRequest, **changes) -> None:
    update_versioned(AccessRequest, row.id, row.version, changes, message=STALE)


def record_original(request_id: int, version: int, *, gazette_received: bool, actor) -> None:
    """The signed original arrived (with the Gazette copy when needed): the 5 days start."""
    with write_transaction():
        row = _locked(request_id, version)
        if row.status != AR_AWAITING:
            raise ServiceError(_l("The original was already recorded for this request."))
        now = utcnow()
        _bump(row, status=AR_RECEIVED, original_received_at=now,
              due_at=now + timedelta(days=PROCESSING_DAYS),
              gazette_received=bool(gazette_received) and not row.signer_active)
        record_event("access_request.original_received", actor=actor, company_id=row.company_id,
                     object_type="access_request", object_id=row.id,
                     gazette_received=bool(gazette_received))


def record_gazette(request_id: int, version: int, *, actor) -> None:
    with write_transaction():
        row = _locked(request_id, version)
        if row.status != AR_RECEIVED or row.signer_active:
            raise ServiceError(_l("No Gazette copy is expected for this request now."))
        _bump(row, gazette_received=True)
        record_event("access_request.gazette_received", actor=actor, company_id=row.company_id,
                     object_type="access_request", object_id=row.id)


def refuse_request(request_id: int, version: int, reason: str, *, actor) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Give the reason of the refusal."), field="reason")
    with write_transaction():
        row = _locked(request_id, version)
        if row.status not in AR_OPEN:
            raise ServiceError(_l("This request was already decided."))
        _bump(row, status=AR_REFUSED, refusal_reason=reason[:1000], decided_at=utcnow(),
              decided_by_id=actor.id)
        record_event("access_request.refused", actor=actor, company_id=row.company_id,
                     object_type="access_request", object_id=row.id, reason=reason[:1000])


def approval_blocker(row: AccessRequest):
    """Why ``row`` cannot be approved now (the reason people read), or None when approval
    can succeed. The detail page offers "Approve" only when this is None, and says why
    otherwise; ``approve_request`` refuses with the same reason."""
    if row.status == AR_AWAITING:
        return _l("Record the signed original before approving.")
    if row.status != AR_RECEIVED:
        return _l("This request was already decided.")
    if not row.signer_active and not row.gazette_received:
        return _l("The copy of the Official Gazette has not arrived yet: the signer is not "
                  "active in the company. Record its arrival first.")
    approved = (AccessRequest.select(AccessRequest.decided_at)
                .where((AccessRequest.enterprise_number == row.enterprise_number)
                       & (AccessRequest.status == AR_APPROVED)
                       & (AccessRequest.decided_at > row.submitted_at))
                .order_by(AccessRequest.decided_at.desc()).first())
    if approved is not None:
        # Several requests for one number are kept side by side; once one is approved, an
        # older one would undo that decision: it is refused, and a new request can follow.
        return _l("Another request for this enterprise number was approved on %(date)s, after "
                  "this one was sent: refuse this one. The company can send a new request.",
                  date=format_day(approved.decided_at))
    company = Company.get_or_none(Company.enterprise_number == row.enterprise_number)
    if company is not None and not row.replace_manager and User.select().where(
            (User.company == company) & User.is_local_manager).exists():
        return _l("This company has a local manager now and the request does not replace "
                  "them: refuse it.")
    return None


def approve_request(request_id: int, version: int, *, actor) -> User:
    """Approve: company, local manager account, provisional credentials by e-mail.

    On replacement the previous local manager loses the rights (and sessions) first, in the
    same transaction, because the schema allows one local manager per company.
    """
    password = generate_provisional_password()
    with write_transaction():
        row = _locked(request_id, version)
        blocker = approval_blocker(row)
        if blocker:
            raise ServiceError(blocker)
        company = _company_for(row, actor)
        current = User.get_or_none((User.company == company) & User.is_local_manager)
        if current is not None:
            User.update(is_local_manager=False, version=User.version + 1).where(
                User.id == current.id).execute()
            end_all_sessions(current.id)
            record_event("user.local_manager_revoked", actor=actor, company_id=company.id,
                         object_type="user", object_id=current.id, access_request=row.id)
        user = _manager_account(row, company, actor)
        if current is not None and current.id != user.id:
            # The replaced manager's API tokens die with their authority (security line 34).
            revoke_tokens_of(current, "replaced", actor=actor)
        set_provisional_password(user, password, actor=actor)
        with force_locale(row.manager_language):
            subject, body = _credentials_mail(row, user, company, password)
        queue_mail(row.manager_email, subject, body)
        _bump(row, status=AR_APPROVED, decided_at=utcnow(), decided_by_id=actor.id,
              company_id=company.id, manager_user_id=user.id,
              previous_manager_id=current.id if current is not None else None)
        record_event("access_request.approved", actor=actor, company_id=company.id,
                     object_type="access_request", object_id=row.id, manager_user=user.id,
                     previous_manager=current.id if current is not None else None)
    worker.enqueue("mail.deliver")
    return user


def reissue_credentials(request_id: int, version: int, *, actor) -> None:
    """New provisional credentials for an approved request whose local manager has not
    completed the first login (the previous ones expired or were used)."""
    password = generate_provisional_password()
    with write_transaction():
        row = _locked(request_id, version)
        user = User.get_or_none(User.id == row.manager_user_id) if row.manager_user_id else None
        if row.status != AR_APPROVED or user is None or not user.is_local_manager or not (
                user.username_provisional or user.password_provisional):
            raise ServiceError(_l("New credentials can only be sent to a local manager who "
                                  "has not logged in for the first time yet."))
        set_provisional_password(user, password, actor=actor)
        company = Company.get_by_id(user.company_id)
        with force_locale(row.manager_language):
            subject, body = _credentials_mail(row, user, company, password)
        queue_mail(row.manager_email, subject, body)
        _bump(row)
        record_event("access_request.credentials_reissued", actor=actor, company_id=company.id,
                     object_type="access_request", object_id=row.id, manager_user=user.id)
    worker.enqueue("mail.deliver")


def _company_for(row: AccessRequest, actor) -> Company:
    company = Company.get_or_none(Company.enterprise_number == row.enterprise_number)
    if company is not None and not company.is_operator:
        raise ServiceError(_l("This enterprise cannot designate a local manager here."))
    if row.onss_number:
        owner = Company.get_or_none(Company.onss_number == row.onss_number)
        if owner is not None and (company is None or owner.id != company.id):
            raise ServiceError(_l("This ONSS number belongs to another enterprise number."))
    if company is None:
        company = Company.create(enterprise_number=row.enterprise_number,
                                 onss_number=row.onss_number, name=row.company_name,
                                 category=row.category, is_operator=True)
        record_event("company.created", actor=actor, company_id=company.id,
                     object_type="company", object_id=company.id, access_request=row.id)
        return company
    before = {"name": company.name, "category": company.category,
              "onss_number": company.onss_number}
    after = {"name": row.company_name, "category": row.category,
             "onss_number": company.onss_number or row.onss_number}
    if before != after:
        Company.update(version=Company.version + 1, **after).where(
            Company.id == company.id).execute()
        record_event("company.updated", actor=actor, company_id=company.id,
                     object_type="company", object_id=company.id, before=before, after=after,
                     access_request=row.id)
    return Company.get_by_id(company.id)


def _manager_account(row: AccessRequest, company: Company, actor) -> User:
    """The local manager's account: the person's existing account in the company, or a new
    one with a provisional username to be replaced at first login."""
    user = User.get_or_none((User.company == company)
                            & (User.national_number == row.manager_national_number))
    names = {"last_name": row.manager_last_name, "first_name": row.manager_first_name,
             "last_name_key": search_key(row.manager_last_name),
             "first_name_key": search_key(row.manager_first_name),
             "email": row.manager_email, "language": row.manager_language}
    if user is not None:
        User.update(is_local_manager=True, version=User.version + 1, **names).where(
            User.id == user.id).execute()
        record_event("user.local_manager_granted", actor=actor, company_id=company.id,
                     object_type="user", object_id=user.id, access_request=row.id)
        return User.get_by_id(user.id)
    user = User.create(company=company, username="lm-" + secrets.token_hex(6),
                       username_provisional=True, national_number=row.manager_national_number,
                       # "!" is no argon2 hash: nothing logs in until the provisional password
                       # is set just below, in the same transaction.
                       password_hash="!", is_local_manager=True, **names)  # noqa: S106
    record_event("user.created", actor=actor, company_id=company.id, object_type="user",
                 object_id=user.id, local_manager=True, access_request=row.id,
                 national_number=pseudonymize(row.manager_national_number))
    return user


def _credentials_mail(row: AccessRequest, user: User, company: Company, password: str):
    login_url = current_app.config["PUBLIC_URL"].rstrip("/") + "/login"
    days = current_app.config["PROVISIONAL_PASSWORD_VALIDITY"].days
    subject = _("STTS: your provisional credentials as local manager")
    body = "\n\n".join([
        _("Hello %(name)s,", name=f"{user.first_name} {user.last_name}"),
        _("You are now the local manager of %(company)s for the social telephone tariff "
          "(ticket %(ticket)s).", company=company.name, ticket=row.ticket),
        _("Provisional username: %(username)s", username=user.username) + "\n"
        + _("Provisional password: %(password)s", password=password),
        _("Log in at %(url)s within %(days)d days. These credentials work once: at the first "
          "login you choose your own username and password.", url=login_url, days=days),
        _("This e-mail is not kept: the credentials will not be shown again."),
    ])
    return subject, body


