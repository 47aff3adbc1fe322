"""Logging in, with brute-force protection kept in the database, and changing passwords."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from peewee import Case

from stts.db import database, utcnow, write_transaction
from stts.i18n import gettext as _
from stts.i18n import lazy_gettext as _l
from stts.models import LoginThrottle, User
from stts.passwords import hash_password, needs_rehash, password_problems, verify_password
from stts.services import ServiceError
from stts.services.audit import record_event
from stts.services.notifications import queue_mail
from stts.services.sessions import end_all_sessions, open_session

# One message for every refusal, so that a guesser learns nothing about the account.
LOGIN_REFUSED = _l(
    "Unknown username or wrong password, or the account is temporarily locked. "
    "Try again later or ask your local manager."
)


class LoginRefused(ServiceError):
    pass


ACCOUNT = "*"  # the throttle row that counts failures from every source together


def _source(address: str | None) -> str:
    return (address or "unknown")[:64]


def _take(user_id: int, source: str, limit: int, now) -> bool:
    """Reserve one password check for ``source`` — one atomic statement, so parallel tries
    never get more than ``limit`` checks before the wait. False while a wait runs."""
    throttle = LoginThrottle
    stale = throttle.last_attempt_at < now - current_app.config["LOGIN_FAILURE_RESET"]
    throttle.insert(user=user_id, source=source, last_attempt_at=now).on_conflict_ignore(
    ).execute()
    return throttle.update(
        attempts=Case(None, [(stale, 1)], throttle.attempts + 1),
        lockouts=Case(None, [(stale, 0)], throttle.lockouts),
        last_attempt_at=now,
    ).where(
        (throttle.user == user_id) & (throttle.source == source)
        & (throttle.locked_until.is_null() | (throttle.locked_until <= now))
        & ((throttle.attempts < limit) | stale)
    ).execute() == 1


class _Refused(Exception):
    pass


def reserve_attempt(user: User, address: str | None) -> bool:
    """Count one password (or national number) check before it is made: per source, and for
    the whole account unless the source is one the user logged in from before."""
    config = current_app.config
    now = utcnow()
    source = _source(address)
    try:
        with write_transaction():
            if not _take(user.id, source, config["LOGIN_FAILURES_BEFORE_WAIT"], now):
                raise _Refused
            known = LoginThrottle.select(LoginThrottle.known).where(
                (LoginThrottle.user == user.id) & (LoginThrottle.source == source)).scalar()
            if not known and not _take(user.id, ACCOUNT,
                                       config["LOGIN_ACCOUNT_FAILURES_BEFORE_WAIT"], now):
                raise _Refused
    except _Refused:
        return False
    return True


def _lock_if_due(user: User, source: str, limit: int, address: str | None) -> None:
    config = current_app.config
    row = LoginThrottle.get_or_none((LoginThrottle.user == user.id)
                                    & (LoginThrottle.source == source))
    if row is None or row.attempts < limit:
        return
    lockouts = row.lockouts + 1
    wait = min(config["LOGIN_WAIT_STEP"] * lockouts, config["LOGIN_WAIT_MAX"])
    until = utcnow() + wait
    changed = LoginThrottle.update(attempts=0, lockouts=lockouts, locked_until=until).where(
        (LoginThrottle.id == row.id) & (LoginThrottle.attempts >= limit)
        & (LoginThrottle.lockouts == row.lockouts)).execute()
    if not changed:
        return
    whole_account = source == ACCOUNT
    if whole_account:
        User.update(temporary_lockouts=lockouts, locked_until=until).where(
            User.id == user.id).execute()
    record_event("auth.locked_out", actor=user, object_type="user", object_id=user.id,
                 result="refused", wait_seconds=int(wait.total_seconds()),
                 scope="account" if whole_account else "address")
    if lockouts == 1 and user.email:
        _mail_lockout(user, until, address)


def _mail_lockout(user: User, until, address: str | None) -> None:
    with force_locale(user.language or "fr"):
        subject = _("STTS: your account was temporarily locked")
        body = _(
            "Several wrong passwords were given for your STTS account %(username)s "
            "(from the address %(address)s). Logins are paused until %(until)s UTC; the wait "
            "grows if it goes on, and your account is never closed for good by this. "
            "If it was not you, tell your local manager.",
            username=user.username, address=address or "?",
            until=until.strftime("%Y-%m-%d %H:%M"))
    queue_mail(user.email, subject, body)


def register_failure(user: User, address: str | None) -> None:
    """A wrong password (or national number) after reserve_attempt: lock the source, and the
    account as a whole, for a growing, capped wait once their limit is reached."""
    config = current_app.config
    with write_transaction():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        _lock_if_due(user, _source(address), config["LOGIN_FAILURES_BEFORE_WAIT"], address)
        _lock_if_due(user, ACCOUNT, config["LOGIN_ACCOUNT_FAILURES_BEFORE_WAIT"], address)
        record_event("auth.login", actor=user, object_type="user", object_id=user.id,
                     result="refused")


def _register_success(user: User, address: str | None) -> None:
    source = _source(address)
    LoginThrottle.update(attempts=0, lockouts=0, locked_until=None, known=True).where(
        (LoginThrottle.user == user.id) & (LoginThrottle.source == source)).execute()
    LoginThrottle.update(attempts=0).where(
        (LoginThrottle.user == user.id) & (LoginThrottle.source == ACCOUNT)).execute()


def is_locked(user: User) -> bool:
    """Blocked for good by a person (never by failures alone)."""
    return bool(user.locked_permanently)


def clear_lockouts(user_id: int) -> None:
    """Forget every failure count and wait of one user (an unlock)."""
    LoginThrottle.delete().where(LoginThrottle.user == user_id).execute()
    User.update(failed_logins=0, temporary_lockouts=0, locked_until=None,
                locked_permanently=False, version=User.version + 1).where(
        User.id == user_id).execute()


def authenticate(username: str, password: str, *, address: str | None = None
                 ) -> tuple[User, str]:
    """Check credentials; returns the user and a new session token. ``address``: where the
    attempt comes from (the audit trail, and the source its failures are counted against).

    Raises LoginRefused with the same message whatever the reason, after the same
    amount of hashing work.
    """
    user = User.get_or_none(User.username == (username or "").strip())
    if user is not None:
        user.source_address = address
    if user is None or user.blocked or is_locked(user) or not reserve_attempt(user, address):
        verify_password(None, password)  # same cost as a real check
        if user is None:
            record_event("auth.login", actor=None, address=address, result="refused",
                         object_type="user", reason="unknown username")
        else:
            record_event("auth.login", actor=user, object_type="user", object_id=user.id,
                         result="refused", reason="blocked" if user.blocked else "locked")
        raise LoginRefused(LOGIN_REFUSED)
    if not verify_password(user.password_hash, password):
        register_failure(user, address)
        raise LoginRefused(LOGIN_REFUSED)
    now = utcnow()
    expired = _l("This provisional password has expired or was already used. "
                 "Ask for a new one.")
    if user.password_provisional and (
        user.provisional_used_at is not None
        or (user.password_expires_at is not None and user.password_expires_at < now)
    ):
        record_event("auth.login", actor=user, object_type="user", object_id=user.id,
                     result="refused", reason="provisional password expired or used")
        raise LoginRefused(expired)
    changes = {"failed_logins": 0, "temporary_lockouts": 0, "locked_until": None,
               "last_login_at": now}
    if user.password_provisional:
        changes["provisional_used_at"] = now
    elif needs_rehash(user.password_hash):
        changes["password_hash"] = hash_password(password)
    with write_transaction():
        query = User.update(**changes).where(User.id == user.id)
        if user.password_provisional:
            # Used once, even when several tries run in parallel: the first one claims it.
            query = query.where(User.provisional_used_at.is_null()
                                & (User.password_hash == user.password_hash))
        if not query.execute():
            record_event("auth.login", actor=user, object_type="user", object_id=user.id,
                         result="refused", reason="provisional password expired or used")
            raise LoginRefused(expired)
        _register_success(user, address)
        token = open_session(user, must_change_password=user.password_provisional)
        record_event("auth.login", actor=user, object_type="user", object_id=user.id)
    for field, value in changes.items():
        setattr(user, field, value)
    return user, token


def change_password(user: User, current: str, new: str, confirm: str, *,
                    address: str | None = None) -> str:
    """Change the user's own password; ends every session and returns a fresh token.
    Wrong current passwords are counted like failed logins."""
    errors = {}
    if not reserve_attempt(user, address):
        verify_password(None, current)
        raise PasswordChangeRefused({"current_password": LOGIN_REFUSED})
    if not verify_password(user.password_hash, current):
        register_failure(user, address)
        errors["current_password"] = _l("The current password is not correct.")
    if new != confirm:
        errors["confirm_password"] = _l("The two new passwords are not the same.")
    problems = password_problems(
        new, context=(user.username, user.first_name, user.last_name, user.company.name)
    )
    if problems:
        errors["new_password"] = problems[0]
    if not errors and verify_password(user.password_hash, new):
        errors["new_password"] = _l("Choose a password different from the current one.")
    if errors:
        raise PasswordChangeRefused(errors)
    with write_transaction():
        User.update(
            password_hash=hash_password(new),
            password_provisional=False,
            password_expires_at=None,
            provisional_used_at=None,
            version=User.version + 1,
        ).where(User.id == user.id).execute()
        end_all_sessions(user.id)
        token = open_session(user)
        record_event("auth.password_changed", actor=user, object_type="user", object_id=user.id)
    return token


class PasswordChangeRefused(ServiceError):
    def __init__(self, errors: dict):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def set_provisional_password(user: User, password: str, *, actor=None) -> None:
    """Give ``user`` a provisional password (caller shows or sends it once)."""
    validity: timedelta = current_app.config["PROVISIONAL_PASSWORD_VALIDITY"]
    with database.atomic():
        User.update(
            password_hash=hash_password(password),
            password_provisional=True,
            password_expires_at=utcnow() + validity,
            provisional_used_at=None,
            version=User.version + 1,
        ).where(User.id == user.id).execute()
        clear_lockouts(user.id)
        end_all_sessions(user.id)
        record_event("user.provisional_password", actor=actor, company_id=user.company_id,
                     object_type="user", object_id=user.id)
