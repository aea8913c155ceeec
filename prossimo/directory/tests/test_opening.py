"""Schedules as opening spans: RFC 5545 fields, overnight hours, holidays (no database)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from prossimo.directory.opening import is_holiday, is_open, spans_of

ROME = ZoneInfo("Europe/Rome")


def rule(**fields) -> SimpleNamespace:
    values = {
        "freq": "WEEKLY", "byday": "", "bymonthday": "", "interval": None, "dtstart": None,
        "until": None, "valid_from": None, "valid_to": None, "opens_at": None, "closes_at": None,
    }  # fmt: skip
    return SimpleNamespace(**{**values, **fields})


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ROME)


def test_an_overnight_span_is_split_at_midnight():
    spans = spans_of(rule(byday="TU", opens_at=dt.time(20), closes_at=dt.time(8)))

    assert [(s.weekday, s.opens, s.closes, s.after_midnight) for s in spans] == [
        (1, 1200, 1440, False),
        (1, 0, 480, True),
    ]


def test_closing_at_midnight_is_not_overnight_and_no_times_is_all_day():
    late = spans_of(rule(byday="FR", opens_at=dt.time(18), closes_at=dt.time(0)))
    all_day = spans_of(rule(byday="SA"))

    assert [(s.opens, s.closes, s.after_midnight) for s in late] == [(1080, 1440, False)]
    assert [(s.opens, s.closes) for s in all_day] == [(0, 1440)]


def test_a_schedule_saying_nothing_gives_no_span():
    assert spans_of(rule(freq="", opens_at=dt.time(9))) == []
    assert spans_of(rule(freq="WEEKLY")) == []  # no day, no start date


@pytest.mark.parametrize(
    ("fields", "open_on", "closed_on"),
    [
        ({"freq": "MONTHLY", "byday": "1MO"}, at(2026, 6, 1, 10), at(2026, 6, 8, 10)),
        ({"freq": "MONTHLY", "byday": "-1FR"}, at(2026, 6, 26, 10), at(2026, 6, 19, 10)),
        ({"freq": "MONTHLY", "bymonthday": "15"}, at(2026, 7, 15, 10), at(2026, 7, 16, 10)),
        ({"freq": "MONTHLY", "bymonthday": "-1"}, at(2026, 6, 30, 10), at(2026, 6, 29, 10)),
        (
            {"byday": "WE", "interval": 2, "dtstart": dt.date(2026, 6, 3)},
            at(2026, 6, 17, 10),
            at(2026, 6, 10, 10),
        ),
        (
            {"byday": "WE", "until": dt.date(2026, 6, 10)},
            at(2026, 6, 10, 10),
            at(2026, 6, 17, 10),
        ),
    ],
)
def test_monthly_repeating_and_bounded_rules(fields, open_on, closed_on):
    spans = spans_of(rule(opens_at=dt.time(9), closes_at=dt.time(12), **fields))

    assert is_open(spans, open_on)
    assert not is_open(spans, closed_on)


def test_holidays_are_national_ones_and_count_as_sundays():
    assert is_holiday(dt.date(2026, 4, 25))
    assert is_holiday(dt.date(2025, 12, 25))
    assert is_holiday(dt.date(2026, 4, 6))  # Easter Monday
    assert not is_holiday(dt.date(2026, 12, 7))  # Sant'Ambrogio: Milan's patron, local
    weekdays = spans_of(rule(byday="MO,TU,WE,TH,FR", opens_at=dt.time(8), closes_at=dt.time(18)))
    sundays = spans_of(rule(byday="SU", opens_at=dt.time(8), closes_at=dt.time(18)))

    assert not is_open(weekdays, at(2025, 12, 25, 10))
    assert is_open(sundays, at(2025, 12, 25, 10))


def test_the_night_after_a_working_day_stays_open_into_a_holiday():
    nights = spans_of(rule(byday="WE", opens_at=dt.time(20), closes_at=dt.time(8)))

    assert is_open(nights, at(2025, 12, 25, 3))  # Wednesday 24th's night
    assert not is_open(nights, at(2025, 12, 24, 3))
