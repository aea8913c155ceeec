"""Opening hours in words: days, hours, overnight, monthly rules, today's hours, phone links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from prossimo.directory import formatting
from prossimo.directory.models import Schedule, Service


@pytest.fixture(autouse=True)
def _italian():
    """The day names come from Django's Italian catalogue: the formatter's output in Italian."""
    with translation.override("it"):
        yield


def schedule(**fields) -> Schedule:
    fields.setdefault("freq", Schedule.Frequency.WEEKLY)
    return Schedule(**fields)


T = dt.time


@pytest.mark.parametrize(
    ("byday", "opens", "closes", "expected"),
    [
        ("MO,TU,WE,TH,FR", T(9), T(12, 30), "Lun–Ven 09:00–12:30"),
        ("MO,WE,FR", T(14), T(18), "Lun, Mer, Ven 14:00–18:00"),
        ("SA,SU", T(8), T(20), "Sab, Dom 08:00–20:00"),
        ("fr, mo ,tu", T(9), T(10), "Lun, Mar, Ven 09:00–10:00"),
        ("MO,TU,WE,FR,SA", T(9), T(10), "Lun–Mer, Ven, Sab 09:00–10:00"),
        ("", T(9), T(17), "09:00–17:00"),
        ("XX,??", None, None, ""),
    ],
)
def test_a_weekly_schedule_in_words(byday, opens, closes, expected):
    text = formatting.schedule_summary(schedule(byday=byday, opens_at=opens, closes_at=closes))
    assert text == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": T(20), "closes_at": T(8)},
         "every day 20:00–08:00 (night)"),
        ({"byday": "SA", "opens_at": T(0), "closes_at": T(0)}, "Sat open all day"),
        ({"byday": "TH", "opens_at": T(15)}, "Thu from 15:00"),
        ({"byday": "TH", "closes_at": T(11)}, "Thu until 11:00"),
        ({"byday": "TU", "description": "Su appuntamento"}, "Tue"),
        ({"description": "Su appuntamento"}, "Su appuntamento"),
    ],
)  # fmt: skip
def test_every_day_open_all_day_and_open_ended_hours(fields, expected):
    with translation.override("en"):
        assert formatting.schedule_summary(schedule(**fields)) == expected


def test_an_overnight_schedule_says_night():
    text = formatting.hours_text(schedule(opens_at=T(20), closes_at=T(8)))
    assert text.startswith("20:00–08:00 (")
    with translation.override("en"):
        assert formatting.hours_text(schedule(opens_at=T(20), closes_at=T(8))) == (
            "20:00–08:00 (night)"
        )


def test_monthly_schedules_in_words():
    with translation.override("en"):
        first_monday = schedule(freq="MONTHLY", byday="1MO", opens_at=T(9), closes_at=T(11))
        assert formatting.schedule_summary(first_monday) == "1st monday of the month 09:00–11:00"
        last_friday = schedule(freq="MONTHLY", byday="-1FR")
        assert formatting.days_text(last_friday) == "last friday of the month"
        days = schedule(freq="MONTHLY", bymonthday="1,15")
        assert formatting.days_text(days) == "days 1, 15 of the month"
        one_day = schedule(freq="MONTHLY", bymonthday="-1")
        assert formatting.days_text(one_day) == "day last of the month"
        fortnightly = schedule(byday="WE", interval=2)
        assert formatting.days_text(fortnightly) == "Wed, every 2 weeks"


def test_the_period_a_schedule_holds_for():
    with translation.override("en"):
        summer = schedule(valid_from=dt.date(2026, 6, 1), valid_to=dt.date(2026, 8, 31))
        assert formatting.schedule_validity(summer) == "from 01/06/2026 to 31/08/2026"
        assert formatting.schedule_validity(schedule()) == ""
        assert formatting.schedule_validity(schedule(until=dt.date(2026, 5, 1))) == (
            "until 01/05/2026"
        )


WEDNESDAY = dt.date(2026, 3, 11)
EASTER_MONDAY = dt.date(2026, 4, 6)


def test_the_hours_of_a_day():
    weekdays = schedule(byday="MO,TU,WE,TH,FR", opens_at=T(9), closes_at=T(12))
    afternoons = schedule(byday="WE", opens_at=T(15), closes_at=T(18))
    weekend = schedule(byday="SA,SU", opens_at=T(10), closes_at=T(11))
    assert formatting.hours_on([weekdays, afternoons, weekend], WEDNESDAY) == [
        "09:00–12:00",
        "15:00–18:00",
    ]
    assert formatting.hours_on([weekend], WEDNESDAY) == []
    assert formatting.hours_on([schedule(description="Su appuntamento")], WEDNESDAY) is None
    assert formatting.hours_on([], WEDNESDAY) is None


def test_a_national_holiday_has_the_hours_of_a_sunday():
    weekdays = schedule(byday="MO,TU,WE,TH,FR", opens_at=T(9), closes_at=T(12))
    sunday = schedule(byday="SU", opens_at=T(10), closes_at=T(11))
    assert formatting.hours_on([weekdays, sunday], EASTER_MONDAY) == ["10:00–11:00"]


def test_a_schedule_outside_its_period_or_interval_does_not_open():
    summer = schedule(byday="WE", opens_at=T(9), closes_at=T(10), valid_from=dt.date(2026, 6, 1))
    assert formatting.covers_day(summer, WEDNESDAY) is False
    fortnightly = schedule(byday="WE", interval=2, dtstart=dt.date(2026, 3, 4))
    assert formatting.covers_day(fortnightly, WEDNESDAY) is False
    assert formatting.covers_day(fortnightly, WEDNESDAY + dt.timedelta(days=7)) is True


def test_monthly_days_of_a_date():
    second_wednesday = schedule(freq="MONTHLY", byday="2WE")
    assert formatting.covers_day(second_wednesday, WEDNESDAY) is True
    assert formatting.covers_day(second_wednesday, dt.date(2026, 3, 4)) is False
    last_tuesday = schedule(freq="MONTHLY", byday="-1TU")
    assert formatting.covers_day(last_tuesday, dt.date(2026, 3, 31)) is True
    assert formatting.covers_day(last_tuesday, dt.date(2026, 3, 24)) is False
    month_end = schedule(freq="MONTHLY", bymonthday="-1")
    assert formatting.covers_day(month_end, dt.date(2026, 2, 28)) is True


@pytest.mark.parametrize(
    ("number", "href"),
    [
        ("0341 123456", "tel:+390341123456"),
        ("+39 340 123 4567", "tel:+393401234567"),
        ("800.123.456", "tel:+39800123456"),
        ("118", "tel:118"),
        ("+44 20 7946 0958", "tel:+442079460958"),
        ("chiedere in segreteria", ""),
    ],
)
def test_phone_links(number, href):
    assert formatting.tel_href(number) == href


def test_ages_and_eligibility():
    with translation.override("en"):
        service = Service(eligibility_description="Persone sole", minimum_age=65.0)
        assert formatting.eligibility_text(service) == "Persone sole; aged 65 and over"
        assert formatting.ages_text(Service(minimum_age=18, maximum_age=64.5)) == (
            "aged 18 to 64.5"
        )
        assert formatting.ages_text(Service(maximum_age=17)) == "aged up to 17"
        assert formatting.eligibility_text(Service()) == ""


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.org/x", "https://example.org/x"),
        (" http://example.org ", "http://example.org"),
        ("javascript:alert(1)", ""),
        ("JaVaScRiPt:alert(1)", ""),
        ("www.example.org", ""),
    ],
)
def test_only_web_addresses_become_links(url, shown):
    assert formatting.web_link(url) == shown
