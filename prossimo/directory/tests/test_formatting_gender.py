"""Monthly rules in words: the ordinal before a weekday agrees with the weekday's gender."""

from __future__ import annotations

import pytest
from django.utils import translation

from prossimo.directory import formatting
from prossimo.directory.models import Schedule

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def monthly(byday: str) -> Schedule:
    return Schedule(freq=Schedule.Frequency.MONTHLY, byday=byday)


@pytest.mark.parametrize(
    ("byday", "expected"),
    [
        ("1MO", "1st monday of the month"),
        ("2SU", "2nd sunday of the month"),
        ("3TU", "3rd tuesday of the month"),
        ("4SA", "4th saturday of the month"),
        ("5WE", "5th wednesday of the month"),
        ("6TH", "6th thursday of the month"),
        ("-1SU", "last sunday of the month"),
        ("-1FR", "last friday of the month"),
        ("-2SU", "2 from the end sunday of the month"),
        ("MO,1SU", "Mon, 1st sunday of the month"),
    ],
)
def test_monthly_rules_read_the_same_in_english(byday, expected):
    with translation.override("en"):
        assert formatting.days_text(monthly(byday)) == expected


def test_days_of_the_month_read_the_same_in_english():
    with translation.override("en"):
        assert formatting.days_text(monthly("")) == ""
        schedule = Schedule(freq=Schedule.Frequency.MONTHLY, bymonthday="1,15,-1,-2")
        assert formatting.days_text(schedule) == "days 1, 15, last, 2 from the end of the month"


@pytest.mark.parametrize("code", DAYS)
@pytest.mark.parametrize("nth", [1, 2, 3, 4, 5, 6, -1, -2])
def test_only_sunday_takes_the_feminine_ordinal(monkeypatch, code, nth):
    contexts = []

    def pgettext(context: str, message: str) -> str:
        contexts.append(context)
        return message

    monkeypatch.setattr(formatting, "pgettext", pgettext)
    formatting.days_text(monthly(f"{nth}{code}"))

    gender = "feminine" if code == "SU" else "masculine"
    assert contexts
    assert set(contexts) == {f"ordinal, {gender} weekday"}


def test_the_ordinal_agrees_with_the_weekday_in_italian():
    with translation.override("it"):
        assert formatting.days_text(monthly("-1SU")) == "l'ultima domenica del mese"
        assert formatting.days_text(monthly("1SU")) == "la prima domenica del mese"
        assert formatting.days_text(monthly("2SU")) == "la seconda domenica del mese"
        assert formatting.days_text(monthly("1MO")) == "il primo lunedì del mese"
        assert formatting.days_text(monthly("2SA")) == "il secondo sabato del mese"
        assert formatting.days_text(monthly("-1FR")) == "l'ultimo venerdì del mese"
