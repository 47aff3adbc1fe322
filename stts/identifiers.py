"""Belgian identifiers: validated with python-stdnum and phonenumbers, never by hand.

Each ``clean_*`` returns the compact form or raises ``InvalidIdentifier`` with a
translatable message; each ``format_*`` gives the form people read.
"""
from __future__ import annotations

import functools
import re
import sys
from datetime import date

import phonenumbers
from flask import current_app, has_app_context
from stdnum import exceptions as stdnum_exceptions
from stdnum.be import ssn, vat

from stts.i18n import lazy_gettext as _l


class InvalidIdentifier(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _is_separator(char: str) -> bool:
    """What people write between the digits of a number: any whitespace, dot, dash, slash."""
    return char.isspace() or char in ".-/"


def _digits(value: str) -> str:
    return "".join(ch for ch in (value or "") if not _is_separator(ch))


SEPARATORS = "".join(filter(_is_separator, map(chr, range(sys.maxunicode + 1))))
"""Every character ``clean_*`` drops between digits (29 whitespace characters and . - /)."""


def _separator_pattern() -> str:
    """One separator as written or as it appears in a URL: itself, '+' (a form-encoded
    space) or its percent-encoded UTF-8 bytes, in either case."""
    encoded = sorted({"".join(f"%{byte:02X}" for byte in char.encode()) for char in SEPARATORS},
                     key=len, reverse=True)
    alternatives = ["".join(f"[{c}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)
                    for text in encoded]
    return "(?:[" + re.escape(SEPARATORS) + "+]|" + "|".join(alternatives) + ")"


NATIONAL_NUMBER_PATTERN = re.compile(
    # Not inside a longer number (a percent-encoded byte such as %20 before it is no digit),
    # nor inside a percent-encoded byte such as %85.
    r"(?<!%)(?<!%[0-9A-Fa-f])(?:(?<![0-9])|(?<=%[0-9A-Fa-f]{2}))"
    r"[0-9](?:" + _separator_pattern() + r"*[0-9]){10}(?![0-9])")
"""Eleven digits with any run of separators between them, written or URL-encoded: every
form ``clean_national_number`` accepts, as it appears in text, a form or a request line.
The log redaction (``stts.logging``) uses it; tests derive their inputs from the parser."""


def clean_national_number(value: str) -> str:
    """National register number (NISS/INSZ), including BIS numbers."""
    number = _digits(value)
    if not number:
        raise InvalidIdentifier(_l("Enter a national register number."))
    if not (number.isascii() and number.isdigit()) or len(number) != 11:
        raise InvalidIdentifier(_l("A national register number has 11 digits."))
    try:
        ssn.validate(number)
    except stdnum_exceptions.ValidationError:
        raise InvalidIdentifier(_l("This national register number is not valid.")) from None
    if number[6:9] in ("000", "999"):
        raise InvalidIdentifier(_l("This national register number is not valid."))
    return number


def format_national_number(number: str) -> str:
    return f"{number[0:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:11]}"


def mask_national_number(number: str) -> str:
    return f"{number[0:2]}.{number[2:4]}.{number[4:6]}-***.**"


def clean_enterprise_number(value: str) -> str:
    number = _digits(value).upper().removeprefix("BE")
    if not number:
        raise InvalidIdentifier(_l("Enter an enterprise number."))
    if not (number.isascii() and number.isdigit()) or len(number) != 10:
        raise InvalidIdentifier(_l("An enterprise number has 10 digits and starts with 0 or 1."))
    try:
        vat.validate(number)
    except stdnum_exceptions.ValidationError:
        raise InvalidIdentifier(_l("This enterprise number is not valid.")) from None
    return number


def format_enterprise_number(number: str) -> str:
    return f"{number[0:4]}.{number[4:7]}.{number[7:10]}"


def clean_onss_number(value: str) -> str:
    number = _digits(value)
    if not number:
        raise InvalidIdentifier(_l("Enter an ONSS number."))
    if not (number.isascii() and number.isdigit()) or len(number) != 9:
        raise InvalidIdentifier(_l("An ONSS number has 9 digits."))
    modulus, remainder = 97, 96
    if has_app_context():
        modulus = current_app.config["ONSS_MODULUS"]
        remainder = current_app.config["ONSS_REMAINDER"]
    if int(number) % modulus != remainder:
        raise InvalidIdentifier(_l("This ONSS number is not valid."))
    return number


def clean_phone_number(value: str) -> str:
    """A Belgian phone number in E.164 form (+32...)."""
    text = (value or "").strip()
    if not text:
        raise InvalidIdentifier(_l("Enter a phone number."))
    try:
        parsed = phonenumbers.parse(text, "BE")
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier(_l("This phone number is not valid.")) from None
    if parsed.country_code != 32 or not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentifier(_l("Enter a valid Belgian phone number."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=65536)
def format_phone_number(number: str) -> str:
    """A stored number (E.164, see ``clean_phone_number``) written for reading: +32 470 12 34 56.
    Cached per process (about 100 bytes a number): lists show the same numbers again and
    again, and formatting costs ~0.1 ms."""
    parsed = _stored_phone_number(number)
    if parsed is None:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_phone_for_spreadsheet(number: str | None) -> str:
    """A stored number as a spreadsheet cell: Belgian numbers in their national form
    (0470 12 34 56), which no spreadsheet reads as a formula; others as for reading."""
    if not number:
        return ""
    if number.startswith("+32"):
        parsed = _stored_phone_number(number)
        if parsed is None:
            return number
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return format_phone_number(number)


def _stored_phone_number(number: str):
    """A stored number as phonenumbers' object (None: not a number). What
    ``clean_phone_number`` stores for Belgium (+32 and digits) needs no parsing again: an
    export of 16,000 rows parsed every one (40 µs each)."""
    digits = number[3:]
    if number.startswith("+32") and digits.isascii() and digits.isdigit() and digits[0] != "0":
        return phonenumbers.PhoneNumber(country_code=32, national_number=int(digits))
    try:
        return phonenumbers.parse(number, "BE")
    except phonenumbers.NumberParseException:
        return None


def national_number(born: date, serial: int) -> str:
    """A valid national register number for a birth date and a serial (001–998)."""
    base = f"{born:%y%m%d}{serial:03d}"
    prefix = "2" if born.year >= 2000 else ""
    check = 97 - int(prefix + base) % 97
    return f"{base}{check:02d}"
