"""Access requests on the portal: designate a company's local manager.

The wizard keeps its draft server-side (``AccessRequestDraft``); submission turns it into an
``AccessRequest`` with a ticket, which the requester follows with the enterprise number. The
institution's side is in ``access_decisions``; the manager's first login in ``first_login``.
"""
from __future__ import annotations

import json
import os
import re
import secrets
from datetime import UTC, timedelta

from flask import current_app
from peewee import fn

from stts.db import database, serialized, utcnow, write_transaction
from stts.i18n import lazy_gettext as _l
from stts.models import Company, User
from stts.models.portal import (
    AR_AWAITING,
    AR_OPEN,
    AccessRequest,
    AccessRequestDraft,
)
from stts.services import NotFound, ServiceError
from stts.services.audit import pseudonymize, record_event

STEPS = ("category", "company", "manager", "signer", "replace", "overview")
TICKET_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
PROCESSING_DAYS = 5
PDF_MAGIC = b"%PDF-"
PAGE_SIZE = 20
UPLOAD_NAME = re.compile(r"[0-9a-f]{32}\.pdf")
ORPHAN_GRACE = timedelta(hours=1)  # a file stored but not yet recorded by its draft

ADDRESS_QUOTA = _l("The portal takes no more files from your connection for now. Everything "
                   "you typed is kept: try again tomorrow.")
TOTAL_QUOTA = _l("The portal cannot take more files right now. Everything you typed is kept: "
                 "try again in a few hours.")
ONE_MANAGER = _l("This company already has a local manager, and a company has only one. "
                 "Go back and answer yes to \"Replace the current local manager?\".")
KEEP_MANAGER = _l("A company has only one local manager: a request can only replace the "
                  "current one. Answer yes to replace them; to keep them, no request is needed.")
CHOICES = {
    "category": {"category": ("no_staff", "onss_employer", "service_provider")},
    "manager": {"quality": ("worker", "director", "manager", "partner"),
                "language": ("fr", "nl", "de", "en")},
    "signer": {"quality": ("director", "manager", "partner"), "active": ("yes", "no")},
    "replace": {"replace": ("yes", "no")},
}
"""The required choices of each step: an empty or unknown value is refused at its step."""


# ---------------------------------------------------------------- the wizard's draft

def _data(draft: AccessRequestDraft) -> dict:
    data = json.loads(draft.data or "{}")
    data.setdefault("raw", {})
    data.setdefault("clean", {})
    return data


def draft_values(draft: AccessRequestDraft) -> dict:
    return _data(draft)


def draft_retention() -> timedelta:
    """How long an untouched draft lives (``PORTAL_DRAFT_RETENTION_HOURS``): after that it is no
    longer offered, and the periodic ``portal.purge_drafts`` task deletes it and its file."""
    return timedelta(hours=float(current_app.config["PORTAL_DRAFT_RETENTION_HOURS"]))


def load_draft(key: str | None) -> AccessRequestDraft | None:
    if not key or len(key) > 64:
        return None
    draft = AccessRequestDraft.get_or_none(AccessRequestDraft.key == key)
    if draft is not None and utcnow() - draft.updated_at > draft_retention():
        return None
    return draft


def blank_draft() -> AccessRequestDraft:
    """An empty draft that is not stored: showing the wizard writes nothing (GET never
    changes state); the first step sent starts a stored draft."""
    return AccessRequestDraft(key="", data="{}")


def start_draft(*, address: str | None = None) -> AccessRequestDraft:
    """A new draft. ``address``: the anonymous visitor's, for the audit trail (as for every
    portal operation) and the upload quota."""
    with database.atomic():
        draft = AccessRequestDraft.create(key=secrets.token_urlsafe(32),
                                          address=(address or "")[:64] or None)
        record_event("access_request.draft_started", actor=None, address=address,
                     object_type="access_request")
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
    has_manager = company is not None and User.select().where(
        (User.company == company) & User.is_local_manager).exists()
    return {
        "enterprise_number": enterprise_number,
        "onss_number": onss_number or (company.onss_number if company else "") or "",
        "known_name": company.name if company else "",
        "company_id": company.id if company else None,
        "has_manager": bool(has_manager),
    }


