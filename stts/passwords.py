"""Password hashing (argon2id), the password policy and provisional passwords."""
from __future__ import annotations

import functools
import os
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from stts.i18n import lazy_gettext as _l
from stts.text import search_key

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
PROVISIONAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def _common_passwords() -> frozenset[str]:
    path = os.path.join(os.path.dirname(__file__), "data", "context_passwords.txt")
    with open(path, encoding="utf-8") as handle:
        extra = {line.strip() for line in handle if line.strip() and not line.startswith("#")}
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(extra)


def _skeleton(text: str) -> str:
    """Lower-cased letters only: 'Password2024!' and 'password' share the skeleton 'password'."""
    return re.sub(r"[\W\d_]+", "", search_key(text))


def password_problems(password: str, *, context: tuple[str, ...] = ()) -> list:
    """Translatable reasons why ``password`` is refused; empty when it is acceptable.

    Length is counted in Unicode code points; no composition rule; nothing is truncated.
    """
    config = current_app.config
    problems = []
    if len(password) < config["PASSWORD_MIN_LENGTH"]:
        problems.append(
            _l("Use at least %(count)d characters.", count=config["PASSWORD_MIN_LENGTH"])
        )
    if len(password) > config["PASSWORD_MAX_LENGTH"]:
        problems.append(
            _l("Use at most %(count)d characters.", count=config["PASSWORD_MAX_LENGTH"])
        )
    folded = search_key(password)
    skeleton = _skeleton(password)
    common = _common_passwords()
    if folded in common or skeleton in common or len(set(folded)) <= 2:
        problems.append(_l("This password is too common. Choose a less predictable one."))
    words = [search_key(word) for word in context if word and len(word) >= 3] + ["stts"]
    if any(word and (word in folded or word.replace(" ", "") in skeleton) for word in words):
        problems.append(_l("Do not use your username, your names, the company name or 'STTS'."))
    return problems


def generate_provisional_password() -> str:
    """16 characters from an unambiguous alphabet: about 93 bits of entropy."""
    return "".join(secrets.choice(PROVISIONAL_ALPHABET) for _ in range(16))
