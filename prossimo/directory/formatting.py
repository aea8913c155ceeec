"""How the directory's pages show what HSDS holds: opening hours in words, phone links, ages.

Opening hours follow HSDS `schedule` (RFC 5545 recurrence fields): `freq` WEEKLY or MONTHLY,
`byday` ("MO,TU" or, monthly, "1MO", "-1FR"), `bymonthday` ("1,15", "-1"), `opens_at` and
`closes_at`. A schedule closing before it opens runs overnight ("20:00–08:00 (night)"); one
closing when it opens is open all day. Day names come from Django's own catalogue ("Lun").
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from functools import cache

import holidays
import phonenumbers
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from prossimo.directory.models import Schedule, Service

#: RFC 5545 day codes in ISO order (Monday first), as `date.weekday()` numbers them.
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^(?P<nth>[+-]?\d{1,2})?(?P<day>MO|TU|WE|TH|FR|SA|SU)$")


def _day_abbr(index: int) -> str:
    return str(WEEKDAYS_ABBR[index])


def _time(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _numbers(text: str) -> list[int]:
    found = []
    for part in (text or "").split(","):
        try:
            found.append(int(part.strip()))
        except ValueError:
            continue
    return found


def _byday(text: str) -> list[tuple[int | None, int]]:
    """`byday` as (ordinal or None, weekday index); unknown parts are skipped."""
    found = []
    for part in (text or "").upper().split(","):
        match = _BYDAY.match(part.strip())
        if match:
            nth = int(match["nth"]) if match["nth"] else None
            found.append((nth, DAY_CODES.index(match["day"])))
    return found


def hours_text(schedule: Schedule) -> str:
    """The hours of a schedule: "09:00–12:30", "20:00–08:00 (night)", "open all day"."""
    opens, closes = schedule.opens_at, schedule.closes_at
    if opens is not None and closes is not None:
        if opens == closes:
            return _("open all day")
        text = f"{_time(opens)}–{_time(closes)}"
        if closes < opens:
            return _("%(hours)s (night)") % {"hours": text}
        return text
    if opens is not None:
        return _("from %(time)s") % {"time": _time(opens)}
    if closes is not None:
        return _("until %(time)s") % {"time": _time(closes)}
    return ""


def _weekly_days(days: Iterable[int]) -> str:
    """Weekdays in words: runs of three or more joined ("Lun–Ven"), all seven "every day"."""
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return _("every day")
    runs: list[list[int]] = []
    for day in chosen:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{_day_abbr(run[0])}–{_day_abbr(run[-1])}")
        else:
            parts.extend(_day_abbr(day) for day in run)
    return ", ".join(parts)


def _monthday(day: int) -> str:
    """A `bymonthday` number in words: "15", or counted from the month's end ("last")."""
    if day >= 0:
        return str(day)
    return _("last") if day == -1 else _("%(n)s from the end") % {"n": -day}


#: Weekdays whose name is feminine: in Italian only "domenica". An ordinal before a weekday is
#: translated in the weekday's gender (a context each), so that it can agree with it: "l'ultima
#: domenica", "il primo lunedì". English reads the same in both.
FEMININE_WEEKDAYS = frozenset({DAY_CODES.index("SU")})


def _masculine_ordinal(nth: int) -> str:
    if nth < 0:
        if nth == -1:
            return pgettext("ordinal, masculine weekday", "last")
        return pgettext("ordinal, masculine weekday", "%(n)s from the end") % {"n": -nth}
    ordinals = {
        1: pgettext("ordinal, masculine weekday", "1st"),
        2: pgettext("ordinal, masculine weekday", "2nd"),
        3: pgettext("ordinal, masculine weekday", "3rd"),
        4: pgettext("ordinal, masculine weekday", "4th"),
        5: pgettext("ordinal, masculine weekday", "5th"),
    }
    return ordinals.get(nth) or pgettext("ordinal, masculine weekday", "%(n)sth") % {"n": nth}


def _feminine_ordinal(nth: int) -> str:
    if nth < 0:
        if nth == -1:
            return pgettext("ordinal, feminine weekday", "last")
        return pgettext("ordinal, feminine weekday", "%(n)s from the end") % {"n": -nth}
    ordinals = {
        1: pgettext("ordinal, feminine weekday", "1st"),
        2: pgettext("ordinal, feminine weekday", "2nd"),
        3: pgettext("ordinal, feminine weekday", "3rd"),
        4: pgettext("ordinal, feminine weekday", "4th"),
        5: pgettext("ordinal, feminine weekday", "5th"),
    }
    return ordinals.get(nth) or pgettext("ordinal, feminine weekday", "%(n)sth") % {"n": nth}


def _weekday_ordinal(nth: int, day: int) -> str:
    """The ordinal of a weekday in the month ("1st", "last"), in the weekday's gender."""
    return _feminine_ordinal(nth) if day in FEMININE_WEEKDAYS else _masculine_ordinal(nth)