def save_draft_step(draft: AccessRequestDraft, step: str, raw: dict, clean: dict,
                    upload=None, *, address: str | None = None) -> None:
    """Accept a validated step into the draft, applying the rules that span the wizard."""
    if step not in STEPS or step == "overview" or not step_allowed(draft, step):
        raise ServiceError(_l("This step is not available."))
    for name, allowed in CHOICES.get(step, {}).items():
        if clean.get(name) not in allowed:
            raise ServiceError(_l("Choose one of the options."), field=name)
    if step == "replace" and clean["replace"] != "yes":
        raise ServiceError(KEEP_MANAGER, field="replace")
    data = _data(draft)
    gazette_file, gazette_bytes = draft.gazette_file, draft.gazette_bytes
    if step == "company":
        facts = company_facts(clean["enterprise_number"], clean["onss_number"])
        if not facts["known_name"] and not clean["company_name"]:
            raise ServiceError(_l("Give the company's name: it is not known to STTS yet."),
                               field="company_name")
        clean = {**clean, **facts, "company_name": facts["known_name"] or clean["company_name"]}
        if not facts["has_manager"]:
            data["clean"].pop("replace", None)
    if step != "signer":
        with write_transaction():
            _record_step(draft, step, data, raw, clean, gazette_file, gazette_bytes, address)
        return
    clean = dict(clean)
    stored = replaced = None
    try:
        # The file is stored and the draft that counts it saved in one transaction, alone
        # among the portal's uploads: two uploads at once cannot both fit in the quota's
        # last megabytes.
        with serialized("portal-uploads"):
            if clean["active"] == "no":
                if upload is not None and upload.filename:
                    stored, gazette_bytes = store_gazette(upload, draft=draft, address=address)
                    replaced, gazette_file = gazette_file, stored
                if not gazette_file:
                    raise ServiceError(_l("Attach the copy of the Official Gazette "
                                          "publication (PDF)."), field="gazette")
            else:
                replaced, gazette_file, gazette_bytes = gazette_file, None, 0
            _record_step(draft, step, data, raw, clean, gazette_file, gazette_bytes, address)
    except BaseException:
        _remove_upload(stored)  # the draft does not name it
        raise
    _remove_upload(replaced)  # once the saved draft no longer names it


def _record_step(draft, step, data, raw, clean, gazette_file, gazette_bytes, address) -> None:
    data["raw"][step] = raw
    data["clean"][step] = clean
    changes = {"data": json.dumps(data), "gazette_file": gazette_file,
               "gazette_bytes": gazette_bytes, "updated_at": utcnow()}
    if gazette_file != draft.gazette_file and gazette_file and address:
        changes["address"] = address[:64]  # the quota counts a file against who sent it
    AccessRequestDraft.update(**changes).where(AccessRequestDraft.key == draft.key).execute()
    draft.data, draft.gazette_file, draft.gazette_bytes = (
        changes["data"], gazette_file, gazette_bytes)
    draft.address = changes.get("address", draft.address)
    record_event("access_request.step_saved", actor=None, address=address,
                 object_type="access_request", step=step,
                 company_id=(clean.get("company_id") if step == "company" else None))


# ---------------------------------------------------------------- the Gazette copy

