import pytest
from argon2 import PasswordHasher

from stts.passwords import (
    generate_provisional_password,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)


@pytest.mark.parametrize("length,ok", [(11, False), (12, True), (128, True), (129, False)])
def test_length_limits_in_code_points(app, length, ok):
    password = ("Zébulon river walk " * 10)[:length]
    assert len(password) == length
    assert (password_problems(password) == []) is ok


def test_any_unicode_no_composition_rules(app):
    assert password_problems("日本語のとても長い合言葉です") == []
    assert password_problems("lowercase only words here") == []


@pytest.mark.parametrize("password", ["password1234", "PASSWORD1234", "qwertyuiop123",
                                      "Motdepasse2026!", "aaaaaaaaaaaaaaa", "stts-is-the-best"])
def test_common_and_context_passwords_refused(app, password):
    assert password_problems(password) != []


def test_username_and_company_refused_case_insensitive(app):
    problems = password_problems("My TELCO ALPHA account 99", context=("jdoe", "Telco Alpha"))
    assert problems
    assert password_problems("jdoe-and-some-more-words", context=("JDoe",))


def test_argon2id_and_verification():
    hashed = hash_password("a long enough passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough passphrase")
    assert not verify_password(hashed, "a long enough passphrasE")
    assert not verify_password(None, "anything")


def test_long_passwords_are_not_truncated():
    password = "x" * 72 + "tail-of-the-password"
    hashed = hash_password(password)
    assert not verify_password(hashed, "x" * 72)
    assert verify_password(hashed, password)


def test_the_application_hashes_with_argon2id_at_the_library_defaults():
    """The tests hash cheaply (tests/conftest.py); the application itself uses argon2-cffi's
    recommended argon2id parameters (RFC 9106, low-memory profile)."""
    import subprocess
    import sys

    printed = subprocess.run(
        [sys.executable, "-c", "from stts.passwords import hash_password; "
                               "print(hash_password('some passphrase 1'))"],
        check=True, capture_output=True, text=True).stdout
    assert printed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_rehash_detected_when_parameters_change():
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("some passphrase 1")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("some passphrase 1"))


def test_provisional_passwords_are_random():
    values = {generate_provisional_password() for _ in range(50)}
    assert len(values) == 50
    assert all(len(v) == 16 for v in values)
