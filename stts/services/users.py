"""The company's users, as the local manager manages them: create, modify, new password,
block, unlock, delete; the manager's own data (finding users: ``stts.services.user_search``).

Every function takes the acting local manager and works inside that manager's company only:
an id from another company is ``NotFound``. Usernames are never reused: deleting a user
retires the name (``RetiredUsername``), and ``username_available`` is the one check used at
creation here and by the portal's first-login username choice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import IntegrityError, fn

from stts.db import utcnow, write_transaction
from stts.i18n import lazy_gettext as _l
from stts.identifiers import InvalidIdentifier, clean_national_number
from stts.models import (
    PROFILES,
    Application,
    Company,
    LoginSession,
    LoginThrottle,
    User,
    UserApplication,
    UserProfile,
)
from stts.models.console import RetiredUsername
from stts.passwords import generate_provisional_password, hash_password
from stts.services import NotFound, ServiceError, parse_id
from stts.services.audit import pseudonymize, record_event
from stts.services.authentication import clear_lockouts, set_provisional_password
from stts.services.console import revoke_tokens_of
from stts.services.locking import update_versioned
from stts.services.sessions import end_all_sessions
from stts.services.user_search import get_company_user
from stts.text import search_key

USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,64}$")


# --- usernames -------------------------------------------------------------------------

def normalize_username(name: str) -> str:
    return (name or "").strip().lower()


def username_available(name: str) -> bool:
    """True when ``name`` is well formed, not in use and never was (retired names stay retired)."""
    name = normalize_username(name)
    if not USERNAME_RE.match(name):
        return False
    if User.select().where(fn.LOWER(User.username) == name).exists():
        return False
    return not RetiredUsername.select().where(RetiredUsername.username == name).exists()


# --- writing ---------------------------------------------------------------------------

@dataclass
class UserData:
    username: str = ""
    last_name: str = ""
    first_name: str = ""
    national_number: str = ""
    email: str = ""
    language: str = "fr"
    applications: tuple = ()
    profile: str = ""


def _check_grants(applications, profile) -> tuple[set, str | None]:
    """A manager grants only the company's two applications and STTS1–3: never more."""
    apps = set(applications or ())
    if not apps <= {"STTS_WEB", "STTS_XML"}:
        raise ServiceError(_l("Unknown application."), field="applications")
    profile = profile or None
    if "STTS_WEB" in apps:
        if profile not in PROFILES:
            raise ServiceError(_l("Choose exactly one STTS profile for the web application."),
                               field="profile")
    else:
        if profile is not None and profile not in PROFILES:
            raise ServiceError(_l("Unknown profile."), field="profile")
        profile = None  # a profile only means something with the web application
    return apps, profile


def _set_grants(user_id: int, apps: set, profile: str | None) -> None:
    app_ids = {a.code: a.id for a in Application.select()}
    UserApplication.delete().where(UserApplication.user == user_id).execute()
    if apps:
        UserApplication.insert_many(
            [{"user": user_id, "application": app_ids[code]} for code in sorted(apps)]
        ).execute()
    UserProfile.delete().where(UserProfile.user == user_id).execute()
    if profile:
        UserProfile.insert(user=user_id, profile=profile).execute()


def create_user(manager: User, data: UserData) -> tuple[User, str]:
    """Create a user of the manager's company; returns the user and the provisional password
    (to show once)."""
    username = normalize_username(data.username)
    if not USERNAME_RE.match(username):
        raise ServiceError(_l("Use 3 to 64 characters: lowercase letters, digits, '.', '_' "
                              "or '-'."), field="username")
    try:
        nrn = clean_national_number(data.national_number)
    except InvalidIdentifier as error:
        raise ServiceError(error.message, field="national_number") from None
    apps, profile = _check_grants(data.applications, data.profile)
    password = generate_provisional_password()
    try:
        with write_transaction():
            if not username_available(username):
                raise ServiceError(_l("This username is taken or was used before. "
                                      "Choose another one."), field="username")
            if User.select().where((User.company == manager.company_id)
                                   & (User.national_number == nrn)).exists():
                raise ServiceError(_l("This person already has an account in your company."),
                                   field="national_number")
            user = User.create(
                company=manager.company_id, username=username,
                last_name=data.last_name.strip(), first_name=data.first_name.strip(),
                last_name_key=search_key(data.last_name),
                first_name_key=search_key(data.first_name),
                national_number=nrn, email=(data.email or "").strip() or None,
                language=data.language or "fr",
                password_hash=hash_password(password),
            )
            _set_grants(user.id, apps, profile)
            set_provisional_password(user, password, actor=manager)
            record_event("user.created", actor=manager, company_id=manager.company_id,
                         object_type="user", object_id=user.id,
                         after={"username": username, "national_number": pseudonymize(nrn),
                                "applications": sorted(apps), "profile": profile})
    except IntegrityError:
        raise ServiceError(_l("This username is taken or this person already has an account."),
                           field="username") from None
    return User.get_by_id(user.id), password