def days_text(schedule: Schedule) -> str:
    """Which days a schedule covers, in words; empty when it does not say."""
    byday = _byday(schedule.byday)
    parts = []
    weekly = [day for nth, day in byday if nth is None]
    if weekly:
        parts.append(_weekly_days(weekly))
    for nth, day in byday:
        if nth is not None:
            parts.append(
                _("%(nth)s %(day)s of the month")
                % {"nth": _weekday_ordinal(nth, day), "day": str(WEEKDAYS[day]).lower()}
            )
    monthdays = _numbers(schedule.bymonthday)
    if monthdays:
        shown = ", ".join(_monthday(d) for d in monthdays)
        parts.append(
            ngettext("day %(days)s of the month", "days %(days)s of the month", len(monthdays))
            % {"days": shown}
        )
    interval = int(schedule.interval or 1)
    if interval > 1 and parts:
        if schedule.freq == Schedule.Frequency.MONTHLY:
            every = ngettext("every %(n)s month", "every %(n)s months", interval)
        else:
            every = ngettext("every %(n)s week", "every %(n)s weeks", interval)
        parts.append(every % {"n": interval})
    return ", ".join(parts)


def schedule_summary(schedule: Schedule) -> str:
    """Days and hours in one line ("Lun–Ven 09:00–12:30"); the schedule's own description
    when it gives neither."""
    text = " ".join(part for part in (days_text(schedule), hours_text(schedule)) if part)
    return text or schedule.description


def schedule_validity(schedule: Schedule) -> str:
    """The period a schedule holds for, if it says ("from 01/06/2026 to 31/08/2026")."""
    start = schedule.valid_from
    end = schedule.valid_to or schedule.until
    if start and end:
        return _("from %(start)s to %(end)s") % {
            "start": date_format(start, "d/m/Y"),
            "end": date_format(end, "d/m/Y"),
        }
    if start:
        return _("from %(start)s") % {"start": date_format(start, "d/m/Y")}
    if end:
        return _("until %(end)s") % {"end": date_format(end, "d/m/Y")}
    return ""


@cache
def _italian_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("IT", years=year)


def is_holiday(day: dt.date) -> bool:
    """A national holiday in Italy: the directory treats it as a Sunday."""
    return day in _italian_holidays(day.year)


def _nth_weekday_matches(day: dt.date, nth: int) -> bool:
    if nth > 0:
        return (day.day - 1) // 7 + 1 == nth
    last = calendar.monthrange(day.year, day.month)[1]
    return (last - day.day) // 7 + 1 == -nth


def _interval_matches(schedule: Schedule, day: dt.date) -> bool:
    interval = int(schedule.interval or 1)
    if interval <= 1 or schedule.dtstart is None:
        return True
    start = schedule.dtstart
    if schedule.freq == Schedule.Frequency.MONTHLY:
        months = (day.year - start.year) * 12 + day.month - start.month
        return months % interval == 0
    start_week = start - dt.timedelta(days=start.weekday())
    return ((day - start_week).days // 7) % interval == 0


def covers_day(schedule: Schedule, day: dt.date) -> bool | None:
    """Whether the schedule opens on this day; None when it names no day at all."""
    byday = _byday(schedule.byday)
    monthdays = _numbers(schedule.bymonthday)
    if not byday and not monthdays:
        return None
    if schedule.valid_from and day < schedule.valid_from:
        return False
    if schedule.valid_to and day > schedule.valid_to:
        return False
    if schedule.dtstart and day < schedule.dtstart:
        return False
    if schedule.until and day > schedule.until:
        return False
    if not _interval_matches(schedule, day):
        return False
    weekday = 6 if is_holiday(day) else day.weekday()
    for nth, code in byday:
        if code == weekday and (nth is None or _nth_weekday_matches(day, nth)):
            return True
    last = calendar.monthrange(day.year, day.month)[1]
    return any(d == day.day or (d < 0 and last + d + 1 == day.day) for d in monthdays)


def hours_on(schedules: Iterable[Schedule], day: dt.date) -> list[str] | None:
    """The hours of the schedules that open on this day ([] closed); None if they name no
    day, so whether the service opens that day is not known."""
    known = False
    found = []
    for schedule in schedules:
        covered = covers_day(schedule, day)
        if covered is None:
            continue
        known = True
        if covered:
            found.append(hours_text(schedule) or _("open"))
    return found if known else None


def tel_href(number: str) -> str:
    """A `tel:` link for a number as HSDS gives it (free text): E.164 when it parses as a
    number (Italian by default), else its digits; empty when there are none."""
    text = (number or "").strip()
    try:
        parsed = phonenumbers.parse(text, "IT")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        return "tel:" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    digits = "".join(c for c in text if c.isdigit())
    if not digits:
        return ""
    return "tel:" + ("+" if text.startswith("+") else "") + digits


def web_link(text: str) -> str:
    """A web address from HSDS data, only if it is http(s): imported data may carry anything,
    and a `javascript:` link must never reach a page."""
    url = (text or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def _age(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def ages_text(service: Service) -> str:
    """The ages a service is for, in words; empty when it sets none."""
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return _("aged %(min)s to %(max)s") % {"min": _age(low), "max": _age(high)}
    if low is not None:
        return _("aged %(min)s and over") % {"min": _age(low)}
    if high is not None:
        return _("aged up to %(max)s") % {"max": _age(high)}
    return ""


def eligibility_text(service: Service) -> str:
    """Who may use the service: its eligibility description and its ages."""
    parts = [service.eligibility_description.strip(), ages_text(service)]
    return "; ".join(part for part in parts if part)
