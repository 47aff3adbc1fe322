"""First login of a local manager: choose the username (for good) and the password."""
from __future__ import annotations

import secrets

from peewee import IntegrityError

from stts import identifiers
from stts.db import database, write_transaction
from stts.i18n import lazy_gettext as _l
from stts.models import User
from stts.passwords import hash_password, password_problems, verify_password
from stts.services import ServiceError
from stts.services.audit import record_event
from stts.services.authentication import LOGIN_REFUSED, register_failure, reserve_attempt
from stts.services.sessions import end_all_sessions
from stts.services.users import USERNAME_RE, username_available


class FirstLoginRefused(ServiceError):
    def __init__(self, errors: dict):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def complete_first_login(user: User, *, username: str, username_confirm: str, password: str,
                         password_confirm: str, national_number: str,
                         address: str | None = None) -> None:
    """The local manager chooses the username (for good) and the password; every session ends.
    Wrong national numbers are counted like failed logins (per address and account)."""
    errors = {}
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username) or username.startswith("lm-"):
        errors["username"] = _l("Use 3 to 64 characters: lower-case letters a-z, digits and "
                                ". _ - (not starting with lm-).")
    elif username != (username_confirm or "").strip():
        errors["username_confirm"] = _l("The two usernames are not the same.")
    elif not username_available(username):
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
        if not reserve_attempt(user, address):
            errors["national_number"] = LOGIN_REFUSED
        elif not secrets.compare_digest(number, user.national_number):
            register_failure(user, address)
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
