import datetime as dt
import random

import phonenumbers
import pytest
from codicefiscale import codicefiscale

from prossimo.bench import data
from prossimo.bench.data import (
    SCALES,
    fingerprint,
    fiscal_code,
    mobile_number,
    name_code,
    surname_code,
)
from prossimo.bench.people import typed_forms
from prossimo.core.phones import normalise_phone


@pytest.mark.parametrize(
    ("surname", "name", "sex", "born", "place"),
    [
        ("Rossi", "Maria", "F", dt.date(1940, 5, 12), "E507"),
        ("D'Angelo", "Gianfilippo", "M", dt.date(1931, 12, 1), "F205"),
        ("Fo", "Ugo", "M", dt.date(2001, 1, 31), "Z129"),
        ("Àlberti", "Jolanda", "F", dt.date(1950, 2, 3), "H501"),
    ],
)
def test_fiscal_code_matches_the_reference_encoder(surname, name, sex, born, place):
    expected = codicefiscale.encode(
        lastname=surname, firstname=name, gender=sex, birthdate=born.strftime("%d/%m/%Y"),
        birthplace=place,
    )  # fmt: skip
    assert fiscal_code(surname_code(surname), name_code(name), sex, born, place) == expected


def test_colliding_people_get_valid_distinct_omocodes():
    args = (surname_code("Rossi"), name_code("Maria"), "F", dt.date(1940, 5, 12), "E507")
    codes = [fiscal_code(*args, omocodia=level) for level in range(8)]

    assert len(set(codes)) == 8
    assert all(codicefiscale.is_valid(code) for code in codes)
    assert all(codicefiscale.is_omocode(code) for code in codes[1:])


def test_mobile_numbers_are_distinct_valid_and_already_normalised():
    numbers = [mobile_number(k) for k in range(5000)]

    assert len(set(numbers)) == len(numbers)
    for number in numbers[:500]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number))
        assert normalise_phone(number) == number


def test_every_typed_form_normalises_to_the_stored_number():
    number = mobile_number(7)
    assert {normalise_phone(form) for form in typed_forms(number)} == {number}


@pytest.mark.parametrize(("size", "total"), [(1000, 2000), (999, 1500), (10, 50)])
def test_phone_counts_are_skewed_and_sum_exactly(size, total):
    counts = data._phone_counts(random.Random(1), size, total)

    assert sum(counts) == total
    assert min(counts) >= 1
    assert max(counts) <= 5


def test_fingerprint_is_stable_and_depends_on_the_scale():
    assert fingerprint(SCALES["tiny"]) == fingerprint(SCALES["tiny"])
    assert fingerprint(SCALES["tiny"]) != fingerprint(SCALES["small"])


def test_fingerprint_changes_with_the_generator_version(monkeypatch):
    before = fingerprint(SCALES["tiny"])
    monkeypatch.setattr(data, "GENERATOR_VERSION", data.GENERATOR_VERSION + 1)
    assert fingerprint(SCALES["tiny"]) != before


def test_unique_fiscal_code_moves_to_omocodia_on_collision_and_gives_up_after_seven():
    issued: set[str] = set()
    args = (surname_code("Rossi"), name_code("Maria"), "F", dt.date(1940, 5, 12), "E507")
    levels = [data._unique_fiscal_code(issued, *args)[1] for _ in range(9)]

    assert levels == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert data._unique_fiscal_code(issued, *args)[0] is None
    assert len(issued) == 8


def test_phone_counts_refuse_an_impossible_total():
    with pytest.raises(ValueError, match="cannot hold"):
        data._phone_counts(random.Random(1), 10, 51)
