"""Reads of telephony: lines by header, who is on duty, the banner's calls and callers."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from prossimo.core.permissions import Perm, user_can
from prossimo.core.phones import normalise_phone
from prossimo.listening.selectors import overdue_alert_count
from prossimo.people.models import CASEWORK_ROLES, Person, Phone
from prossimo.telephony.models import IncomingCall, OnDuty, TelephonyLine
from prossimo.territory.selectors import organisation_ids_with_roles

#: The banner shows at most this many calls (the oldest first).
MAX_BANNER_CALLS = 10


def ringing_window() -> dt.timedelta:
    """A call still "ringing" after this long lost its later events: the banner drops it."""
    return dt.timedelta(seconds=getattr(settings, "PROSSIMO_TELEPHONY_RINGING_SECONDS", 120))


def answered_window() -> dt.timedelta:
    """An answered call nobody took in Prossimo stays on the banner this long (or until it
    ends), so that whoever picked up the phone can still open its call form."""
    return dt.timedelta(minutes=getattr(settings, "PROSSIMO_TELEPHONY_ANSWERED_MINUTES", 60))


def duty_length() -> dt.timedelta:
    """A duty nobody ended counts as over after this long (a forgotten "end duty")."""
    return dt.timedelta(hours=getattr(settings, "PROSSIMO_TELEPHONY_DUTY_HOURS", 12))


def line_for_reference(reference: str) -> TelephonyLine | None:
    """The line a PBX names in `X-Prossimo-Line`: its id (UUID) or its number, any format."""
    reference = reference.strip()
    try:
        return TelephonyLine.objects.filter(pk=uuid.UUID(reference)).first()
    except ValueError:
        pass
    try:
        number = normalise_phone(reference)
    except ValidationError:
        return None
    return TelephonyLine.objects.filter(number=number).first()


def access_call(user: Any, call_id: Any) -> IncomingCall:
    """A call on a line of one of the user's organisations (else 404)."""
    call = (
        IncomingCall.objects.visible_to(user)
        .select_related("line__organisation")
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise Http404
    return call


def open_duties(user: Any, *, now: dt.datetime | None = None) -> Any:
    """The user's duty periods that are open now, in organisations where they still do
    casework (a membership ended during a duty ends the duty there)."""
    now = now or timezone.now()
    return OnDuty.objects.filter(
        user=user,
        ended_at__isnull=True,
        started_at__gt=now - duty_length(),
        organisation__in=organisation_ids_with_roles(user, CASEWORK_ROLES),
    )


def banner_calls(organisation_ids: list[int], *, now: dt.datetime) -> list[IncomingCall]:
    """Calls waiting for someone on the lines of these organisations: ringing, or answered
    on the phone but not yet taken in Prossimo; oldest first."""
    if not organisation_ids:
        return []
    waiting = Q(state=IncomingCall.State.RINGING, ringing_at__gt=now - ringing_window()) | Q(
        state=IncomingCall.State.ANSWERED, answered_at__gt=now - answered_window()
    )
    return list(
        IncomingCall.objects.filter(
            waiting,
            line__organisation__in=organisation_ids,
            line__is_active=True,
            contact__isnull=True,
            answered_by__isnull=True,
        )
        .select_related("line")
        .order_by("ringing_at", "pk")[:MAX_BANNER_CALLS]
    )


def identify_callers(user: Any, numbers: list[str]) -> dict[str, list[Person]]:
    """For each E.164 number, the people `user` may see who hold it — the rule of
    `people.lookup.identify_caller`, for several numbers in two queries (people, phones)."""
    wanted = sorted({n for n in numbers if n})
    if not wanted:
        return {}
    people = (
        Person.objects.visible_to(user)
        .filter(phones__number__in=wanted)
        .select_related("municipality__province")
        .prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("pk"), to_attr="all_phones")
        )
        .order_by("-is_active", "last_name_search", "first_name_search", "pk")
    )
    found: dict[str, list[Person]] = {}
    seen: set[tuple[str, Any]] = set()
    for person in people:
        for phone in person.all_phones:
            key = (phone.number, person.pk)
            if phone.number in wanted and key not in seen:
                seen.add(key)
                found.setdefault(phone.number, []).append(person)
    return found


@dataclass
class BannerCall:
    call: IncomingCall
    people: list[Person] = field(default_factory=list)


@dataclass
class LiveState:
    """What the live region shows a user: their duty, the calls waiting, overdue alerts.

    `calls_key` and `overdue_key` change when what the region shows changes: the page sends
    them back on each poll, and an unchanged region is not sent (or re-announced) again.
    """

    on_duty: bool
    calls: list[IncomingCall]
    overdue_count: int | None  # None: the user does not manage alerts
    calls_key: str
    overdue_key: str

    @property
    def mode(self) -> str:
        """How the page keeps the region up to date: "duty" (every second), "alerts" (off
        duty, overdue alerts to watch: every 30 seconds), "idle" (nothing to wait for)."""
        if self.on_duty:
            return "duty"
        return "idle" if self.overdue_count is None else "alerts"


def _key(*parts: Any) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).hexdigest()


def _overdue_count(user: Any, now: dt.datetime) -> int | None:
    return overdue_alert_count(user, now) if user_can(user, Perm.ALERTS_MANAGE) else None


def off_duty_state(user: Any, *, now: dt.datetime | None = None) -> LiveState:
    """The live region of a user known to be off duty: no query, or one (the overdue alerts'
    count) for those who manage alerts."""
    overdue = _overdue_count(user, now or timezone.now())
    return LiveState(False, [], overdue, _key(False), _key(overdue))


def live_state(user: Any, *, now: dt.datetime | None = None) -> LiveState:
    """The live region's state, in a fixed number of queries: the duty, the calls, and the
    overdue alerts' count for those who manage alerts (`listening.selectors`). Who is calling
    is not looked up here (see `banner`), so that an unchanged region costs no more."""
    now = now or timezone.now()
    duty_orgs = list(open_duties(user, now=now).values_list("organisation_id", flat=True))
    calls = banner_calls(duty_orgs, now=now)
    overdue = _overdue_count(user, now)
    return LiveState(
        on_duty=bool(duty_orgs),
        calls=calls,
        overdue_count=overdue,
        calls_key=_key(bool(duty_orgs), *(f"{c.pk}:{c.state}" for c in calls)),
        overdue_key=_key(overdue),
    )


def banner(user: Any, state: LiveState) -> list[BannerCall]:
    """The calls of the banner with who is probably calling (two queries, whatever the
    number of calls)."""
    people = identify_callers(user, [c.caller_number for c in state.calls])
    return [BannerCall(call, people.get(call.caller_number, [])) for call in state.calls]
