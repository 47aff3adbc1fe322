"""Access requests: designate a company's local manager.

The portal wizard keeps its draft server-side (``AccessRequestDraft``); submission turns it into
an ``AccessRequest`` with a ticket. The institution records the signed original, then approves
(company + local manager account + provisional credentials by e-mail) or refuses.
"""
from __future__ import annotations

import json
import os
import re
import secrets
from datetime import timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from stts.db import database, utcnow, write_transaction
from stts.models import Company, RetiredUsername, User
from stts.models.portal import (
    AR_APPROVED,
    AR_AWAITING,
    AR_OPEN,
    AR_RECEIVED,
    AR_REFUSED,
    AR_STATUSES,
    AccessRequest,
    AccessRequestDraft,
)
from stts.passwords import generate_provisional_password, hash_password, password_problems
from stts.services import Conflict, NotFound, ServiceError
from stts.services.audit import pseudonymize, record_event
from stts.services.sessions import end_all_sessions
from stts.text import search_key

STEPS = ("category", "company", "manager", "signer", "replace", "overview")
TICKET_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
PROCESSING_DAYS = 5
DRAFT_LIFETIME = timedelta(days=7)
PDF_MAGIC = b"%PDF-"
USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,64}$")
PAGE_SIZE = 20

DUPLICATE_OPEN = _l("An access request for this company is already being processed. "
                    "Follow it with its ticket number; a new one can be made once it is decided.")
ONE_MANAGER = _l("This company already has a local manager, and a company has only one. "
                 "Go back and answer yes to \"Replace the current local manager?\".")


# ---------------------------------------------------------------- the wizard's draft

def _data(draft: AccessRequestDraft) -> dict:
    data = json.loads(draft.data or "{}")
    data.setdefault("raw", {})
    data.setdefault("clean", {})
    return data


def draft_values(draft: AccessRequestDraft) -> dict:
    return _data(draft)


def load_draft(key: str | None) -> AccessRequestDraft | None:
    if not key or len(key) > 64:
        return None
    draft = AccessRequestDraft.get_or_none(AccessRequestDraft.key == key)
    if draft is not None and utcnow() - draft.updated_at > DRAFT_LIFETIME:
        return None
    return draft


def start_draft() -> AccessRequestDraft:
    """A new draft; stale drafts (and their uploads) are cleaned up on the way."""
    limit = utcnow() - DRAFT_LIFETIME
    with database.atomic():
        for stale in AccessRequestDraft.select().where(AccessRequestDraft.updated_at < limit):
            _remove_upload(stale.gazette_file)
        AccessRequestDraft.delete().where(AccessRequestDraft.updated_at < limit).execute()
        draft = AccessRequestDraft.create(key=secrets.token_urlsafe(32))
        record_event("access_request.draft_started", object_type="access_request")
    return draft


def steps_of(draft: AccessRequestDraft) -> list[str]:
    """The steps this draft goes through: "replace" only when the company has a manager."""
    company = _data(draft)["clean"].get("company") or {}
    return [s for s in STEPS if s != "replace" or company.get("has_manager")]


def first_incomplete_step(draft: AccessRequestDraft) -> str:
    clean = _data(draft)["clean"]
    for step in steps_of(draft):
        if step == "overview" or step not in clean:
            return step
    return "overview"


def step_allowed(draft: AccessRequestDraft, step: str) -> bool:
    steps = steps_of(draft)
    return step in steps and steps.index(step) <= steps.index(first_incomplete_step(draft))


def previous_step(draft: AccessRequestDraft, step: str) -> str | None:
    steps = steps_of(draft)
    index = steps.index(step) if step in steps else 0
    return steps[index - 1] if index > 0 else None


def next_step(draft: AccessRequestDraft, step: str) -> str:
    steps = steps_of(draft)
    return steps[min(steps.index(step) + 1, len(steps) - 1)]


def save_draft_input(draft: AccessRequestDraft, step: str, raw: dict) -> None:
    """Keep what was typed (going back, or invalid input) without accepting the step."""
    data = _data(draft)
    data["raw"][step] = raw
    data["clean"].pop(step, None)
    AccessRequestDraft.update(data=json.dumps(data), updated_at=utcnow()).where(
        AccessRequestDraft.key == draft.key).execute()
    draft.data = json.dumps(data)