def uploads_dir() -> str:
    path = os.path.join(current_app.instance_path, "uploads")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def store_gazette(upload, *, draft: AccessRequestDraft | None = None,
                  address: str | None = None) -> tuple[str, int]:
    """Store an uploaded PDF under a random name (the sent filename is ignored), within the
    portal's upload quota; returns the name and the size."""
    limit = current_app.config["GAZETTE_MAX_BYTES"]
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise ServiceError(_l("The file is too large (at most %(size)d MB).",
                              size=limit // (1024 * 1024)), field="gazette")
    if not content.startswith(PDF_MAGIC):
        raise ServiceError(_l("Attach a PDF file."), field="gazette")
    check_upload_quota(len(content), draft=draft, address=address)
    name = secrets.token_hex(16) + ".pdf"
    fd = os.open(os.path.join(uploads_dir(), name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return name, len(content)


def check_upload_quota(size: int, *, draft: AccessRequestDraft | None,
                       address: str | None) -> None:
    """The portal's upload quota (docs/security.md, "The public portal"): a draft holds one
    file of at most GAZETTE_MAX_BYTES (a new one replaces it); the live drafts of one client
    address hold at most PORTAL_UPLOAD_QUOTA_PER_ADDRESS together, and all live drafts at most
    PORTAL_UPLOAD_QUOTA_TOTAL. The draft's own file does not count: it is being replaced."""
    config = current_app.config
    live = AccessRequestDraft.updated_at >= utcnow() - draft_retention()
    if draft is not None and draft.key:
        live &= AccessRequestDraft.key != draft.key

    def used(where) -> int:
        return AccessRequestDraft.select(fn.COALESCE(fn.SUM(AccessRequestDraft.gazette_bytes),
                                                     0)).where(where).scalar() or 0

    if address and used(live & (AccessRequestDraft.address == address[:64])) + size > \
            config["PORTAL_UPLOAD_QUOTA_PER_ADDRESS"]:
        raise ServiceError(ADDRESS_QUOTA, field="gazette")
    if used(live) + size > config["PORTAL_UPLOAD_QUOTA_TOTAL"]:
        raise ServiceError(TOTAL_QUOTA, field="gazette")


def gazette_path(access_request: AccessRequest) -> str | None:
    name = access_request.gazette_file
    if not name or not UPLOAD_NAME.fullmatch(name):
        return None
    path = os.path.join(uploads_dir(), name)
    return path if os.path.exists(path) else None


def purge_drafts(now=None) -> dict:
    """The periodic retention job (``portal.purge_drafts``): drafts untouched for
    PORTAL_DRAFT_RETENTION_HOURS are deleted with their file, and so is any file of the uploads
    folder that no draft or request holds (a process that died between storing a file and
    recording it). Returns the counts; one audit event when anything was deleted."""
    now = now or utcnow()
    limit = now - draft_retention()
    expired = list(AccessRequestDraft.select(AccessRequestDraft.key,
                                             AccessRequestDraft.gazette_file)
                   .where(AccessRequestDraft.updated_at < limit))
    files = 0
    for draft in expired:
        deleted = AccessRequestDraft.delete().where(
            (AccessRequestDraft.key == draft.key)
            & (AccessRequestDraft.updated_at < limit)).execute()
        if deleted and draft.gazette_file:
            files += _remove_upload(draft.gazette_file)
    held = {name for (name,) in AccessRequestDraft.select(AccessRequestDraft.gazette_file)
            .where(AccessRequestDraft.gazette_file.is_null(False)).tuples()}
    held |= {name for (name,) in AccessRequest.select(AccessRequest.gazette_file)
             .where(AccessRequest.gazette_file.is_null(False)).tuples()}
    folder = uploads_dir()
    orphans = 0
    for name in os.listdir(folder):
        if not UPLOAD_NAME.fullmatch(name) or name in held:
            continue
        try:
            stored = os.stat(os.path.join(folder, name)).st_mtime
        except FileNotFoundError:
            continue
        if stored < (now - ORPHAN_GRACE).replace(tzinfo=UTC).timestamp():
            orphans += _remove_upload(name)
    if expired or orphans:
        record_event("access_request.drafts_purged", actor=None,
                     object_type="access_request", drafts=len(expired), files=files + orphans)
    return {"drafts": len(expired), "files": files, "orphans": orphans}


def _remove_upload(name: str | None) -> int:
    if name and UPLOAD_NAME.fullmatch(name):
        try:
            os.remove(os.path.join(uploads_dir(), name))
        except FileNotFoundError:
            return 0
        return 1
    return 0


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


def submit_access_request(draft: AccessRequestDraft, *,
                          address: str | None = None) -> AccessRequest:
    """Turn a complete draft into a request with a ticket; the draft is removed."""
    if first_incomplete_step(draft) != "overview":
        raise ServiceError(_l("Some steps are not complete yet."))
    clean = _data(draft)["clean"]
    for step, choices in CHOICES.items():
        if step in clean and any(clean[step].get(name) not in allowed
                                 for name, allowed in choices.items()):
            raise ServiceError(_l("Some steps are not complete yet."))
    company, manager, signer = clean["company"], clean["manager"], clean["signer"]
    if signer["active"] == "no" and not draft.gazette_file:
        raise ServiceError(_l("Attach the copy of the Official Gazette publication (PDF)."))
    replace = clean.get("replace", {}).get("replace") == "yes"
    with write_transaction():
        facts = company_facts(company["enterprise_number"], company["onss_number"])
        if facts["has_manager"] and not replace:
            record_event("access_request.submitted", actor=None, address=address,
                         result="refused", object_type="access_request",
                         company_id=facts["company_id"], reason="company has a local manager")
            raise ServiceError(ONE_MANAGER)
        # Several open requests for one enterprise number are all kept: none blocks another
        # (a request for someone else's public number must not stop the genuine one); the
        # access agent sees them side by side.
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
        AccessRequestDraft.delete().where(AccessRequestDraft.key == draft.key).execute()
        record_event("access_request.submitted", actor=None, address=address,
                     object_type="access_request", object_id=request_row.id,
                     company_id=facts["company_id"],
                     manager=pseudonymize(manager["national_number"]),
                     signer=pseudonymize(signer["national_number"]), replace=replace)
    return request_row


def requests_for_number(row: AccessRequest) -> list[AccessRequest]:
    """The other requests for ``row``'s enterprise number, open ones first, then the newest:
    the access agent compares them side by side before deciding."""
    return list(AccessRequest.select()
                .where((AccessRequest.enterprise_number == row.enterprise_number)
                       & (AccessRequest.id != row.id))
                .order_by(AccessRequest.status.not_in(AR_OPEN), AccessRequest.submitted_at.desc(),
                          AccessRequest.id.desc())
                .limit(50))


def open_counts(enterprise_numbers) -> dict[str, int]:
    """How many open requests each enterprise number has (one query, for a list page)."""
    numbers = list(set(enterprise_numbers))
    if not numbers:
        return {}
    return dict(AccessRequest.select(AccessRequest.enterprise_number, fn.COUNT(AccessRequest.id))
                .where(AccessRequest.enterprise_number.in_(numbers)
                       & AccessRequest.status.in_(AR_OPEN))
                .group_by(AccessRequest.enterprise_number).tuples())


def get_request(request_id) -> AccessRequest:
    row = AccessRequest.get_or_none(AccessRequest.id == request_id)
    if row is None:
        raise NotFound(_l("This access request does not exist."))
    return row


def follow_request(ticket: str, enterprise_number: str, *, address: str | None = None,
                   count_failure=None) -> AccessRequest:
    """The request only when both the ticket and the enterprise number match.

    A failure is counted, not recorded each time: ``count_failure()`` counts it for the
    client address in the shared rate-limit storage and returns ``(count, limit)`` for the
    current window. The trail gets the first failure of a window and, when the count reaches
    the limit (the address then waits), one event with that count: at most two rows per
    address and window however many guesses."""
    normalized = normalize_ticket(ticket)
    row = None
    if normalized:
        row = AccessRequest.get_or_none(AccessRequest.ticket == normalized)
    if row is None or not secrets.compare_digest(row.enterprise_number, enterprise_number):
        count, limit = count_failure() if count_failure is not None else (1, 0)
        if count == 1 or count == limit:
            record_event("access_request.follow_failed" if count == 1
                         else "access_request.follow_throttled",
                         actor=None, address=address, result="refused",
                         object_type="access_request", failures=count)
        raise NotFound(_l("No request matches this ticket and enterprise number. "
                          "Check both and try again."))
    record_event("access_request.followed", actor=None, address=address,
                 object_type="access_request", object_id=row.id, company_id=row.company_id)
    return row
