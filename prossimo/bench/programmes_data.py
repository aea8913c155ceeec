"""Synthetic data of the social telephone service: people in charge, call plans, calls, absences.

The `programmes` data part (see `prossimo.bench.programmes` for the benchmarks using it).

Shape (realistic, not real): `CallsScale.enrolments` active enrolments (100,000 at full), each
of a different person of the registry, 80% in Telefonia Sociale and 20% in Servizi di
Prossimità, in charge of the cooperative of the person's province, each with an active call
plan. Telefonia Sociale plans call weekly on one day (45%) or two (30%), almost always Monday
to Friday, or every N days (25%: from every day to every two weeks); Servizi di Prossimità's
mostly every 14 days. Windows of two or three hours, morning or afternoon, a few all day;
priority mostly normal. Around them: suspended enrolments whose plan waits, closed ones whose
plan is off, referrals not yet in charge (no plan). Each cooperative has a volunteer per
`PLANS_PER_VOLUNTEER` plans (at least two); most plans have a backup. About 4% of volunteers
are away on the generation day (some of their backups too); others were away before or will
be later. Two weeks of calls as the daily job and the volunteers left them: done (an answered
attempt, sometimes after a failed one, often with a note), not reached (three failed attempts,
or none: carried over and given up when the next call came), a few cancelled; a plan's last
call still open for a quarter of the previous day's calls and a few older ones (what the
carry-over closes).

Days. The generation day `G` is the first Monday–Friday on or after the build date; the data
end on `D0`, the Monday–Friday before it (always in the past): the state the morning job of
`G` finds. Stored in the info as `calls_generation_day` and `calls_history_ends`.

The "Chiamate di oggi" volunteers, in the cooperative of Milan: `BENCH_CALLER` holds exactly
`CallsScale.worklist` open calls on `D0`: most due that day on his own plans, a few left from
one or two working days before, some as the backup of `ABSENT_COLLEAGUE` (away); the people
behind them have a history of calls, often open needs at the cooperative, and a quarter of
today's calls already have a failed try. `FLOOR_CALLER` holds `CallsScale.floor_worklist`
the same way. Their plans are weekly on the day of their call or every 7 or 14 days from it,
so none is due on `G`: generating `G`'s calls never touches them. The worklist benchmark moves
their open calls to the day it runs (`calls_worklist_day` in the info).

A module of its own: the cached data depend on its source (`data.fingerprint`), not on the
benchmarks', which can change without rebuilding a million people.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from prossimo.bench.data import BENCH_PROVINCE, BuildContext, data_part

BENCH_CALLER = "bench.telefonista"
FLOOR_CALLER = "bench.telefonista.pochi"
ABSENT_COLLEAGUE = "bench.telefonista.assente"
HISTORY_DAYS = 14
PLANS_PER_VOLUNTEER = 40
BACKUP_SHARE = 0.85
# Shares of enrolments besides the active ones (relative to the active count).
SUSPENDED_SHARE = 0.04
CLOSED_SHARE = 0.08
REFERRED_SHARE = 0.03
PROXIMITY_SHARE = 0.2  # enrolments in Servizi di Prossimità; the rest in Telefonia Sociale


@dataclass(frozen=True)
class CallsScale:
    enrolments: int  # active enrolments, each with an active call plan
    worklist: int  # open calls of BENCH_CALLER on the measured day
    floor_worklist: int  # open calls of FLOOR_CALLER


CALLS_SCALES = {
    "tiny": CallsScale(enrolments=300, worklist=60, floor_worklist=20),
    "small": CallsScale(enrolments=5_000, worklist=200, floor_worklist=20),
    "full": CallsScale(enrolments=100_000, worklist=200, floor_worklist=20),
}

# Weekday weights of weekly plans (Monday first): hardly ever at the weekend.
WEEKDAY_WEIGHTS = (20, 20, 20, 20, 18, 2, 0)
# Every N days: (N, weight).
EVERY_N = ((1, 8), (2, 10), (3, 18), (7, 20), (10, 14), (14, 30))
WINDOWS = (
    ((9, 0), (12, 0), 22), ((9, 30), (11, 30), 10), ((10, 0), (12, 0), 18),
    ((10, 0), (13, 0), 8), ((14, 0), (17, 0), 12), ((15, 0), (18, 0), 14),
    ((16, 0), (19, 0), 8), ((9, 0), (18, 0), 8),
)  # fmt: skip
PRIORITIES = ((1, 15), (2, 70), (3, 15))
REASONS = (
    "Vive sola, poche visite dei familiari", "Anziano solo dopo la morte della moglie",
    "Segnalata dal medico di base per isolamento", "Dimesso da poco dall'ospedale",
    "Figli lontani, difficoltà a uscire di casa", "Caregiver stanco, chiede sostegno",
    "Ha smesso di frequentare il centro anziani", "Segnalata dai vicini di casa",
)  # fmt: skip
FRAGILITIES = (
    "", "", "Difficoltà a camminare", "Ipoacusia: parlare lentamente",
    "Lieve decadimento cognitivo", "Diabetica, terapia insulinica", "Non vedente",
    "Usa il deambulatore", "Depressione dopo il lutto",
)  # fmt: skip
CONTACT_TIMES = ("", "mattina", "dopo pranzo", "non prima delle 10", "pomeriggio", "")
CALL_NOTES = (
    "Sta bene, ha ricevuto la visita della figlia", "Si lamenta del dolore al ginocchio",
    "Chiede informazioni sul trasporto per la visita", "Umore basso, si sente sola",
    "Ha ritirato i farmaci in farmacia", "Contenta della chiamata, parla dei nipoti",
    "Non ha fatto la spesa questa settimana", "Aspetta la badante lunedì",
    "Ha bisogno di aiuto con una bolletta", "Racconta della passeggiata al parco",
)  # fmt: skip
ABSENCE_NOTES = ("ferie", "malattia", "", "impegni familiari", "")
FAILED = ("no_answer", "no_answer", "no_answer", "busy", "wrong_number")
RETRY_MINUTES = 120


def working_day(day: dt.date, step: int) -> dt.date:
    """The Monday–Friday `step` working days after `day` (before it when negative); with
    `step` 0, `day` itself if it is one, else the next."""
    if step == 0:
        while day.isoweekday() > 5:
            day += dt.timedelta(days=1)
        return day
    sign = 1 if step > 0 else -1
    for _ in range(abs(step)):
        day += dt.timedelta(days=sign)
        while day.isoweekday() > 5:
            day += dt.timedelta(days=sign)
    return day


def days_of(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def bit(day: dt.date) -> int:
    return 1 << (day.isoweekday() - 1)


@dataclass
class Plan:
    """A call plan and what its calls copy from it and from the enrolment."""

    enrolment: Any
    person: Any
    organisation: int
    rhythm: str  # "weekly" or "every_n_days"
    weekdays: int
    interval: int | None
    starts_on: dt.date
    window: tuple[dt.time, dt.time]
    priority: int
    volunteer: int
    backup: int | None
    is_active: bool = True
    id: int = 0

    def due(self, day: dt.date) -> bool:
        """The rule of `calls.generate_due_calls` (plan and enrolment activity apart)."""
        if day < self.starts_on:
            return False
        if self.rhythm == "weekly":
            return bool(self.weekdays & bit(day))
        return self.interval is not None and (day - self.starts_on).days % self.interval == 0


class CallRows:
    """Enrolments, plans, calls, attempts and absences as tuples for `BulkLoader.insert`."""

    ENROLMENT = (
        "id", "created_at", "updated_at", "programme_id", "person_id", "organisation_id",
        "referred_by_id", "referring_organisation_id", "referred_at", "reason",
        "fragility_notes", "preferred_contact_times", "consent", "consent_recorded_at", "state",
        "state_changed_at", "coordinator_id", "suspended_until", "closed_reason", "version",
    )  # fmt: skip
    PLAN = (
        "id", "created_at", "updated_at", "enrolment_id", "rhythm", "weekdays", "interval_days",
        "starts_on", "window_start", "window_end", "priority", "volunteer_id", "backup_id",
        "is_active", "version",
    )  # fmt: skip
    CALL = (
        "id", "created_at", "updated_at", "plan_id", "enrolment_id", "person_id",
        "organisation_id", "due_on", "window_start", "window_end", "priority", "assignee_id",
        "by_backup", "status", "attempts", "next_attempt_at", "completed_at", "version",
    )  # fmt: skip
    ATTEMPT = (
        "id", "created_at", "updated_at", "call_id", "enrolment_id", "at", "by_id", "outcome",
        "contact_id", "notes",
    )  # fmt: skip
    ABSENCE = (
        "created_at", "updated_at", "user_id", "starts_on", "ends_on", "note", "recorded_by_id",
    )  # fmt: skip

    def __init__(
        self,
        loader: Any,
        rng: random.Random,
        *,
        now: dt.datetime,
        history_ends: dt.date,
        first_plan_id: int = 1,
    ) -> None:
        from django.utils import timezone

        self.loader = loader
        self.rng = rng
        self.now = now
        self.zone = timezone.get_current_timezone()
        self.history_ends = history_ends
        self.next_plan_id = first_plan_id
        self.away: dict[int, list[tuple[dt.date, dt.date]]] = {}
        self.enrolments: list[tuple] = []
        self.plans: list[tuple] = []
        self.calls: list[tuple] = []
        self.attempts: list[tuple] = []
        self.absences: list[tuple] = []
        self.counts = {"enrolments": 0, "plans": 0, "calls": 0, "attempts": 0, "absences": 0}
        self.open_calls = 0

    # values ------------------------------------------------------------------------------

    def _id(self) -> Any:
        return self.loader.uuid(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """A moment of a day, local time, never after the build."""
        moment = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone) + dt.timedelta(
            hours=hour, minutes=minute
        )
        return min(moment, self.now)

    def _db(self, moment: dt.datetime | None) -> Any:
        return None if moment is None else self.loader.datetime(moment)

    # rows --------------------------------------------------------------------------------

    def absence(self, user: int, starts_on: dt.date, ends_on: dt.date, recorded_by: Any) -> None:
        self.away.setdefault(user, []).append((starts_on, ends_on))
        stamp = self._db(self.at(min(starts_on, self.now.date()) - dt.timedelta(days=2), 9))
        note = self.rng.choice(ABSENCE_NOTES)
        self.absences.append(
            (stamp, stamp, user, starts_on.isoformat(), ends_on.isoformat(), note, recorded_by)
        )
        self.counts["absences"] += 1

    def absent(self, user: int | None, day: dt.date) -> bool:
        return user is not None and any(s <= day <= e for s, e in self.away.get(user, ()))

    def enrolment(
        self,
        *,
        programme: int,
        person: Any,
        organisation: int,
        coordinator: int | None,
        state: str,
        since: dt.date,
        suspended_until: dt.date | None = None,
        closed_reason: str = "",
    ) -> Any:
        """An enrolment taken in charge on `since` (referred a few days to weeks before)."""
        rng = self.rng
        pk = self._id()
        referred = self.at(since - dt.timedelta(days=rng.randint(2, 40)), rng.randint(8, 17))
        changed = self.at(since, rng.randint(8, 17), rng.randrange(60))
        self.enrolments.append(
            (
                pk, self._db(referred), self._db(changed), programme, person, organisation,
                None, None, self._db(referred), rng.choice(REASONS), rng.choice(FRAGILITIES),
                rng.choice(CONTACT_TIMES), "given", self._db(referred), state, self._db(changed),
                coordinator, suspended_until.isoformat() if suspended_until else None,
                closed_reason, 2 if state == "active" else 3,
            )
        )  # fmt: skip
        self.counts["enrolments"] += 1
        return pk

    def plan(self, plan: Plan) -> Plan:
        plan.id = self.next_plan_id
        self.next_plan_id += 1
        stamp = self._db(self.at(min(plan.starts_on, self.now.date()) - dt.timedelta(days=3), 11))
        self.plans.append(
            (
                plan.id, stamp, stamp, plan.enrolment, plan.rhythm, plan.weekdays,
                plan.interval, plan.starts_on.isoformat(), plan.window[0].isoformat(),
                plan.window[1].isoformat(), plan.priority, plan.volunteer, plan.backup,
                plan.is_active, 1,
            )
        )  # fmt: skip
        self.counts["plans"] += 1
        return plan

    def history(self, plan: Plan, *, since: dt.date, last: str | None = None) -> int:
        """The plan's calls from `since` to the end of the history, as the daily job made them
        and the volunteers left them. `last` forces the state of the latest: "open" or
        "closed"; by default it is open for a quarter of the last day's calls and a few
        older ones. Returns how many calls."""
        rng = self.rng
        days = [d for d in days_of(max(since, plan.starts_on), self.history_ends) if plan.due(d)]
        for i, day in enumerate(days):
            if i + 1 < len(days):
                self.call(plan, day, open_=False, closed_by=days[i + 1])
            elif last is not None:
                self.call(plan, day, open_=last == "open", closed_by=None)
            else:
                share = 0.25 if day == self.history_ends else 0.08
                self.call(plan, day, open_=rng.random() < share, closed_by=None)
        return len(days)

    def call(self, plan: Plan, day: dt.date, *, open_: bool, closed_by: dt.date | None) -> Any:
        """One planned call of `day`: open (maybe tried already), or closed."""
        rng = self.rng
        pk = self._id()
        if self.absent(plan.volunteer, day) and plan.backup and not self.absent(plan.backup, day):
            assignee, by_backup = plan.backup, True
        else:
            assignee, by_backup = plan.volunteer, False
        created = self.at(day, 4, 30)
        start = plan.window[0]
        first = (start.hour, start.minute + rng.randrange(60))
        outcomes: list[str] = []
        completed = next_attempt = None
        if open_:
            status = "due"
            if rng.random() < 0.25:
                outcomes = [rng.choice(FAILED) for _ in range(rng.randint(1, 2))]
            self.open_calls += 1
        else:
            roll = rng.random()
            if roll < 0.88:
                status = "done"
                outcomes = ["answered"] if rng.random() < 0.8 else [rng.choice(FAILED), "answered"]
            elif roll < 0.985:
                status = "not_reached"
                outcomes = [rng.choice(FAILED) for _ in range(3)] if rng.random() < 0.75 else []
            else:
                status = "cancelled"
        moments = [
            self.at(day, first[0], first[1] + k * (RETRY_MINUTES + rng.randrange(20)))
            for k in range(len(outcomes))
        ]
        if status == "due" and moments:
            next_attempt = moments[-1] + dt.timedelta(minutes=RETRY_MINUTES)
        elif status == "done" or (status == "not_reached" and moments):
            completed = moments[-1]
        elif status == "not_reached":  # nobody tried: closed by the next call's generation
            completed = self.at(closed_by or day + dt.timedelta(days=1), 4, 30)
        elif status == "cancelled":
            completed = None
        changed = completed or (moments[-1] if moments else created)
        self.calls.append(
            (
                pk, self._db(created), self._db(changed), plan.id, plan.enrolment, plan.person,
                plan.organisation, day.isoformat(), plan.window[0].isoformat(),
                plan.window[1].isoformat(), plan.priority, assignee, by_backup, status,
                len(outcomes), self._db(next_attempt), self._db(completed),
                1 + len(outcomes) + (1 if status == "not_reached" and not outcomes else 0),
            )
        )  # fmt: skip
        for outcome, moment in zip(outcomes, moments, strict=True):
            note = rng.choice(CALL_NOTES) if outcome == "answered" and rng.random() < 0.6 else ""
            stamp = self._db(moment)
            self.attempts.append(
                (self._id(), stamp, stamp, pk, plan.enrolment, stamp, assignee, outcome, None, note)
            )
        self.counts["calls"] += 1
        self.counts["attempts"] += len(outcomes)
        return pk

    # loading -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Insert what was generated so far (parents first) and forget it."""
        from prossimo.programmes.models import (
            Absence,
            CallAttempt,
            CallPlan,
            Enrolment,
            PlannedCall,
        )

        for model, columns, rows in (
            (Enrolment, self.ENROLMENT, self.enrolments),
            (CallPlan, self.PLAN, self.plans),
            (PlannedCall, self.CALL, self.calls),
            (CallAttempt, self.ATTEMPT, self.attempts),
            (Absence, self.ABSENCE, self.absences),
        ):
            if rows:
                self.loader.insert(model, columns, rows)
            rows.clear()