def company_facts(enterprise_number: str, onss_number: str) -> dict:
    """Resolve the company named in the wizard; raises ServiceError(field=...) on a rule."""
    company = None
    if enterprise_number:
        company = Company.get_or_none(Company.enterprise_number == enterprise_number)
        if onss_number:
            owner = Company.get_or_none(Company.onss_number == onss_number)
            if owner is not None and owner.enterprise_number != enterprise_number:
                raise ServiceError(_l("This ONSS number belongs to another enterprise number."),
                                   field="onss_number")
    else:
        company = Company.get_or_none(Company.onss_number == onss_number)
        if company is None:
            raise ServiceError(_l("This ONSS number is not known yet: give the enterprise "
                                  "number too."), field="enterprise_number")
        enterprise_number = company.enterprise_number
    if company is not None and not company.is_operator:
        raise ServiceError(_l("This enterprise cannot designate a local manager here."),
                           field="enterprise_number")
    if open_request_exists(enterprise_number):
        raise ServiceError(DUPLICATE_OPEN, field="enterprise_number")
    has_manager = company is not None and User.select().where(
        (User.company == company) & User.is_local_manager).exists()
    return {
        "enterprise_number": enterprise_number,
        "onss_number": onss_number or (company.onss_number if company else "") or "",
        "known_name": company.name if company else "",
        "company_id": company.id if company else None,
        "has_manager": bool(has_manager),
    }


def open_request_exists(enterprise_number: str) -> bool:
    return AccessRequest.select().where(
        (AccessRequest.enterprise_number == enterprise_number)
        & AccessRequest.status.in_(AR_OPEN)).exists()


def save_draft_step(draft: AccessRequestDraft, step: str, raw: dict, clean: dict,
                    upload=None) -> None:
    """Accept a validated step into the draft, applying the rules that span the wizard."""
    if step not in STEPS or step == "overview" or not step_allowed(draft, step):
        raise NotFound(_l("This step is not available."))
    data = _data(draft)
    gazette_file = draft.gazette_file
    if step == "company":
        facts = company_facts(clean["enterprise_number"], clean["onss_number"])
        if not facts["known_name"] and not clean["company_name"]:
            raise ServiceError(_l("Give the company's name: it is not known to STTS yet."),
                               field="company_name")
        clean = {**clean, **facts, "company_name": facts["known_name"] or clean["company_name"]}
        if not facts["has_manager"]:
            data["clean"].pop("replace", None)
    if step == "signer":
        clean = dict(clean)
        if clean["active"] == "no":
            if upload is not None and upload.filename:
                new_file = store_gazette(upload)
                _remove_upload(gazette_file)
                gazette_file = new_file
            if not gazette_file:
                raise ServiceError(_l("Attach the copy of the Official Gazette publication "
                                      "(PDF)."), field="gazette")
        else:
            _remove_upload(gazette_file)
            gazette_file = None
    data["raw"][step] = raw
    data["clean"][step] = clean
    with database.atomic():
        AccessRequestDraft.update(data=json.dumps(data), gazette_file=gazette_file,
                                  updated_at=utcnow()).where(
            AccessRequestDraft.key == draft.key).execute()
        draft.data, draft.gazette_file = json.dumps(data), gazette_file
        record_event("access_request.step_saved", object_type="access_request", step=step,
                     company_id=(clean.get("company_id") if step == "company" else None))


# ---------------------------------------------------------------- the Gazette copy

