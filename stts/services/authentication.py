"""Logging in, with brute-force protection kept in the database, and changing passwords."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from stts.db import database, utcnow, write_transaction
from stts.models import User
from stts.passwords import hash_password, needs_rehash, password_problems, verify_password
from stts.services import ServiceError
from stts.services.audit import record_event
from stts.services.sessions import end_all_sessions, open_session

# One message for every refusal, so that a guesser learns nothing about the account.
LOGIN_REFUSED = _l(
    "Unknown username or wrong password, or the account is temporarily locked. "
    "Try again later or ask your local manager."
)


class LoginRefused(ServiceError):
    pass


def _register_failure(user: User) -> None:
    config = current_app.config
    now = utcnow()
    with write_transaction():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        fresh = User.get_by_id(user.id)
        if fresh.failed_logins >= config["LOGIN_FAILURES_BEFORE_WAIT"]:
            lockouts = fresh.temporary_lockouts + 1
            wait = min(config["LOGIN_WAIT_STEP"] * lockouts, config["LOGIN_WAIT_MAX"])
            permanent = lockouts >= config["LOGIN_TEMPORARY_LOCKOUTS_BEFORE_PERMANENT"]
            User.update(
                failed_logins=0,
                temporary_lockouts=lockouts,
                locked_until=now + wait,
                locked_permanently=permanent,
            ).where(User.id == user.id).execute()
            record_event(
                "auth.locked_out",
                actor=user,
                object_type="user",
                object_id=user.id,
                result="refused",
                permanent=permanent,
                wait_seconds=int(wait.total_seconds()),
            )
        record_event("auth.login", actor=user, object_type="user", object_id=user.id,
                     result="refused")


def is_locked(user: User) -> bool:
    return user.locked_permanently or (
        user.locked_until is not None and user.locked_until > utcnow()
    )


def authenticate(username: str, password: str, *, address: str | None = None
                 ) -> tuple[User, str]:
    """Check credentials; returns the user and a new session token. ``address``: where the
    attempt comes from (the audit trail).

    Raises LoginRefused with the same message whatever the reason, after the same
    amount of hashing work.
    """
    user = User.get_or_none(User.username == (username or "").strip())
    if user is not None:
        user.source_address = address
    if user is None or user.blocked or is_locked(user):
        verify_password(None, password)  # same cost as a real check
        if user is None:
            record_event("auth.login", actor=None, address=address, result="refused",
                         object_type="user", reason="unknown username")
        else:
            record_event("auth.login", actor=user, object_type="user", object_id=user.id,
                         result="refused", reason="blocked" if user.blocked else "locked")
        raise LoginRefused(LOGIN_REFUSED)
    if not verify_password(user.password_hash, password):
        _register_failure(user)
        raise LoginRefused(LOGIN_REFUSED)
    now = utcnow()
    if user.password_provisional and (
        user.provisional_used_at is not None
        or (user.password_expires_at is not None and user.password_expires_at < now)
    ):
        record_event("auth.login", actor=user, object_type="user", object_id=user.id,
                     result="refused", reason="provisional password expired or used")
        raise LoginRefused(
            _l("This provisional password has expired or was already used. "
               "Ask for a new one.")
        )
    changes = {"failed_logins": 0, "temporary_lockouts": 0, "locked_until": None,
               "last_login_at": now}
    if user.password_provisional:
        changes["provisional_used_at"] = now
    elif needs_rehash(user.password_hash):
        changes["password_hash"] = hash_password(password)
    with write_transaction():
        User.update(**changes).where(User.id == user.id).execute()
        token = open_session(user, must_change_password=user.password_provisional)
        record_event("auth.login", actor=user, object_type="user", object_id=user.id)
    for field, value in changes.items():
        setattr(user, field, value)
    return user, token


def change_password(user: User, current: str, new: str, confirm: str) -> str:
    """Change the user's own password; ends every session and returns a fresh token."""
    errors = {}
    if not verify_password(user.password_hash, current):
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
            failed_logins=0,
            temporary_lockouts=0,
            locked_until=None,
            locked_permanently=False,
            version=User.version + 1,
        ).where(User.id == user.id).execute()
        end_all_sessions(user.id)
        record_event("user.provisional_password", actor=actor, company_id=user.company_id,
                     object_type="user", object_id=user.id)