# --- random plans ---------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _window(rng: random.Random) -> tuple[dt.time, dt.time]:
    start, end, _ = rng.choices(WINDOWS, weights=[w for *_, w in WINDOWS])[0]
    return dt.time(*start), dt.time(*end)


def random_rhythm(rng: random.Random, *, proximity: bool) -> tuple[str, int, int | None]:
    """(rhythm, weekday mask, interval) of a plan of Telefonia Sociale or of Servizi di
    Prossimità."""
    roll = rng.random()
    if proximity:
        if roll < 0.7:
            return "every_n_days", 0, 14
        roll = 0.0  # weekly, one day
    if roll < 0.45:
        day = rng.choices(range(1, 8), weights=WEEKDAY_WEIGHTS)[0]
        return "weekly", 1 << (day - 1), None
    if roll < 0.75:
        first, second = 0, 0
        while first == second:
            first, second = rng.choices(range(1, 8), weights=WEEKDAY_WEIGHTS, k=2)
        return "weekly", (1 << (first - 1)) | (1 << (second - 1)), None
    return "every_n_days", 0, _weighted(rng, EVERY_N)


def random_start(rng: random.Random, history_ends: dt.date) -> dt.date:
    """First call: mostly months ago, some during the history, a few in the coming days."""
    roll = rng.random()
    if roll < 0.85:
        return history_ends - dt.timedelta(days=rng.randint(HISTORY_DAYS + 1, 400))
    if roll < 0.95:
        return history_ends - dt.timedelta(days=rng.randrange(HISTORY_DAYS))
    return history_ends + dt.timedelta(days=rng.randint(1, 10))