def uploads_dir() -> str:
    path = os.path.join(current_app.instance_path, "uploads")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def store_gazette(upload) -> str:
    """Store an uploaded PDF under a random name (the sent filename is ignored)."""
    limit = current_app.config.get("GAZETTE_MAX_BYTES", 4 * 1024 * 1024)
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise ServiceError(_l("The file is too large (at most %(size)d MB).",
                              size=limit // (1024 * 1024)), field="gazette")
    if not content.startswith(PDF_MAGIC):
        raise ServiceError(_l("Attach a PDF file."), field="gazette")
    name = secrets.token_hex(16) + ".pdf"
    fd = os.open(os.path.join(uploads_dir(), name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return name


def gazette_path(access_request: AccessRequest) -> str | None:
    name = access_request.gazette_file
    if not name or not re.fullmatch(r"[0-9a-f]{32}\.pdf", name):
        return None
    path = os.path.join(uploads_dir(), name)
    return path if os.path.exists(path) else None


def _remove_upload(name: str | None) -> None:
    if name and re.fullmatch(r"[0-9a-f]{32}\.pdf", name):
        try:
            os.remove(os.path.join(uploads_dir(), name))
        except FileNotFoundError:
            pass


# ---------------------------------------------------------------- submission and follow-up

def new_ticket() -> str:
    raw = "".join(secrets.choice(TICKET_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalize_ticket(text: str) -> str:
    raw = re.sub(r"[\s\-]", "", (text or "").upper())
    raw = raw.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(raw) != 16 or any(ch not in TICKET_ALPHABET for ch in raw):
        return ""
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def submit_access_request(draft: AccessRequestDraft) -> AccessRequest:
    """Turn a complete draft into a request with a ticket; the draft is removed."""
    if first_incomplete_step(draft) != "overview":
        raise ServiceError(_l("Some steps are not complete yet."))
    clean = _data(draft)["clean"]
    company, manager, signer = clean["company"], clean["manager"], clean["signer"]
    replace = clean.get("replace", {}).get("replace") == "yes"
    with write_transaction():
        facts = company_facts(company["enterprise_number"], company["onss_number"])
        if facts["has_manager"] and not replace:
            record_event("access_request.submitted", result="refused", object_type="access_request",
                         company_id=facts["company_id"], reason="company has a local manager")
            raise ServiceError(ONE_MANAGER)
        try:
            with database.atomic():
                request_row = AccessRequest.create(
                    ticket=new_ticket(), status=AR_AWAITING, category=clean["category"]["category"],
                    enterprise_number=facts["enterprise_number"],
                    onss_number=facts["onss_number"] or None, company_name=company["company_name"],
                    company_id=facts["company_id"],
                    manager_last_name=manager["last_name"],
                    manager_first_name=manager["first_name"],
                    manager_national_number=manager["national_number"],
                    manager_quality=manager["quality"], manager_email=manager["email"],
                    manager_phone=manager["phone"], manager_language=manager["language"],
                    signer_last_name=signer["last_name"], signer_first_name=signer["first_name"],
                    signer_national_number=signer["national_number"],
                    signer_quality=signer["quality"], signer_email=signer["email"],
                    signer_phone=signer["phone"], signer_active=signer["active"] == "yes",
                    gazette_file=draft.gazette_file if signer["active"] == "no" else None,
                    replace_manager=replace and facts["has_manager"],
                )
        except IntegrityError:
            raise ServiceError(DUPLICATE_OPEN) from None
        AccessRequestDraft.delete().where(AccessRequestDraft.key == draft.key).execute()
        record_event("access_request.submitted", object_type="access_request",
                     object_id=request_row.id, company_id=facts["company_id"],
                     manager=pseudonymize(manager["national_number"]),
                     signer=pseudonymize(signer["national_number"]), replace=replace)
    return request_row


def get_request(request_id) -> AccessRequest:
    row = AccessRequest.get_or_none(AccessRequest.id == request_id)
    if row is None:
        raise NotFound(_l("This access request does not exist."))
    return row


def follow_request(ticket: str, enterprise_number: str) -> AccessRequest:
    """The request only when both the ticket and the enterprise number match."""
    normalized = normalize_ticket(ticket)
    row = None
    if normalized:
        row = AccessRequest.get_or_none(AccessRequest.ticket == normalized)
    if row is None or not secrets.compare_digest(row.enterprise_number, enterprise_number):
        record_event("access_request.followed", result="refused", object_type="access_request")
        raise NotFound(_l("No request matches this ticket and enterprise number. "
                          "Check both and try again."))
    record_event("access_request.followed", object_type="access_request", object_id=row.id,
                 company_id=row.company_id)
    return row


# ---------------------------------------------------------------- the back-office

def list_requests(*, status: str = "open", overdue: bool = False, query: str = "",
                  page: int = 1):
    """A page of requests (oldest first) and the total count."""
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
    total = select.count()
    rows = list(select.order_by(AccessRequest.submitted_at, AccessRequest.id)
                .paginate(max(page, 1), PAGE_SIZE))
    return rows, total


def _locked(request_id: int, version: int) -> AccessRequest:
    row = get_request(request_id)
    if row.version != version:
        raise Conflict(_l("Someone changed this request meanwhile. Check it and try again."))
    return row


def _bump(row: AccessRequest, **changes) -> None:
    updated = AccessRequest.update(version=AccessRequest.version + 1, **changes).where(
        (AccessRequest.id == row.id) & (AccessRequest.version == row.version)).execute()
    if updated != 1:
        raise Conflict(_l("Someone changed this request meanwhile. Check it and try again."))


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


def approve_request(request_id: int, version: int, *, actor) -> User:
    """Approve: company, local manager account, provisional credentials by e-mail.

    On replacement the previous local manager loses the rights (and sessions) first, in the
    same transaction, because the schema allows one local manager per company.
    """
    from stts.services.authentication import set_provisional_password
    from stts.services.notifications import queue_mail

    password = generate_provisional_password()
    with write_transaction():
        row = _locked(request_id, version)
        if row.status != AR_RECEIVED:
            raise ServiceError(_l("Record the signed original before approving."))
        if not row.signer_active and not row.gazette_received:
            raise ServiceError(_l("The copy of the Official Gazette has not arrived yet."))
        company = _company_for(row)
        current = User.get_or_none((User.company == company) & User.is_local_manager)
        if current is not None and not row.replace_manager:
            raise ServiceError(_l("This company has a local manager now and the request does "
                                  "not replace them: refuse it."))
        if current is not None:
            User.update(is_local_manager=False, version=User.version + 1).where(
                User.id == current.id).execute()
            end_all_sessions(current.id)
            record_event("user.local_manager_revoked", actor=actor, company_id=company.id,
                         object_type="user", object_id=current.id, access_request=row.id)
        user = _manager_account(row, company)
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
    from stts.jobs import deliver_mail

    deliver_mail()
    return user


def reissue_credentials(request_id: int, version: int, *, actor) -> None:
    """New provisional credentials for an approved request whose local manager has not
    completed the first login (the previous ones expired or were used)."""
    from stts.services.authentication import set_provisional_password
    from stts.services.notifications import queue_mail

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
    from stts.jobs import deliver_mail

    deliver_mail()


def _company_for(row: AccessRequest) -> Company:
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
        record_event("company.created", company_id=company.id, object_type="company",
                     object_id=company.id, access_request=row.id)
        return company
    before = {"name": company.name, "category": company.category,
              "onss_number": company.onss_number}
    after = {"name": row.company_name, "category": row.category,
             "onss_number": company.onss_number or row.onss_number}
    if before != after:
        Company.update(version=Company.version + 1, **after).where(
            Company.id == company.id).execute()
        record_event("company.updated", company_id=company.id, object_type="company",
                     object_id=company.id, before=before, after=after, access_request=row.id)
    return Company.get_by_id(company.id)


def _manager_account(row: AccessRequest, company: Company) -> User:
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
        record_event("user.local_manager_granted", company_id=company.id, object_type="user",
                     object_id=user.id, access_request=row.id)
        return User.get_by_id(user.id)
    user = User.create(company=company, username="lm-" + secrets.token_hex(6),
                       username_provisional=True, national_number=row.manager_national_number,
                       # "!" is no argon2 hash: nothing logs in until the provisional password
                       # is set just below, in the same transaction.
                       password_hash="!", is_local_manager=True, **names)  # noqa: S106
    record_event("user.created", company_id=company.id, object_type="user", object_id=user.id,
                 local_manager=True, access_request=row.id,
                 national_number=pseudonymize(row.manager_national_number))
    return user


def _credentials_mail(row: AccessRequest, user: User, company: Company, password: str):
    login_url = url_for("auth.login", _external=True) if has_request_context() else "/login"
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


# ---------------------------------------------------------------- first login

class FirstLoginRefused(ServiceError):
    def __init__(self, errors: dict):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def complete_first_login(user: User, *, username: str, username_confirm: str, password: str,
                         password_confirm: str, national_number: str) -> None:
    """The local manager chooses the username (for good) and the password; every session ends."""
    from stts import identifiers
    from stts.passwords import verify_password

    errors = {}
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username) or username.startswith("lm-"):
        errors["username"] = _l("Use 3 to 64 characters: lower-case letters a-z, digits and "
                                ". _ - (not starting with lm-).")
    elif username != (username_confirm or "").strip():
        errors["username_confirm"] = _l("The two usernames are not the same.")
    elif (User.select().where((User.username == username) & (User.id != user.id)).exists()
          or RetiredUsername.select().where(RetiredUsername.username == username).exists()):
        errors["username"] = _l("This username is already taken. Choose another one.")
    if password != password_confirm:
        errors["password_confirm"] = _l("The two passwords are not the same.")
    problems = password_problems(password or "", context=(
        username, user.first_name, user.last_name, user.company.name))
    if problems:
        errors["password"] = problems[0]
    elif verify_password(user.password_hash, password or ""):
        errors["password"] = _l("Choose a password different from the provisional one.")
    try:
        number = identifiers.clean_national_number(national_number)
    except identifiers.InvalidIdentifier as invalid:
        errors["national_number"] = invalid.message
    else:
        if not secrets.compare_digest(number, user.national_number):
            errors["national_number"] = _l("This is not the national register number given in "
                                           "the access request.")
    if errors:
        record_event("user.first_login", actor=user, object_type="user", object_id=user.id,
                     result="refused", fields=sorted(errors))
        raise FirstLoginRefused(errors)
    with write_transaction():
        fresh = User.get_by_id(user.id)
        if not fresh.username_provisional:
            raise ServiceError(_l("The username was already chosen."))
        try:
            with database.atomic():
                User.update(username=username, username_provisional=False,
                            password_hash=hash_password(password), password_provisional=False,
                            password_expires_at=None, provisional_used_at=None,
                            version=User.version + 1).where(User.id == user.id).execute()
        except IntegrityError:
            raise FirstLoginRefused(
                {"username": _l("This username is already taken. Choose another one.")}) from None
        end_all_sessions(user.id)
        record_event("user.first_login", actor=user, object_type="user", object_id=user.id,
                     before={"username": fresh.username}, after={"username": username})