def update_user(manager: User, user_id, version, *, email: str, applications,
                profile: str) -> User:
    """Change a user's e-mail, applications and profile; a stale version is a Conflict."""
    user = get_company_user(manager, user_id)
    apps, profile = _check_grants(applications, profile)
    if user.is_local_manager:
        apps, profile = user.app_codes, _profile_code_stored(user)  # has everything anyway
    before = {"email": user.email, "applications": sorted(user.app_codes),
              "profile": _profile_code_stored(user)}
    with write_transaction():
        update_versioned(User, user.id, version, {"email": (email or "").strip() or None},
                         where=User.company == manager.company_id,
                         message=_l("Someone changed this user meanwhile. Your input is kept: "
                                    "check the current data and save again."))
        _set_grants(user.id, apps, profile)
        record_event("user.updated", actor=manager, company_id=manager.company_id,
                     object_type="user", object_id=user.id, before=before,
                     after={"email": (email or "").strip() or None,
                            "applications": sorted(apps), "profile": profile})
    return get_company_user(manager, user.id)


def _profile_code_stored(user) -> str | None:
    row = getattr(user, "profile_row", None)
    return row.profile if row is not None and row.profile else None


def reset_password(manager: User, user_id) -> tuple[User, str]:
    """Give a new provisional password (shown once); the user's sessions end."""
    user = get_company_user(manager, user_id)
    if user.id == manager.id:
        raise ServiceError(_l("Change your own password under \"My password\"."))
    password = generate_provisional_password()
    with write_transaction():
        set_provisional_password(user, password, actor=manager)
    return user, password


def _own_users(manager: User, user_ids) -> list[User]:
    ids = [parse_id(value) for value in user_ids]
    if None in ids:
        raise NotFound(_l("This user does not exist."))
    ids = sorted(set(ids))
    users = list(User.select().where((User.id.in_(ids)) & (User.company == manager.company_id))
                 .order_by(User.last_name_key, User.first_name_key, User.id))
    if len(users) != len(ids) or not ids:
        raise NotFound(_l("This user does not exist."))
    return users


def selected_users(manager: User, user_ids) -> list[User]:
    """The users behind a bulk selection (all of them in the manager's company, or NotFound)."""
    return _own_users(manager, user_ids)


def set_blocked(manager: User, user_ids, blocked: bool) -> int:
    """Block or unblock users; blocking ends their sessions at once. Returns how many changed."""
    users = _own_users(manager, user_ids)
    if blocked and any(u.id == manager.id for u in users):
        raise ServiceError(_l("You cannot block yourself."))
    changed = 0
    with write_transaction():
        for user in users:
            if user.blocked == blocked:
                continue
            User.update(blocked=blocked, version=User.version + 1).where(
                User.id == user.id).execute()
            if blocked:
                end_all_sessions(user.id)
                revoke_tokens_of(user, "blocked", actor=manager)
            record_event("user.blocked" if blocked else "user.unblocked", actor=manager,
                         company_id=manager.company_id, object_type="user", object_id=user.id)
            changed += 1
    return changed


