import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from prossimo.core.phones import format_phone, normalise_phone, phone_search_key
from prossimo.people.validation import fiscal_code_mismatches, validate_fiscal_code

# Mario Rossi, male, born 3 April 1950 in Lecco (E507).
CF = "RSSMRA50D03E507P"


@pytest.mark.parametrize(
    "typed",
    ["340 123 4567", "+39 340-1234567", "3401234567", "0039 340 1234567", "(340) 123.45.67"],
)
def test_phone_typed_in_any_format_is_stored_in_e164(typed):
    assert normalise_phone(typed) == "+393401234567"


def test_landline_keeps_its_leading_zero():
    assert normalise_phone("0341 123456") == "+390341123456"


def test_foreign_number_with_prefix_is_kept_foreign():
    assert normalise_phone("+41 44 668 18 00") == "+41446681800"


@pytest.mark.parametrize("typed", ["12", "abc", "340 12", "+39 999 9999999999"])
def test_invalid_phone_is_refused_with_a_message(typed):
    with pytest.raises(ValidationError) as exc:
        normalise_phone(typed)
    assert exc.value.messages


def test_phone_search_key_ignores_names():
    assert phone_search_key("Rossi") is None
    assert phone_search_key("340 123 4567") == "+393401234567"


def test_italian_numbers_are_shown_in_national_format():
    assert format_phone("+393401234567") == "340 123 4567"


@given(st.integers(min_value=3200000000, max_value=3999999999))
def test_normalising_an_e164_number_again_changes_nothing(n):
    try:
        e164 = normalise_phone(str(n))
    except ValidationError:
        return
    assert normalise_phone(e164) == e164
    assert normalise_phone(format_phone(e164)) == e164


def test_valid_fiscal_code_is_decoded():
    data = validate_fiscal_code(CF)
    assert data.sex == "M"
    assert (data.birth_date.day, data.birth_date.month) == (3, 4)
    assert data.birthplace_code == "E507"


def test_fiscal_code_with_wrong_check_character_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_fiscal_code(CF[:-1] + "A")
    assert "check" in exc.value.messages[0] or "carattere" in exc.value.messages[0]


def test_short_fiscal_code_says_how_many_characters_it_has():
    with pytest.raises(ValidationError) as exc:
        validate_fiscal_code("RSSMRA50D03")
    assert "11" in exc.value.messages[0]


def test_fiscal_code_matching_every_datum_has_no_mismatch():
    assert (
        fiscal_code_mismatches(
            CF,
            first_name="Mario",
            last_name="Rossi",
            sex="M",
            birth_date=dt.date(1950, 4, 3),
            birthplace_code="E507",
        )
        == []
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Luigi"),
        ("last_name", "Bianchi"),
        ("sex", "F"),
        ("birth_date", dt.date(1950, 4, 4)),
        ("birthplace_code", "F704"),
    ],
)
def test_each_datum_disagreeing_with_the_fiscal_code_is_named(field, value):
    problems = fiscal_code_mismatches(CF, **{field: value})
    assert len(problems) == 1


def test_omocode_fiscal_code_is_accepted_and_decoded():
    # Omocodia: digits replaced by letters when two people share a code.
    omocode = "RSSMRA50D03E5L7A"
    assert validate_fiscal_code(omocode).birthplace_code == "E507"
    assert fiscal_code_mismatches(omocode, birthplace_code="E507", sex="M") == []
