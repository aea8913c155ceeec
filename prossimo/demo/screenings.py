"""Demo screenings: people in charge of Telefonia Sociale screened twice, weeks apart.

UCLA-3 and PRISMA-7 for each person long in charge, TFI for one in three, taken by their
volunteer during a call a few days after the taking in charge and again some weeks later,
scores drifting as they do (more better than worse); one person crosses the UCLA-3 threshold
two days ago. Recorded through `record_response` on the replay's clock, so the programme's
escalation rules raise their alerts as they would have. `settle_alerts` then has the
coordinator deal with the alerts the demo raised.

`record_response` is durable (each screening commits, then its escalation rules run): run
outside any transaction. Added only while the demo has no screening.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from prossimo.core.models import User
from prossimo.demo.history import (
    SEED,
    TELEFONIA,
    Clock,
    Counts,
    local,
    replaying,
    weekday_on_or_before,
)
from prossimo.demo.texts import RESOLUTIONS
from prossimo.listening.models import Alert
from prossimo.listening.services import acknowledge_alert, resolve_alert
from prossimo.people.models import Person
from prossimo.programmes.models import Enrolment, EnrolmentTransition
from prossimo.questionnaires.models import Questionnaire, Response
from prossimo.questionnaires.services import record_response
from prossimo.territory.models import Organisation

CONTEXT_PREFIX = "programmes.enrolment:"
#: How many people are screened, among those taken in charge this many days ago or more.
MAX_SCREENED = 30
SCREENED_AFTER_DAYS = 35
#: Alerts younger than this are acknowledged, not resolved yet; older ones were resolved.
OPEN_ALERT_DAYS = 4

# Items of the instruments (ids and option values of `questionnaires/data/*.json`).
UCLA_ITEMS = ("lack_companionship", "left_out", "isolated")
UCLA_VALUES = ("hardly_ever", "some_of_the_time", "often")  # score 1, 2, 3
PRISMA_HEALTH = (
    "health_limits_activities",
    "needs_regular_help",
    "health_keeps_at_home",
    "can_count_on_someone",  # reversed: "no" scores
    "uses_walking_aid",
)
#: TFI items and their (bad, good) answers; `lives_alone` follows the person's record.
TFI_ITEMS = {
    "physically_healthy": ("no", "yes"),
    "unwanted_weight_loss": ("yes", "no"),
    "difficulty_walking": ("yes", "no"),
    "difficulty_balance": ("yes", "no"),
    "poor_hearing": ("yes", "no"),
    "poor_vision": ("yes", "no"),
    "weak_hands": ("yes", "no"),
    "physical_tiredness": ("yes", "no"),
    "memory_problems": ("yes", "sometimes"),
    "felt_down": ("sometimes", "no"),
    "nervous_or_anxious": ("sometimes", "no"),
    "copes_with_problems": ("no", "yes"),
    "misses_people_around": ("yes", "no"),
    "enough_support": ("no", "yes"),
}
REVERSED_PRISMA = {"can_count_on_someone"}


@dataclass
class Screened:
    enrolment: Enrolment
    volunteer: User
    first_on: dt.date
    second_on: dt.date


def _screened(users: dict[str, User], today: dt.date, rng: random.Random) -> list[Screened]:
    """The people long in charge of Telefonia Sociale (taken in charge five weeks ago or more)."""
    by_id = {user.pk: user for user in users.values()}
    taken = {
        enrolment_id: at
        for enrolment_id, at in EnrolmentTransition.objects.filter(
            enrolment__programme__code=TELEFONIA,
            enrolment__referred_by=users["assistente"],
            to_state=Enrolment.State.ACTIVE,
        )
        .order_by("at")
        .values_list("enrolment_id", "at")
    }
    enrolments = (
        Enrolment.objects.filter(pk__in=list(taken), state=Enrolment.State.ACTIVE)
        .select_related("person", "plan")
        .order_by("person_id")
    )
    chosen: list[Screened] = []
    for enrolment in enrolments:
        activated = timezone.localdate(taken[enrolment.pk])
        if (today - activated).days < SCREENED_AFTER_DAYS or len(chosen) >= MAX_SCREENED:
            continue
        plan = getattr(enrolment, "plan", None)
        volunteer = by_id.get(plan.volunteer_id, users["volontario"]) if plan else None
        volunteer = volunteer or users["volontario"]
        first = weekday_on_or_before(activated + dt.timedelta(days=rng.randint(3, 7)))
        second = first + dt.timedelta(days=rng.randint(24, 42))
        second = weekday_on_or_before(min(second, today - dt.timedelta(days=rng.randint(5, 12))))
        chosen.append(Screened(enrolment, volunteer, first, second))
    return chosen


class Answers:
    """Answers to the instruments giving a wanted score, consistent with the person."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def ucla(self, score: int) -> dict[str, str]:
        points = [1, 1, 1]
        for _ in range(max(0, min(9, score) - 3)):
            i = self.rng.choice([i for i in range(3) if points[i] < 3])
            points[i] += 1
        return {item: UCLA_VALUES[p - 1] for item, p in zip(UCLA_ITEMS, points, strict=True)}

    def prisma(self, person: Person, on: dt.date, bad: set[str]) -> dict[str, str]:
        age = (on - person.birth_date).days // 365 if person.birth_date else 80
        answers = {
            "older_than_85": "yes" if age > 85 else "no",
            "male": "yes" if person.sex == "M" else "no",
        }
        for item in PRISMA_HEALTH:
            is_bad = item in bad
            answers[item] = (
                ("no" if is_bad else "yes")
                if item in REVERSED_PRISMA
                else ("yes" if is_bad else "no")
            )
        return answers

    def tfi(self, person: Person, bad: set[str]) -> dict[str, str]:
        answers = {item: values[0 if item in bad else 1] for item, values in TFI_ITEMS.items()}
        answers["lives_alone"] = "yes" if person.lives_alone else "no"
        return answers

    def drift(self, bad: set[str], items: Sequence[str], change: int) -> set[str]:
        """`bad` with `change` items more (positive) or fewer (negative)."""
        bad = set(bad)
        for _ in range(abs(change)):
            pool = sorted(set(items) - bad) if change > 0 else sorted(bad)
            if not pool:
                break
            item = self.rng.choice(pool)
            bad.symmetric_difference_update({item})
        return bad


