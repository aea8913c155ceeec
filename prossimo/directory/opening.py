"""Opening hours: HSDS schedules turned into opening spans, and "is it open at this moment?".

A schedule (RFC 5545 fields) becomes `ServiceOpening` rows (`spans_of`): WEEKLY on `byday`
days ("MO,TU"; the start date's weekday when none; every `interval` weeks counted from
`dtstart`), MONTHLY on `byday` ("1MO" the first Monday, "-1FR" the last Friday, "MO" every
Monday) or `bymonthday` ("1,15,-1"); between `valid_from`/`dtstart` and `valid_to`/`until`;
from `opens_at` to `closes_at` local time (Europe/Rome). `closes_at` at or before `opens_at`
means it closes the next day: the span is split at midnight, the part after it keeping the day
rule of the day it started. No times: open all day. `count`, `byweekno`, `byyearday`, a
MONTHLY `interval` and the `timezone` offset are not interpreted (decision 0012).

`moment_filter(at)` is the SQL condition on the spans (alias `o`) that holds for the spans open
at the aware datetime `at`. Italy's national public holidays (`holidays.Italy`) count as
Sundays: on a holiday only weekly Sunday rules apply.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

ZONE = ZoneInfo("Europe/Rome")
DAY_CODES = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
SUNDAY = 6
MINUTES_IN_DAY = 24 * 60
_EPOCH_MONDAY = dt.date(1970, 1, 5)
_BYDAY = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")


@dataclass(frozen=True)
class Span:
    """One `ServiceOpening` row, without its service."""

    weekday: int | None
    nth: int | None
    month_day: int | None
    every_weeks: int | None
    week_phase: int | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    opens: int
    closes: int
    after_midnight: bool = False


def week_number(day: dt.date) -> int:
    """Monday-based weeks since 1970-01-05."""
    return (day - _EPOCH_MONDAY).days // 7


def _minute(value: dt.time | None) -> int | None:
    if value is None:
        return None
    return value.hour * 60 + value.minute + (1 if value.second or value.microsecond else 0)


def _split(items: str) -> list[str]:
    return [p.strip().upper() for p in re.split(r"[,;\s]+", items or "") if p.strip()]


def _times(opens_at: dt.time | None, closes_at: dt.time | None) -> list[tuple[int, int, bool]]:
    """(opens, closes, after midnight) spans of one occurrence."""
    opens = _minute(opens_at)
    closes = _minute(closes_at)
    if opens is None:
        opens = 0
    if closes is None or (closes == 0 and opens > 0):
        closes = MINUTES_IN_DAY
    if closes > opens:
        return [(opens, closes, False)]
    # Closes the next day (the same time means 24 hours from the opening).
    spans = [(opens, MINUTES_IN_DAY, False)]
    if closes > 0:
        spans.append((0, closes, True))
    return spans


def spans_of(schedule: Any) -> list[Span]:
    """The opening spans of a schedule (any object with the HSDS schedule's attributes);
    none when it says nothing we can interpret."""
    freq = (schedule.freq or "").upper()
    days = _split(schedule.byday)
    month_days = _split(schedule.bymonthday)
    if not freq:
        if not days and not month_days:
            return []
        freq = "MONTHLY" if month_days or any(d[:1] in "+-12345" for d in days) else "WEEKLY"
    starts = [d for d in (schedule.valid_from, schedule.dtstart) if d is not None]
    ends = [d for d in (schedule.valid_to, schedule.until) if d is not None]
    starts_on = max(starts) if starts else None
    ends_on = min(ends) if ends else None
    if starts_on and ends_on and ends_on < starts_on:
        return []
    rules: list[tuple[int | None, int | None, int | None]] = []  # weekday, nth, month day
    every_weeks = week_phase = None
    if freq == "WEEKLY":
        weekdays = {DAY_CODES[m.group(2)] for d in days if (m := _BYDAY.match(d))}
        if not weekdays and schedule.dtstart is not None:
            weekdays = {schedule.dtstart.weekday()}
        rules = [(w, None, None) for w in sorted(weekdays)]
        interval = int(schedule.interval or 1)
        if interval > 1 and schedule.dtstart is not None:
            every_weeks = interval
            week_phase = week_number(schedule.dtstart) % interval
    elif freq == "MONTHLY":
        for d in days:
            m = _BYDAY.match(d)
            if m:
                rules.append((DAY_CODES[m.group(2)], int(m.group(1)) if m.group(1) else None, None))
        for d in month_days:
            if re.fullmatch(r"[+-]?\d{1,2}", d) and 1 <= abs(int(d)) <= 31:
                rules.append((None, None, int(d)))
        if not rules and schedule.dtstart is not None:
            rules = [(None, None, schedule.dtstart.day)]
    spans = []
    for weekday, nth, month_day in dict.fromkeys(rules):
        for opens, closes, after in _times(schedule.opens_at, schedule.closes_at):
            spans.append(
                Span(
                    weekday=weekday,
                    nth=nth,
                    month_day=month_day,
                    every_weeks=every_weeks,
                    week_phase=week_phase,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    opens=opens,
                    closes=closes,
                    after_midnight=after,
                )
            )
    return spans


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.Italy(years=year)


def is_holiday(day: dt.date) -> bool:
    """An Italian national public holiday (patron saints' days are local: not counted)."""
    return day in _holidays(day.year)


def _day_condition(day: dt.date, mark: str) -> tuple[str, list[Any]]:
    """The condition on a span's day rule for `day` (a holiday is a Sunday)."""
    week = week_number(day)
    repeat = f"(o.every_weeks IS NULL OR ({mark} % o.every_weeks) = o.week_phase)"
    if is_holiday(day):
        return (
            f"o.weekday = {mark} AND o.nth IS NULL AND {repeat}",
            [SUNDAY, week],
        )
    length = calendar.monthrange(day.year, day.month)[1]
    nth = (day.day - 1) // 7 + 1
    nth_last = -((length - day.day) // 7 + 1)
    sql = (
        f"((o.weekday = {mark} AND (o.nth IS NULL OR o.nth IN ({mark}, {mark})))"
        f" OR o.month_day IN ({mark}, {mark})) AND {repeat}"
    )
    return sql, [day.weekday(), nth, nth_last, day.day, day.day - length - 1, week]


def moment_filter(at: dt.datetime, date_value: Any = None, mark: str = "%s") -> tuple[str, list]:
    """SQL (on `ServiceOpening` as `o`) true for the spans open at `at`, and its parameters.

    `date_value(d)` adapts a date for the driver (SQLite keeps ISO text). `mark` is the
    placeholder; a modulo is written `%` doubled when the placeholder is `%s`."""
    if at.tzinfo is None:
        raise ValueError("open_at must be an aware datetime")
    adapt = date_value or (lambda d: d)
    local = at.astimezone(ZONE)
    today, minute = local.date(), local.hour * 60 + local.minute
    yesterday = today - dt.timedelta(days=1)
    today_rule, today_params = _day_condition(today, mark)
    yesterday_rule, yesterday_params = _day_condition(yesterday, mark)
    bounds = (
        f"(o.starts_on IS NULL OR o.starts_on <= {mark})"
        f" AND (o.ends_on IS NULL OR o.ends_on >= {mark})"
    )
    sql = (
        f"((NOT o.after_midnight AND o.opens <= {mark} AND o.closes > {mark}"
        f" AND {today_rule} AND {bounds})"
        f" OR (o.after_midnight AND o.closes > {mark} AND {yesterday_rule} AND {bounds}))"
    )
    if mark == "%s":
        sql = sql.replace(" % ", " %% ")
    params = [
        minute,
        minute,
        *today_params,
        adapt(today),
        adapt(today),
        minute,
        *yesterday_params,
        adapt(yesterday),
        adapt(yesterday),
    ]
    return sql, params


def is_open(spans: Iterable[Span], at: dt.datetime) -> bool:
    """The same rule as `moment_filter`, in Python (tests and checks)."""
    local = at.astimezone(ZONE)
    today, minute = local.date(), local.hour * 60 + local.minute

    def day_matches(span: Span, day: dt.date) -> bool:
        if (span.starts_on and day < span.starts_on) or (span.ends_on and day > span.ends_on):
            return False
        if span.every_weeks and week_number(day) % span.every_weeks != span.week_phase:
            return False
        if is_holiday(day):
            return span.weekday == SUNDAY and span.nth is None
        length = calendar.monthrange(day.year, day.month)[1]
        if span.weekday is not None:
            nths = {(day.day - 1) // 7 + 1, -((length - day.day) // 7 + 1)}
            return span.weekday == day.weekday() and (span.nth is None or span.nth in nths)
        return span.month_day in {day.day, day.day - length - 1}

    for span in spans:
        if span.after_midnight:
            if span.closes > minute and day_matches(span, today - dt.timedelta(days=1)):
                return True
        elif span.opens <= minute < span.closes and day_matches(span, today):
            return True
    return False
