"""Demo history of the programmes: weeks of Telefonia Sociale replayed through the services.

The association runs Telefonia Sociale, the cooperative Servizi di Prossimità. The municipal
social worker (`assistente`) refers the demo people living in Lecco; the coordinator
(`coordinatore`) makes the first contact, records consent, takes them in charge, plans their
calls, records absences, suspends and closes; the volunteers (`volontario`, `volontario2`)
work their calls day by day, one of the people stops answering (an escalation alert). The
screenings taken during the calls are in `screenings`.

Everything goes through the real services, so their permission, scope, state-machine and
escalation rules apply, replayed on a simulated clock: while the history is written,
`django.utils.timezone.now` reads the replayed instant (`replaying`), and every row carries
the date it would have had. Dates are relative to today (`timezone.localdate()`).

Seeded: the same people give the same stories. Idempotent as a whole: once the social worker
has referred anyone to Telefonia Sociale the history is left as it is, and a rerun only
creates today's planned calls, as the daily job would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from prossimo.core.models import User
from prossimo.demo.texts import (
    ANSWERED_NOTES,
    CLOSINGS,
    FAILED_NOTES,
    FIRST_CONTACT_FAILED,
    FRAGILITY_NOTES,
    PREFERRED_TIMES,
    PROSSIMITA_REASONS,
    REASONS,
    REFUSED_NOTES,
    SUSPENSIONS,
    TAKEN_IN_CHARGE,
)
from prossimo.listening.models import Alert
from prossimo.people.models import Consent, Person
from prossimo.programmes.calls import (
    generate_due_calls,
    record_absence,
    record_attempt,
    set_call_plan,
)
from prossimo.programmes.models import (
    CallAttempt,
    Enrolment,
    PlannedCall,
    Programme,
    Rhythm,
)
from prossimo.programmes.services import (
    ReferralInput,
    change_state,
    record_consent,
    refer_person,
)
from prossimo.territory.models import Organisation

TELEFONIA = "telefonia-sociale"
PROSSIMITA = "servizi-prossimita"
SEED = 2026
#: Planned calls and their attempts are replayed for these last days (referrals go further back).
HISTORY_DAYS = 21
#: How many of the people referred to Telefonia Sociale end in each state (shares of them; at
#: least one each when there are enough people). The rest are active.
STATE_SHARES = {
    Enrolment.State.REFERRED: 0.07,
    Enrolment.State.CONTACT_ATTEMPTED: 0.07,
    Enrolment.State.SUSPENDED: 0.05,
    Enrolment.State.CLOSED: 0.075,
}
#: Share of the active people in charge for weeks (referred 50–100 days ago): those screened.
LONG_STANDING_SHARE = 0.77
#: Share of active plans with a call due today (the volunteers' "Chiamate di oggi").
DUE_TODAY_SHARE = 0.45
#: The people referred to Servizi di Prossimità: this many not referred to Telefonia Sociale.
PROSSIMITA_ONLY = 3

_T = dt.time

#: Rhythms, as (rhythm, weekdays, interval in days, weight).
RHYTHMS: tuple[tuple[str, tuple[int, ...], int | None, int], ...] = (
    (Rhythm.WEEKLY, (2,), None, 3),  # every Tuesday
    (Rhythm.WEEKLY, (2, 5), None, 3),  # Tuesday and Friday
    (Rhythm.WEEKLY, (1, 4), None, 2),  # Monday and Thursday
    (Rhythm.WEEKLY, (1, 3, 5), None, 1),  # three times a week
    (Rhythm.EVERY_N_DAYS, (), 3, 2),
    (Rhythm.EVERY_N_DAYS, (), 7, 1),
)


# --- the simulated clock ------------------------------------------------------------------


class Clock:
    """The instant the replay is at; `now()` stands in for `django.utils.timezone.now`."""

    def __init__(self) -> None:
        self.at = timezone.now()

    def now(self) -> dt.datetime:
        return self.at


@contextlib.contextmanager
def replaying(clock: Clock) -> Iterator[None]:
    """Make `timezone.now()` (hence `localdate()`, `auto_now` fields and the services' own
    "now") read `clock` inside the block. Only for the demo build, which runs alone in its
    command: the real function is put back whatever happens."""
    real = timezone.now
    setattr(timezone, "now", clock.now)  # noqa: B010 - the module's function, swapped on purpose
    try:
        yield
    finally:
        setattr(timezone, "now", real)  # noqa: B010


@contextlib.contextmanager
def quietly(*names: str) -> Iterator[None]:
    """Hold back the INFO lines of these loggers (a line per replayed day is noise here)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def local(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def weekday_on_or_before(day: dt.date) -> dt.date:
    while day.isoweekday() > 5:
        day -= dt.timedelta(days=1)
    return day


def _after(day: dt.date, days: int, today: dt.date) -> dt.date:
    """A working day `days` after `day`, before today."""
    later = day + dt.timedelta(days=days)
    while later.isoweekday() > 5:
        later += dt.timedelta(days=1)
    return min(later, today - dt.timedelta(days=1))


# --- the stories --------------------------------------------------------------------------


@dataclass
class PlanSpec:
    rhythm: str
    weekdays: list[int]
    interval_days: int | None
    starts_on: dt.date
    window: tuple[dt.time, dt.time]
    volunteer: User
    backup: User
    priority: int


@dataclass
class Story:
    """What happens to one referred person, decided before it is replayed."""

    person: Person
    programme: Programme
    final_state: str
    referred_on: dt.date
    reason: str
    fragility_notes: str = ""
    preferred_times: str = ""
    consent_given: bool = True
    contact_failed_on: dt.date | None = None
    activated_on: dt.date | None = None
    plan: PlanSpec | None = None
    suspended_on: dt.date | None = None
    resume_on: dt.date | None = None
    suspension_note: str = ""
    closed_on: dt.date | None = None
    close_reason: str = ""
    close_note: str = ""
    unreachable: bool = False  # every attempt of the last week fails: an escalation alert
    enrolment: Enrolment | None = field(default=None, repr=False)


class Stories:
    """Plans who is referred, when, and what becomes of them (seeded)."""

    def __init__(self, users: dict[str, User], today: dt.date) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not a secret
        self.users = users
        self.today = today

    def days_ago(self, low: int, high: int) -> dt.date:
        return weekday_on_or_before(self.today - dt.timedelta(days=self.rng.randint(low, high)))

    def telefonia(self, programme: Programme, people: Sequence[Person]) -> list[Story]:
        rng, n = self.rng, len(people)
        states: list[str] = []
        for final, share in STATE_SHARES.items():
            count = round(n * share)
            states += [final] * (max(1, count) if n >= 8 else count)
        states += [Enrolment.State.ACTIVE] * (n - len(states))
        rng.shuffle(states)
        n_active = states.count(Enrolment.State.ACTIVE)
        long_standing = round(n_active * LONG_STANDING_SHARE)
        stories: list[Story] = []
        seen_active = closings = 0
        for person, state in zip(people, states, strict=True):
            times, window = rng.choice(PREFERRED_TIMES)
            story = Story(
                person=person,
                programme=programme,
                final_state=state,
                referred_on=self.today,
                reason=rng.choice(REASONS),
                fragility_notes=rng.choice(FRAGILITY_NOTES),
                preferred_times=times,
                consent_given=rng.random() < 0.6,
            )
            if state == Enrolment.State.REFERRED:
                story.referred_on = self.days_ago(1, 6)
            elif state == Enrolment.State.CONTACT_ATTEMPTED:
                story.referred_on = self.days_ago(5, 12)
                story.contact_failed_on = _after(story.referred_on, rng.randint(1, 3), self.today)
            elif state == Enrolment.State.ACTIVE:
                seen_active += 1
                if seen_active <= long_standing:
                    self._in_charge(story, window, referred=(50, 100))
                else:
                    self._in_charge(story, window, referred=(16, 45))
            elif state == Enrolment.State.SUSPENDED:
                self._in_charge(story, window, referred=(35, 80))
                story.suspended_on = self.days_ago(2, 8)
                story.resume_on = self.today + dt.timedelta(days=rng.randint(5, 20))
                story.suspension_note = rng.choice(SUSPENSIONS)
            else:
                reason, note = CLOSINGS[closings % len(CLOSINGS)]
                closings += 1
                self._closed(story, window, reason, note)
            stories.append(story)
        self._unreachable(stories)
        return stories

    def _in_charge(
        self, story: Story, window: tuple[dt.time, dt.time], *, referred: tuple[int, int]
    ) -> None:
        rng = self.rng
        story.referred_on = self.days_ago(*referred)
        if rng.random() < 0.3:
            story.contact_failed_on = _after(story.referred_on, 1, self.today)
        start = story.contact_failed_on or story.referred_on
        story.activated_on = _after(start, rng.randint(1, 5), self.today)
        story.plan = self._plan(story.activated_on, window)

    def _closed(
        self, story: Story, window: tuple[dt.time, dt.time], reason: str, note: str
    ) -> None:
        story.close_reason, story.close_note = reason, note
        if reason == Enrolment.CloseReason.REFUSED:
            story.referred_on = self.days_ago(18, 30)
            story.consent_given = False
            story.closed_on = _after(story.referred_on, 2, self.today)
        elif reason == Enrolment.CloseReason.UNREACHABLE:
            story.referred_on = self.days_ago(20, 30)
            story.contact_failed_on = _after(story.referred_on, 1, self.today)
            story.closed_on = _after(story.referred_on, 10, self.today)
        else:
            self._in_charge(story, window, referred=(40, 90))
            story.closed_on = self.days_ago(3, 18)

    def _plan(self, activated_on: dt.date, window: tuple[dt.time, dt.time]) -> PlanSpec:
        rng, today = self.rng, self.today
        rhythm, days, interval, _weight = rng.choices(RHYTHMS, weights=[r[3] for r in RHYTHMS])[0]
        due_today = rng.random() < DUE_TODAY_SHARE
        starts_on = activation = activated_on + dt.timedelta(days=rng.randint(1, 3))
        weekdays = list(days)
        if rhythm == Rhythm.WEEKLY:
            weekdays = self._weekdays(weekdays, due_today)
        else:
            interval = interval or 7
            offset = (today - activation).days % interval
            if due_today:
                starts_on = activation + dt.timedelta(days=offset)
            elif offset == 0:
                starts_on = activation + dt.timedelta(days=1)
        first, second = self.users["volontario"], self.users["volontario2"]
        volunteer, backup = (first, second) if rng.random() < 0.78 else (second, first)
        return PlanSpec(
            rhythm=rhythm,
            weekdays=weekdays,
            interval_days=interval,
            starts_on=starts_on,
            window=window,
            volunteer=volunteer,
            backup=backup,
            priority=rng.choices([1, 2, 3], weights=[2, 7, 1])[0],
        )

    def _weekdays(self, days: list[int], due_today: bool) -> list[int]:
        """The pattern moved so that it includes today (due today) or not, weekends avoided
        where the pattern allows it."""
        today = self.today.isoweekday()

        def shifted(by: int) -> list[int]:
            return sorted((d - 1 + by) % 7 + 1 for d in days)

        if due_today:
            if today in days:
                return days
            candidates = [shifted(today - d) for d in days]
        else:
            if today not in days:
                return days
            candidates = [shifted(by) for by in (1, -1, 2, -2, 3, -3)]
            candidates = [c for c in candidates if today not in c]
        weekdays_only = [c for c in candidates if max(c) <= 5]
        return (weekdays_only or candidates)[0]

    def _unreachable(self, stories: list[Story]) -> None:
        """One person long in charge, called by `volontario` every three days, stops answering."""
        for story in stories:
            plan = story.plan
            if (
                story.final_state == Enrolment.State.ACTIVE
                and plan is not None
                and plan.volunteer.username == "volontario"
                and story.activated_on is not None
                and story.activated_on < self.today - dt.timedelta(days=21)
            ):
                story.unreachable = True
                plan.rhythm, plan.weekdays, plan.interval_days = Rhythm.EVERY_N_DAYS, [], 3
                offset = (self.today - plan.starts_on).days % 3
                plan.starts_on += dt.timedelta(days=offset)  # due today: tried again
                return

    def prossimita(self, programme: Programme, people: Sequence[Person]) -> list[Story]:
        return [
            Story(
                person=person,
                programme=programme,
                final_state=Enrolment.State.REFERRED,
                referred_on=self.days_ago(2, 15),
                reason=reason,
                fragility_notes=self.rng.choice(FRAGILITY_NOTES),
                preferred_times=self.rng.choice(PREFERRED_TIMES)[0],
                consent_given=True,
            )
            for person, reason in zip(people, PROSSIMITA_REASONS, strict=False)
        ]


# --- the replay ---------------------------------------------------------------------------


Event = tuple[dt.datetime, int, Callable[[], Any]]


@dataclass
class Counts:
    enrolments: int = 0
    calls: int = 0
    attempts: int = 0
    screenings: int = 0
    alerts: int = 0


class Replay:
    """Runs the stories, and the days of calls, in the order of time on the simulated clock."""

    def __init__(self, users: dict[str, User], today: dt.date, clock: Clock) -> None:
        self.users = users
        self.by_id = {user.pk: user for user in users.values()}
        self.today = today
        self.clock = clock
        self.rng = random.Random(SEED + 1)  # noqa: S311 - demo data, not a secret
        self.events: list[Event] = []
        self.stories: dict[Any, Story] = {}  # by enrolment id, once referred

    def add(self, day: dt.date, time: dt.time, action: Callable[[], Any]) -> None:
        self.events.append((local(day, time), len(self.events), action))

    def at(self, low: dt.time, high: dt.time) -> dt.time:
        """A time of day between `low` and `high`, to the minute."""
        start = low.hour * 60 + low.minute
        end = max(start, high.hour * 60 + high.minute)
        minutes = self.rng.randint(start, end)
        return dt.time(minutes // 60, minutes % 60)

    def run(self) -> None:
        with replaying(self.clock), quietly("prossimo.programmes.calls"):
            for when, _seq, action in sorted(self.events, key=lambda e: (e[0], e[1])):
                self.clock.at = when
                action()

    # --- the stories' events ----------------------------------------------------------------

    def schedule(self, story: Story) -> None:
        self.add(story.referred_on, self.at(_T(9, 0), _T(13, 0)), lambda: self.refer(story))
        if story.contact_failed_on:
            self.add(
                story.contact_failed_on,
                self.at(_T(9, 30), _T(12, 0)),
                lambda: self.move(story, Enrolment.State.CONTACT_ATTEMPTED, FIRST_CONTACT_FAILED),
            )
        if story.activated_on:
            self.add(story.activated_on, self.at(_T(14, 30), _T(17, 0)), lambda: self.take(story))
        if story.suspended_on:
            self.add(
                story.suspended_on,
                self.at(_T(18, 30), _T(19, 0)),
                lambda: self.suspend(story),
            )
        if story.closed_on:
            self.add(story.closed_on, self.at(_T(18, 30), _T(19, 0)), lambda: self.close(story))

    def refer(self, story: Story) -> None:
        story.enrolment = refer_person(
            self.users["assistente"],
            programme=story.programme,
            person=story.person,
            referral=ReferralInput(
                reason=story.reason,
                fragility_notes=story.fragility_notes,
                preferred_contact_times=story.preferred_times,
                consent=Enrolment.Consent.GIVEN
                if story.consent_given
                else Enrolment.Consent.TO_ASK,
            ),
        )
        self.stories[story.enrolment.pk] = story

    def move(self, story: Story, to_state: str, notes: Sequence[str], **kwargs: Any) -> None:
        story.enrolment = change_state(
            self.users["coordinatore"],
            enrolment=_referred(story),
            to_state=to_state,
            note=self.rng.choice(notes) if notes else "",
            **kwargs,
        )

    def take(self, story: Story) -> None:
        """First contact: consent (if the social worker left it to ask), in charge, a plan."""
        coordinator, plan = self.users["coordinatore"], story.plan
        if _referred(story).consent != Enrolment.Consent.GIVEN:
            story.enrolment = record_consent(
                coordinator, enrolment=_referred(story), consent=Enrolment.Consent.GIVEN
            )
        self.move(story, Enrolment.State.ACTIVE, TAKEN_IN_CHARGE)
        if plan is None:
            return
        set_call_plan(
            coordinator,
            enrolment=_referred(story),
            rhythm=plan.rhythm,
            weekdays=plan.weekdays,
            interval_days=plan.interval_days,
            starts_on=plan.starts_on,
            window_start=plan.window[0],
            window_end=plan.window[1],
            volunteer=plan.volunteer,
            backup=plan.backup,
            priority=plan.priority,
        )

    def suspend(self, story: Story) -> None:
        self.move(
            story,
            Enrolment.State.SUSPENDED,
            (story.suspension_note,),
            resume_on=story.resume_on,
        )

    def close(self, story: Story) -> None:
        if story.close_reason == Enrolment.CloseReason.REFUSED:
            story.enrolment = record_consent(
                self.users["coordinatore"],
                enrolment=_referred(story),
                consent=Enrolment.Consent.REFUSED,
            )
        self.move(story, Enrolment.State.CLOSED, (story.close_note,), reason=story.close_reason)

    # --- absences -----------------------------------------------------------------------

    def schedule_absences(self) -> None:
        coordinator, today = self.users["coordinatore"], self.today
        backup, main = self.users["volontario2"], self.users["volontario"]

        def away(user: User, starts: int, ends: int, note: str) -> Callable[[], Any]:
            return functools.partial(
                record_absence,
                coordinator,
                user=user,
                starts_on=today + dt.timedelta(days=starts),
                ends_on=today + dt.timedelta(days=ends),
                note=note,
            )

        self.add(today - dt.timedelta(days=11), _T(10, 15), away(backup, -9, -6, "Influenza"))
        self.add(today - dt.timedelta(days=2), _T(11, 40), away(main, 12, 18, "Ferie"))

    # --- the days of calls --------------------------------------------------------------

    def schedule_days(self) -> None:
        for back in range(HISTORY_DAYS, 0, -1):
            day = self.today - dt.timedelta(days=back)
            self.add(day, _T(4, 30), functools.partial(generate_due_calls, day))
            self.add(day, _T(8, 55), functools.partial(self.work_day, day))

    def work_day(self, day: dt.date) -> None:
        """The volunteers work the calls due that day, in the order of their windows."""
        calls = PlannedCall.objects.filter(due_on=day, status=PlannedCall.Status.DUE).order_by(
            "window_start", "priority", "pk"
        )
        for call in calls:
            story = self.stories.get(call.enrolment_id)
            if story is None:
                continue
            if story.unreachable:
                self.unanswered(call, story, day)
                continue
            self.work(call, day)

    def attempt(self, call: PlannedCall, when: dt.datetime, outcome: str, notes: str) -> None:
        self.clock.at = when
        record_attempt(self.by_id[call.assignee_id], call=call, outcome=outcome, notes=notes)

    def work(self, call: PlannedCall, day: dt.date) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return  # not called that day: carried over, then closed as not reached
        first = local(day, self.at(call.window_start, _shift(call.window_end, -20)))
        later = first + dt.timedelta(minutes=rng.randint(120, 200))
        failed = rng.choice([CallAttempt.Outcome.NO_ANSWER] * 3 + [CallAttempt.Outcome.BUSY])
        if roll < 0.16:
            self.attempt(call, first, failed, rng.choice(FAILED_NOTES))
            self.attempt(call, later, CallAttempt.Outcome.ANSWERED, rng.choice(ANSWERED_NOTES))
        elif roll < 0.18:
            self.attempt(call, first, failed, "")
            self.attempt(call, later, CallAttempt.Outcome.NO_ANSWER, rng.choice(FAILED_NOTES))
            self.attempt(
                call,
                later + dt.timedelta(minutes=rng.randint(90, 150)),
                CallAttempt.Outcome.ANSWERED,
                rng.choice(ANSWERED_NOTES),
            )
        elif roll < 0.19:
            self.attempt(call, first, CallAttempt.Outcome.REFUSED, REFUSED_NOTES[0])
        else:
            self.attempt(call, first, CallAttempt.Outcome.ANSWERED, rng.choice(ANSWERED_NOTES))

    def unanswered(self, call: PlannedCall, story: Story, day: dt.date) -> None:
        """The unreachable person: answers as usual, then nothing in the last week (three
        failed attempts in a row: the programme's escalation alert)."""
        days_back = (self.today - day).days
        if days_back > 7:
            self.work(call, day)
            return
        tries = 1 if days_back > 3 else 2
        when = local(day, self.at(call.window_start, _shift(call.window_end, -30)))
        outcomes = [CallAttempt.Outcome.NO_ANSWER, CallAttempt.Outcome.BUSY]
        for n in range(tries):
            self.attempt(call, when, outcomes[n % 2], FAILED_NOTES[2])
            when += dt.timedelta(minutes=150)

    def today_calls(self) -> int:
        """Today's calls (as the morning job), and the first tries if the morning is over."""
        with quietly("prossimo.programmes.calls"):
            created = generate_due_calls(self.today)
        now = timezone.localtime()
        if now.time() < _T(10, 30):
            return created
        volunteer = self.users["volontario"]
        calls = list(
            PlannedCall.objects.filter(
                assignee=volunteer,
                due_on=self.today,
                status=PlannedCall.Status.DUE,
                attempts=0,
                window_start__lt=_T(10, 0),
            ).order_by("window_start", "pk")[:2]
        )
        outcomes = [
            (CallAttempt.Outcome.ANSWERED, ANSWERED_NOTES[0]),
            (CallAttempt.Outcome.NO_ANSWER, FAILED_NOTES[2]),
        ]
        with replaying(self.clock):
            for n, (call, (outcome, notes)) in enumerate(zip(calls, outcomes, strict=False)):
                if self.stories.get(call.enrolment_id) is None:
                    continue
                when = local(self.today, call.window_start) + dt.timedelta(minutes=7 + 20 * n)
                self.attempt(call, min(when, now - dt.timedelta(minutes=5)), outcome, notes)
        return created


def _referred(story: Story) -> Enrolment:
    """The story's enrolment, once the referral has been replayed."""
    if story.enrolment is None:
        raise RuntimeError(f"{story.person.pk} is not referred yet: events out of order")
    return story.enrolment


def _shift(time: dt.time, minutes: int) -> dt.time:
    moved = dt.datetime.combine(dt.date(2000, 1, 1), time) + dt.timedelta(minutes=minutes)
    return moved.time()


# --- entry points -------------------------------------------------------------------------


def ensure_programmes_run(organisations: dict[str, Organisation], names: dict[str, str]) -> None:
    """Telefonia Sociale is run by the association, Servizi di Prossimità by the cooperative
    (added to whatever organisations already run them)."""
    for code, org_name in names.items():
        programme = Programme.objects.filter(code=code).first()
        if programme is not None:
            programme.organisations.add(organisations[org_name])


def candidates(person_ids: Sequence[Any], social_worker: User) -> list[Person]:
    """The demo people the social worker may refer, in the order of the seeded sequence:
    active, visible to them, not having withdrawn their consent to calls, and not referred to
    any programme yet (by someone trying an older demo, say)."""
    withdrew = Consent.objects.filter(kind=Consent.Kind.CALLS, withdrawn_on__isnull=False).values(
        "person_id"
    )
    found = {
        person.pk: person
        for person in Person.objects.visible_to(social_worker)
        .filter(pk__in=list(person_ids), is_active=True)
        .exclude(pk__in=withdrew)
        .exclude(pk__in=Enrolment.objects.values("person_id"))
        .select_related("municipality")
    }
    return [found[pk] for pk in person_ids if pk in found]


def history_exists(users: dict[str, User]) -> bool:
    return Enrolment.objects.filter(
        programme__code=TELEFONIA, referred_by=users["assistente"]
    ).exists()


def replay_history(
    users: dict[str, User], person_ids: Sequence[Any], *, today: dt.date | None = None
) -> Counts:
    """Replay the weeks of referrals, taking in charge and calls; then plan today's calls.

    Run inside a transaction. When the history exists already, only today's calls are planned
    (idempotent: nothing when they are already there)."""
    counts = Counts()
    today = today or timezone.localdate()
    telefonia = Programme.objects.filter(code=TELEFONIA, is_active=True).first()
    if telefonia is None:
        return counts
    calls_before = PlannedCall.objects.count()
    if history_exists(users):
        with quietly("prossimo.programmes.calls"):
            generate_due_calls(today)
        counts.calls = PlannedCall.objects.count() - calls_before
        return counts
    attempts_before = CallAttempt.objects.count()
    alerts_before = Alert.objects.count()
    people = candidates(person_ids, users["assistente"])
    stories = Stories(users, today)
    telefonia_stories = stories.telefonia(
        telefonia, people[: max(0, len(people) - PROSSIMITA_ONLY)]
    )
    prossimita = Programme.objects.filter(code=PROSSIMITA, is_active=True).first()
    prossimita_stories: list[Story] = []
    if prossimita is not None and people:
        # Those not referred to Telefonia Sociale, and as many who are in it as well.
        chosen = people[-PROSSIMITA_ONLY:] + [s.person for s in telefonia_stories[:PROSSIMITA_ONLY]]
        prossimita_stories = stories.prossimita(prossimita, chosen)
    replay = Replay(users, today, Clock())
    for story in telefonia_stories + prossimita_stories:
        replay.schedule(story)
    replay.schedule_absences()
    replay.schedule_days()
    replay.run()
    replay.today_calls()
    counts.enrolments = len(replay.stories)
    counts.calls = PlannedCall.objects.count() - calls_before
    counts.attempts = CallAttempt.objects.count() - attempts_before
    counts.alerts = Alert.objects.count() - alerts_before
    return counts