# --- the bench volunteers ---------------------------------------------------------------------


@dataclass
class Worklist:
    """How a bench volunteer's open calls split: due on the day on their own plans, left
    from one or two working days before, as the backup of an absent colleague; and plans of
    theirs with no call open."""

    today: int
    overdue: int
    as_backup: int
    quiet: int

    @property
    def total(self) -> int:
        return self.today + self.overdue + self.as_backup

    @classmethod
    def of(cls, calls: int, *, backup: bool) -> Worklist:
        overdue = max(1, calls // 25)
        as_backup = max(1, calls * 6 // 100) if backup else 0
        return cls(calls - overdue - as_backup, overdue, as_backup, max(2, calls * 15 // 100))


def bench_plans(
    rows: CallRows,
    worklist: Worklist,
    *,
    caller: int,
    colleague: int | None,
    backups: Sequence[int],
    people: Iterator[Any],
    enrol: Any,
    generation_day: dt.date,
) -> None:
    """A bench volunteer's plans and their history: exactly `worklist.total` calls open.

    Plans are weekly on the day of their open call, or every 7 or 14 days from it: none is
    due on `generation_day` (at most three days after the history ends), and their only open
    call is their latest (the worklist benchmark can move it to another day)."""
    rng = rows.rng
    d0 = rows.history_ends
    since = d0 - dt.timedelta(days=HISTORY_DAYS - 1)

    def plan(call_day: dt.date, volunteer: int, backup: int | None, last: str) -> None:
        roll = rng.random()
        if roll < 0.75:
            rhythm, mask, interval = "weekly", bit(call_day), None
            starts = call_day - dt.timedelta(days=rng.randint(30, 300))
        else:
            interval = 7 if roll < 0.9 else 14
            rhythm, mask = "every_n_days", 0
            starts = call_day - dt.timedelta(days=interval * rng.randint(3, 30))
        person, organisation, enrolment = enrol(next(people))
        p = rows.plan(
            Plan(
                enrolment=enrolment, person=person, organisation=organisation, rhythm=rhythm,
                weekdays=mask, interval=interval, starts_on=starts, window=_window(rng),
                priority=_weighted(rng, PRIORITIES), volunteer=volunteer, backup=backup,
            )
        )  # fmt: skip
        if p.due(generation_day):
            raise AssertionError("A bench plan must not be due on the generation day.")
        rows.history(p, since=since, last=last)

    for _ in range(worklist.today):
        plan(d0, caller, rng.choice(backups), "open")
    for i in range(worklist.overdue):
        plan(working_day(d0, -1 - i % 2), caller, rng.choice(backups), "open")
    for _ in range(worklist.as_backup):
        if colleague is None:
            raise ValueError("Calls as the backup need an absent colleague.")
        plan(d0, colleague, caller, "open")
    quiet_days = [
        d
        for d in days_of(d0 - dt.timedelta(days=6), d0 - dt.timedelta(days=1))
        if d.isoweekday() <= 5 and d.isoweekday() != generation_day.isoweekday()
    ]
    for _ in range(worklist.quiet):
        plan(rng.choice(quiet_days), caller, rng.choice(backups), "closed")


# --- the data part --------------------------------------------------------------------------


def _rows(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _cooperatives() -> dict[int, int]:
    """The cooperative serving each province (through its ambiti): province id → org id."""
    from prossimo.territory.models import Organisation

    pairs = (
        Organisation.objects.filter(kind=Organisation.Kind.COOPERATIVE, is_active=True)
        .values_list("ambiti__municipalities__province_id", "pk")
        .distinct()
        .order_by("pk")
    )
    return {province: org for province, org in pairs if province is not None}


def _make_callers(
    rng: random.Random, plans_per_org: dict[int, int], bench_org: int
) -> tuple[dict[int, list[int]], dict[str, int]]:
    """A volunteer per PLANS_PER_VOLUNTEER plans of each cooperative (at least two), and the
    bench volunteers in the bench cooperative; through the ORM (a few thousand rows)."""
    from prossimo.core.models import User
    from prossimo.core.permissions import Role
    from prossimo.territory.models import Membership

    names: list[tuple[str, int]] = []
    for org, plans in sorted(plans_per_org.items()):
        count = max(2, math.ceil(plans / PLANS_PER_VOLUNTEER))
        names += [(f"tel{org}.{i}", org) for i in range(count)]
    bench = [(BENCH_CALLER, bench_org), (FLOOR_CALLER, bench_org), (ABSENT_COLLEAGUE, bench_org)]
    first = ("Anna", "Luca", "Giulia", "Marco", "Paola", "Sergio", "Elena", "Davide", "Rita")
    last = ("Colombo", "Ferrari", "Ricci", "Galli", "Conti", "Villa", "Fontana", "Moretti")
    users = [
        User(
            username=name,
            password="!bench",  # noqa: S106
            first_name=rng.choice(first),
            last_name=rng.choice(last),
        )
        for name, _ in (*names, *bench)
    ]
    User.objects.bulk_create(users)
    ids = {u.username: u.pk for u in User.objects.filter(username__in=[u.username for u in users])}
    Membership.objects.bulk_create(
        Membership(user_id=ids[name], organisation_id=org, role=Role.VOLUNTEER)
        for name, org in (*names, *bench)
    )
    by_org: dict[int, list[int]] = {}
    for name, org in names:
        by_org.setdefault(org, []).append(ids[name])
    return by_org, {name: ids[name] for name, _ in bench}


@data_part("programmes")
def build_calls(ctx: BuildContext) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from prossimo.bench.listening_data import ListeningRows
    from prossimo.core.permissions import Role
    from prossimo.listening.models import NeedCategory
    from prossimo.people.models import Person
    from prossimo.programmes.models import (
        Absence,
        CallAttempt,
        CallPlan,
        Enrolment,
        PlannedCall,
        Programme,
    )
    from prossimo.territory.models import Membership, Municipality, Province

    config = CALLS_SCALES[ctx.scale.name]
    rng = ctx.rng("programmes")
    now = timezone.now().replace(microsecond=0)
    generation_day = working_day(timezone.localdate(now), 0)
    d0 = working_day(generation_day, -1)
    since = d0 - dt.timedelta(days=HISTORY_DAYS - 1)

    telefonia = Programme.objects.get(code="telefonia-sociale")
    proximity = Programme.objects.get(code="servizi-prossimita")
    coops = _cooperatives()
    bench_province = Province.objects.get(abbreviation=BENCH_PROVINCE).pk
    bench_org = coops[bench_province]
    coordinators = dict(
        Membership.objects.filter(role=Role.COORDINATOR)
        .order_by("-user_id")
        .values_list("organisation_id", "user_id")
    )
    people = _rows(
        f"SELECT p.id, m.province_id FROM {Person._meta.db_table} p"
        f" JOIN {Municipality._meta.db_table} m ON m.id = p.municipality_id"
        " WHERE p.is_active AND p.merged_into_id IS NULL ORDER BY p.id"
    )
    people = [(pk, province) for pk, province in people if province in coops]

    # Who is enrolled: the bench volunteers' people from Milan first, then anyone.
    bench_lists = {
        BENCH_CALLER: Worklist.of(config.worklist, backup=True),
        FLOOR_CALLER: Worklist.of(config.floor_worklist, backup=False),
    }
    bench_count = sum(w.total + w.quiet for w in bench_lists.values())
    extra = round(config.enrolments * (SUSPENDED_SHARE + CLOSED_SHARE + REFERRED_SHARE))
    wanted = config.enrolments + extra
    if wanted > len(people):
        raise ValueError(f"{len(people)} people cannot hold {wanted} enrolments.")
    order = list(range(len(people)))
    rng.shuffle(order)
    order.sort(key=lambda i: people[i][1] != bench_province)  # stable: Milan first, shuffled
    bench_people = [people[i][0] for i in order[:bench_count]]
    rest = [people[i] for i in rng.sample(order[bench_count:], wanted - bench_count)]

    # The other enrolments: active (with a plan), suspended (plan waiting), closed (plan
    # off), referred (no plan); counted per cooperative to staff it.
    kinds = ["active"] * (config.enrolments - bench_count)
    kinds += ["suspended"] * round(config.enrolments * SUSPENDED_SHARE)
    kinds += ["closed"] * round(config.enrolments * CLOSED_SHARE)
    kinds += ["referred"] * (len(rest) - len(kinds))
    rng.shuffle(kinds)
    plans_per_org: dict[int, int] = dict.fromkeys(sorted(set(coops.values())), 0)
    for (_, province), kind in zip(rest, kinds, strict=True):
        if kind == "active":
            plans_per_org[coops[province]] += 1
    callers, bench_users = _make_callers(rng, plans_per_org, bench_org)
    caller, floor_caller = bench_users[BENCH_CALLER], bench_users[FLOOR_CALLER]
    colleague = bench_users[ABSENT_COLLEAGUE]
    # The bench cooperative's own volunteers are the bench volunteers' backups.
    bench_backups = callers[bench_org]

    loader = ctx.loader
    rows = CallRows(loader, rng, now=now, history_ends=d0)
    # Absences: some volunteers away on the generation day (for up to two weeks before and
    # after), some earlier, some later; the absent colleague of the bench volunteer.
    away_today = 0
    for org in sorted(callers):
        for user in callers[org]:
            roll = rng.random()
            if roll < 0.04:
                start = generation_day - dt.timedelta(days=rng.randint(0, 10))
                rows.absence(
                    user, start, generation_day + dt.timedelta(days=rng.randint(0, 14)),
                    coordinators.get(org),
                )  # fmt: skip
                away_today += 1
            elif roll < 0.10:
                start = d0 - dt.timedelta(days=rng.randint(15, 90))
                rows.absence(
                    user, start, start + dt.timedelta(days=rng.randint(2, 14)),
                    coordinators.get(org),
                )  # fmt: skip
            elif roll < 0.13:
                start = generation_day + dt.timedelta(days=rng.randint(2, 40))
                rows.absence(
                    user, start, start + dt.timedelta(days=rng.randint(2, 14)),
                    coordinators.get(org),
                )  # fmt: skip
    rows.absence(
        colleague, d0 - dt.timedelta(days=2), generation_day + dt.timedelta(days=6),
        coordinators.get(bench_org),
    )  # fmt: skip

    counts = {"active": 0, "suspended": 0, "closed": 0, "referred": 0}
    history_calls = 0
    with (
        transaction.atomic(),
        loader.indexes_deferred(Enrolment, CallPlan, PlannedCall, CallAttempt, Absence),
    ):
        for i, ((person, province), kind) in enumerate(zip(rest, kinds, strict=True)):
            org = coops[province]
            is_proximity = rng.random() < PROXIMITY_SHARE
            starts = random_start(rng, d0)
            taken = min(starts, d0) - dt.timedelta(days=rng.randint(0, 7))
            state = kind if kind in ("active", "suspended", "closed") else None
            if state is None:
                state = "referred" if rng.random() < 0.6 else "contact_attempted"
            enrolment = rows.enrolment(
                programme=(proximity if is_proximity else telefonia).pk,
                person=person, organisation=org, coordinator=coordinators.get(org),
                state=state, since=taken,
                suspended_until=generation_day + dt.timedelta(days=rng.randint(3, 40))
                if kind == "suspended" else None,
                closed_reason=rng.choice(("goals_met", "moved", "deceased", "refused"))
                if kind == "closed" else "",
            )  # fmt: skip
            counts[kind] += 1
            if kind == "referred":
                continue
            team = callers[org]
            volunteer = rng.choice(team)
            backup = None
            if len(team) > 1 and rng.random() < BACKUP_SHARE:
                backup = volunteer
                while backup == volunteer:
                    backup = rng.choice(team)
            rhythm, mask, interval = random_rhythm(rng, proximity=is_proximity)
            plan = rows.plan(
                Plan(
                    enrolment=enrolment, person=person, organisation=org, rhythm=rhythm,
                    weekdays=mask, interval=interval, starts_on=starts, window=_window(rng),
                    priority=_weighted(rng, PRIORITIES), volunteer=volunteer, backup=backup,
                    is_active=kind != "closed",
                )
            )  # fmt: skip
            if kind == "active":
                history_calls += rows.history(plan, since=since)
            if i % 20_000 == 19_999:
                rows.flush()
                ctx.log(f"  enrolments {i + 1:,}/{len(rest):,}")

        # The bench volunteers' people, plans and calls.
        def enrol(person: Any) -> tuple[Any, int, Any]:
            enrolment = rows.enrolment(
                programme=telefonia.pk, person=person, organisation=bench_org,
                coordinator=coordinators.get(bench_org), state="active",
                since=d0 - dt.timedelta(days=rng.randint(60, 400)),
            )  # fmt: skip
            return person, bench_org, enrolment

        counts["active"] += bench_count
        people_iter = iter(bench_people)
        open_before = rows.open_calls
        for username, target in ((BENCH_CALLER, caller), (FLOOR_CALLER, floor_caller)):
            bench_plans(
                rows, bench_lists[username], caller=target, colleague=colleague,
                backups=bench_backups, people=people_iter, enrol=enrol,
                generation_day=generation_day,
            )  # fmt: skip
        if rows.open_calls - open_before != sum(w.total for w in bench_lists.values()):
            raise AssertionError("The bench volunteers' open calls are not the ones planned.")
        rows.flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = CallPlan._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"
            )
    Programme.organisations.through.objects.bulk_create(
        Programme.organisations.through(programme_id=programme.pk, organisation_id=org)
        for programme in (telefonia, proximity)
        for org in sorted(set(coops.values()))
    )

    # Open needs at the cooperative for a third of the bench volunteers' people.
    categories = list(
        NeedCategory.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    needs = ListeningRows(loader, rng, now=now, categories=categories)
    for person in bench_people:
        if rng.random() < 0.35:
            when = needs.ago(days=40)
            contact = needs.contact(
                organisation=bench_org, operator=rng.choice([caller, *bench_backups]),
                person=person, when=when, municipalities=[], outcomes=["information"],
            )  # fmt: skip
            for _ in range(rng.choice((1, 1, 2))):
                status = rng.choice(("open", "in_progress"))
                needs.need(
                    contact, when=when, status=status,
                    owner=caller if status == "in_progress" else rng.choice((None, caller)),
                    owner_organisation=bench_org,
                )  # fmt: skip
    with transaction.atomic():
        needs.flush()

    ctx.log(
        "  programmes: "
        + ", ".join(f"{k} {v:,}" for k, v in rows.counts.items())
        + f"; {away_today} volunteers away on {generation_day}"
    )
    return {
        "calls_built_at": now.isoformat(),
        "calls_history_ends": d0.isoformat(),
        "calls_generation_day": generation_day.isoformat(),
        "calls_worklist_day": d0.isoformat(),
        "calls_active_enrolments": counts["active"],
        "calls_enrolments": dict(counts),
        "calls_rows": dict(rows.counts),
        "calls_history": history_calls,
        "calls_volunteers": sum(len(team) for team in callers.values()),
        "calls_away_on_generation_day": away_today,
        "calls_worklist": bench_lists[BENCH_CALLER].total,
        "calls_floor_worklist": bench_lists[FLOOR_CALLER].total,
        "calls_bench_needs": needs.counts["needs"],
    }
