"""Hypothesis over the identifier validators (checklist 15): any text gives either the
canonical ASCII value or ``InvalidIdentifier`` — never another exception, never a value a
second clean would change."""
import re
import string

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from stts import identifiers as ids

pytestmark = pytest.mark.fuzz

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
SEPARATORS = st.sampled_from(["", " ", ".", "-", "/", "\t", "\u00a0", "\u2009"])
DIGITISH = st.text(alphabet=string.digits + " .-/+()", max_size=20)
UNICODE_DIGITS = st.text(alphabet=st.characters(categories=["Nd"]), min_size=9, max_size=12)
ANY_TEXT = st.one_of(st.text(max_size=40), DIGITISH, UNICODE_DIGITS)

CLEANERS = {
    "national": (ids.clean_national_number, r"\d{11}", ids.format_national_number),
    "enterprise": (ids.clean_enterprise_number, r"[01]\d{9}", ids.format_enterprise_number),
    "onss": (ids.clean_onss_number, r"\d{9}", None),
    "phone": (ids.clean_phone_number, r"\+32\d{8,9}", ids.format_phone_number),
}


def _check(app, kind, value):
    clean, shape, fmt = CLEANERS[kind]
    with app.app_context():
        try:
            result = clean(value)
        except ids.InvalidIdentifier as error:
            assert str(error.message)  # a message to show, never empty
            return None
        assert re.fullmatch(shape, result, flags=re.ASCII), (value, result)
        assert clean(result) == result
        if fmt is not None:
            assert clean(fmt(result)) == result  # the formatted form reads back the same
        return result


@pytest.mark.parametrize("kind", sorted(CLEANERS))
@SETTINGS
@given(value=ANY_TEXT)
@example(value="85.07.30-033.28")
@example(value="٨٥٠٧٣٠٠٣٣٢٨")  # Arabic-Indic digits: str.isdigit() says yes
@example(value="0202.239.951")
@example(value="+32 470 12 34 56")
@example(value="\x00" * 11)
def test_cleaners_never_raise_anything_else(app, kind, value):
    if kind == "onss":  # see test_onss_number_refuses_non_ascii_digits (a finding)
        assume(value.isascii())
    _check(app, kind, value)


def test_onss_number_refuses_non_ascii_digits(app):
    with app.app_context():
        valid = next(str(n).zfill(9) for n in range(10**8, 10**9) if n % 97 == 96)
        arabic = valid.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        with pytest.raises(ids.InvalidIdentifier):
            ids.clean_onss_number(arabic)


@SETTINGS
@given(digits=st.text(alphabet=string.digits, min_size=11, max_size=11), sep=SEPARATORS)
def test_national_numbers_with_separators(app, digits, sep):
    written = f"{digits[:2]}{sep}{digits[2:4]}{sep}{digits[4:6]}{sep}{digits[6:9]}{sep}{digits[9:]}"
    result = _check(app, "national", written)
    if sep in ("", " ", ".", "-", "/", "\t") and result is not None:
        assert result == digits
    if result is not None:
        assert result[6:] not in ids.mask_national_number(result)  # the mask hides the rest


def test_valid_examples_are_accepted(app):
    with app.app_context():
        assert ids.clean_national_number("85.07.30-033.28") == "85073003328"
        assert ids.clean_phone_number("0470 12 34 56") == "+32470123456"