def screenings_exist(users: dict[str, User]) -> bool:
    return Response.objects.filter(
        context__startswith=CONTEXT_PREFIX,
        person__enrolments__programme__code=TELEFONIA,
        person__enrolments__referred_by=users["assistente"],
    ).exists()


def record_screenings(
    users: dict[str, User],
    organisation: Organisation,
    *,
    today: dt.date | None = None,
) -> Counts:
    """Screen the people long in charge twice (see the module's docstring); nothing when the
    demo's screenings exist already."""
    counts = Counts()
    today = today or timezone.localdate()
    if screenings_exist(users):
        return counts
    instruments = {
        code: Questionnaire.objects.active().filter(code=code).order_by("-version").first()
        for code in ("ucla-3", "prisma-7", "tfi")
    }
    rng = random.Random(SEED + 2)  # noqa: S311 - demo data, not a secret
    answers = Answers(rng)
    screened = _screened(users, today, rng)
    alerts_before = set(Alert.objects.values_list("pk", flat=True))
    clock = Clock()
    tasks: list[tuple[dt.datetime, Screened, str, dict[str, str]]] = []
    for n, who in enumerate(screened):
        person = who.enrolment.person
        if n == 0:  # two days ago, lonelier: over the threshold (its alert is still in hand)
            ucla = (5, 7)
            who.second_on = today - dt.timedelta(days=2)
        else:
            first = rng.choices(range(3, 10), weights=[10, 15, 20, 20, 18, 10, 7])[0]
            change = rng.choices([-3, -2, -1, 0, 1, 2], weights=[5, 15, 25, 30, 15, 10])[0]
            ucla = (first, min(9, max(3, first + change)))
        prisma_bad = set(
            rng.sample(PRISMA_HEALTH, rng.choices(range(6), [10, 20, 30, 20, 15, 5])[0])
        )
        prisma_later = answers.drift(prisma_bad, PRISMA_HEALTH, rng.choice([-1, 0, 0, 0, 1]))
        times = [
            local(day, dt.time(rng.randint(9, 11), rng.choice([0, 10, 20, 30, 40, 50])))
            for day in (who.first_on, who.second_on)
        ]
        tasks += [
            (times[0], who, "ucla-3", answers.ucla(ucla[0])),
            (times[1], who, "ucla-3", answers.ucla(ucla[1])),
            (times[0], who, "prisma-7", answers.prisma(person, who.first_on, prisma_bad)),
            (times[1], who, "prisma-7", answers.prisma(person, who.second_on, prisma_later)),
        ]
        if n % 3 == 1:
            items = list(TFI_ITEMS)
            tfi_bad = set(rng.sample(items, rng.randint(2, 9)))
            tfi_later = answers.drift(tfi_bad, items, rng.choice([-2, -1, -1, 0, 1, 2]))
            tasks += [
                (times[0], who, "tfi", answers.tfi(person, tfi_bad)),
                (times[1], who, "tfi", answers.tfi(person, tfi_later)),
            ]
    with replaying(clock):
        for taken_at, who, code, given in sorted(tasks, key=lambda t: (t[0], t[2])):
            questionnaire = instruments.get(code)
            if questionnaire is None:
                continue
            clock.at = taken_at + dt.timedelta(minutes=12)
            record_response(
                who.volunteer,
                person=who.enrolment.person,
                questionnaire=questionnaire,
                answers=given,
                taken_at=taken_at,
                context=f"{CONTEXT_PREFIX}{who.enrolment.pk}",
                organisation=organisation,
                language="it",
            )
            counts.screenings += 1
    counts.alerts = Alert.objects.exclude(pk__in=alerts_before).count()
    return counts


def settle_alerts(users: dict[str, User], alerts: Any, *, today: dt.date) -> None:
    """The coordinator acknowledges each alert the demo raised, mostly within the time allowed
    (some later), and has resolved the older ones; those of the last days are still in hand
    (acknowledged, not resolved), so no alert shows as overdue when the demo starts."""
    rng = random.Random(SEED + 3)  # noqa: S311 - demo data, not a secret
    coordinator = users["coordinatore"]
    real_now = timezone.now()
    cutoff = local(today - dt.timedelta(days=OPEN_ALERT_DAYS), dt.time(0, 0))
    clock = Clock()
    with replaying(clock):
        for alert in alerts.filter(status=Alert.Status.OPEN).order_by("created_at", "pk"):
            late = rng.random() < 0.25
            delay = rng.randint(20, 120) if late else rng.randint(2, 14)
            clock.at = min(alert.created_at + dt.timedelta(minutes=delay), real_now)
            alert = acknowledge_alert(coordinator, alert=alert)
            if alert.created_at >= cutoff:
                continue
            clock.at = clock.at + dt.timedelta(minutes=rng.randint(45, 2 * 24 * 60))
            resolve_alert(
                coordinator,
                alert=alert,
                resolution=rng.choice(
                    RESOLUTIONS.get(alert.kind, RESOLUTIONS[Alert.Kind.RED_FLAG])
                ),
            )
