import pytest

from stts.identifiers import (
    InvalidIdentifier,
    clean_enterprise_number,
    clean_national_number,
    clean_onss_number,
    clean_phone_number,
    format_enterprise_number,
    format_national_number,
    mask_national_number,
)


@pytest.mark.parametrize("value", ["85073003328", "90051200211", "05030100127", "90451200297",
                                   "85.07.30-033.28", " 85073003328 "])
def test_valid_national_numbers(value):
    assert len(clean_national_number(value)) == 11


@pytest.mark.parametrize("value", ["85073003329", "85133003370", "8507300332", "", "abcdefghijk",
                                   "85073000091", "850730999xx"])
def test_invalid_national_numbers(value):
    with pytest.raises(InvalidIdentifier):
        clean_national_number(value)


def test_counter_000_and_999_refused():
    # Valid check digits, but the counters 000 and 999 are never issued.
    base = "850730000"
    number = base + f"{97 - int(base) % 97:02d}"
    with pytest.raises(InvalidIdentifier):
        clean_national_number(number)
    base = "850730999"
    number = base + f"{97 - int(base) % 97:02d}"
    with pytest.raises(InvalidIdentifier):
        clean_national_number(number)


def test_national_number_display_and_mask():
    assert format_national_number("85073003328") == "85.07.30-033.28"
    assert mask_national_number("85073003328") == "85.07.30-***.**"


@pytest.mark.parametrize("value", ["0403019261", "0428759497", "0403.019.261", "BE0403019261"])
def test_valid_enterprise_numbers(value):
    assert clean_enterprise_number(value) in ("0403019261", "0428759497")


@pytest.mark.parametrize("value", ["0403019262", "2403019261", "040301926", ""])
def test_invalid_enterprise_numbers(value):
    with pytest.raises(InvalidIdentifier):
        clean_enterprise_number(value)


def test_enterprise_display():
    assert format_enterprise_number("0403019261") == "0403.019.261"


@pytest.mark.parametrize("value", ["012345674", "123456749"])
def test_valid_onss(value):
    assert clean_onss_number(value) == value


@pytest.mark.parametrize("value", ["012345600", "12345674", "abc"])
def test_invalid_onss(value):
    with pytest.raises(InvalidIdentifier):
        clean_onss_number(value)


def test_onss_rule_is_configurable(app):
    app.config["ONSS_REMAINDER"] = 0
    assert clean_onss_number("000000097") == "000000097"
    with pytest.raises(InvalidIdentifier):
        clean_onss_number("012345674")


@pytest.mark.parametrize("value,expected", [("+3222268888", "+3222268888"),
                                            ("+32470123456", "+32470123456"),
                                            ("0470 12 34 56", "+32470123456")])
def test_valid_phones(value, expected):
    assert clean_phone_number(value) == expected


@pytest.mark.parametrize("value", ["+3247012345", "+33612345678", "hello", ""])
def test_invalid_phones(value):
    with pytest.raises(InvalidIdentifier):
        clean_phone_number(value)


@pytest.mark.parametrize("number", ["+32470123456", "+3221234567", "+3292345678", "+32477000000"])
def test_formatting_a_stored_number_skips_parsing_but_reads_the_same(number):
    import phonenumbers

    from stts.identifiers import format_phone_number

    expected = phonenumbers.format_number(phonenumbers.parse(number, "BE"),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert format_phone_number(number) == expected
    assert format_phone_number("not a number") == "not a number"


def test_both_formats_of_a_stored_number_read_what_parsing_reads():
    """Reading and spreadsheet formats skip parsing a stored Belgian number: for 2,000
    random numbers of every length a Belgian number can have (and some it cannot), each
    format is what phonenumbers gives after parsing."""
    import random

    import phonenumbers

    from stts.identifiers import format_phone_for_spreadsheet, format_phone_number

    rng = random.Random(3)
    numbers = ["+32" + "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 11)))
               for _ in range(2000)]
    for number in numbers + ["+33612345678", "+1 202 555 0100"]:
        parsed = phonenumbers.parse(number, "BE")
        assert format_phone_number(number) == phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL), number
        spreadsheet = format_phone_for_spreadsheet(number)
        if number.startswith("+32"):
            assert spreadsheet == phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.NATIONAL), number
        else:
            assert spreadsheet == format_phone_number(number)
    assert format_phone_for_spreadsheet(None) == format_phone_for_spreadsheet("") == ""
    assert format_phone_for_spreadsheet("+32abc") == "+32abc"