def unlock_user(manager: User, user_id) -> User:
    """Lift a brute-force lockout."""
    user = get_company_user(manager, user_id)
    with write_transaction():
        clear_lockouts(user.id)
        record_event("user.unlocked", actor=manager, company_id=manager.company_id,
                     object_type="user", object_id=user.id,
                     before={"temporary_lockouts": user.temporary_lockouts,
                             "locked_permanently": user.locked_permanently})
    return get_company_user(manager, user.id)


def unlock_account(user: User, *, actor: User | None, reason: str) -> None:
    """Lift a lockout outside the company: the institution's access agent (for a local
    manager or an institution user) or the installation's operator (``actor`` None, from
    the command line). Always with a reason, always audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Give the reason for the unlock."))
    with write_transaction():
        clear_lockouts(user.id)
        record_event("user.unlocked", actor=actor, company_id=user.company_id,
                     object_type="user", object_id=user.id, reason=reason[:500],
                     before={"temporary_lockouts": user.temporary_lockouts,
                             "locked_permanently": user.locked_permanently})


def agent_unlock(agent: User, username: str, reason: str) -> User:
    """The institution's access agent lifts the lockout of a local manager or of an
    institution user (the accounts no local manager of the same company can unlock)."""
    user = User.get_or_none(User.username == (username or "").strip())
    if user is None or not (user.is_local_manager or not user.company.is_operator):
        raise ServiceError(_l("Only a local manager or a member of the institution can be "
                              "unlocked here; other users are unlocked by their local manager."))
    unlock_account(user, actor=agent, reason=reason)
    return user


def delete_user(manager: User, user_id) -> str:
    """Delete a user; the username is retired for good and the audit trail keeps the history.
    Returns the deleted username."""
    user = get_company_user(manager, user_id)
    if user.id == manager.id or user.is_local_manager:
        raise ServiceError(_l("You cannot delete yourself."))
    try:
        with write_transaction():
            end_all_sessions(user.id)
            revoke_tokens_of(user, "deleted", actor=manager)
            UserApplication.delete().where(UserApplication.user == user.id).execute()
            UserProfile.delete().where(UserProfile.user == user.id).execute()
            LoginSession.delete().where(LoginSession.user == user.id).execute()
            LoginThrottle.delete().where(LoginThrottle.user == user.id).execute()
            User.delete().where((User.id == user.id)
                                & (User.company == manager.company_id)).execute()
            RetiredUsername.insert(username=user.username, company_id=manager.company_id,
                                   retired_at=utcnow()).on_conflict_ignore().execute()
            record_event("user.deleted", actor=manager, company_id=manager.company_id,
                         object_type="user", object_id=user.id,
                         before={"username": user.username,
                                 "name": user.full_name,
                                 "national_number": pseudonymize(user.national_number),
                                 "applications": sorted(user.app_codes),
                                 "profile": _profile_code_stored(user)})
    except IntegrityError:
        raise ServiceError(_l("This user is still referenced by other records and cannot be "
                              "deleted. Block the user instead.")) from None
    return user.username


def update_own_data(manager: User, *, email: str, company_email: str, language: str,
                    version, company_version) -> None:
    """The local manager's own e-mail and language, and the company's e-mail."""
    email = (email or "").strip() or None
    company_email = (company_email or "").strip() or None
    company = Company.get_by_id(manager.company_id)
    before = {"email": manager.email, "language": manager.language, "company_email": company.email}
    after = {"email": email, "language": language, "company_email": company_email}
    if after == before:
        return  # nothing changed: no new version, no audit entry
    stale = _l("Your data changed meanwhile. Your input is kept: check and save again.")
    with write_transaction():
        update_versioned(User, manager.id, version, {"email": email, "language": language},
                         message=stale)
        update_versioned(Company, manager.company_id, company_version,
                         {"email": company_email}, message=stale)
        record_event("user.own_data_changed", actor=manager, company_id=manager.company_id,
                     object_type="user", object_id=manager.id, before=before, after=after)


def set_language(user: User, language: str) -> None:
    """The user's own choice of language (any user, from the language switch)."""
    if user.language == language:
        return
    with write_transaction():
        User.update(language=language).where(User.id == user.id).execute()
        record_event("user.language_changed", actor=user, object_type="user", object_id=user.id,
                     after={"language": language})
