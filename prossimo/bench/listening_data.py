"""Synthetic data of the listening line: the "Oggi" worklist of a desk at scale, and the rest.

The `listening` data part (see `prossimo.bench.listening` for the benchmark that uses it). The
bench cooperative (the one serving the province of Milan, whose volunteer the people benchmarks
use) runs the proximity desk of its territory, and `bench.coordinatore` is its coordinator and
proximity operator, so every section of "Oggi" fills. The cooperative holds
`Scale.worklist_items` open items for that user: follow-ups due today or overdue (theirs or for
whoever is on duty), unresolved alerts (open or acknowledged) and needs at the desk (handed
over by the Milan associations' volunteers or its own, waiting or taken by the user). Around
them: the cooperative's history (call-backs done or planned for later or for colleagues,
resolved alerts, closed needs, needs a colleague took) and every other organisation's contacts,
needs, alerts and follow-ups (`people // 5` contacts). Mostly people of the territory, some
anonymous callers. `bench.coordinatore.10` holds the same roles in the cooperative of Como,
which has 10 items.

A module of its own: the cached data depend on its source (`data.fingerprint`), not on the
benchmark's, which can change without rebuilding a million people.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prossimo.bench.data import BENCH_PROVINCE, BENCH_VOLUNTEER, BuildContext, data_part

BENCH_COORDINATOR = "bench.coordinatore"
FLOOR_COORDINATOR = "bench.coordinatore.10"
FLOOR_PROVINCE = "CO"
FLOOR_ITEMS = 10
# How the open items split: follow-ups due, unresolved alerts, needs at the desk.
FOLLOW_UP_SHARE = 0.4
ALERT_SHARE = 0.2

REASONS = (
    "Richiamare per sapere come sta", "Verificare la consegna della spesa",
    "Confermare il trasporto per la visita", "Sentire la figlia per il pasto a domicilio",
    "Chiedere se ha ritirato i farmaci", "Telefonata di compagnia",
    "Ricordare l'appuntamento al CUP", "Verificare che il medico sia passato",
)  # fmt: skip
NOTES = (
    "Vive sola al terzo piano senza ascensore", "Chiede aiuto per la spesa settimanale",
    "Ha bisogno di un passaggio per la dialisi", "Non riesce a prenotare la visita",
    "La badante è in ferie fino a fine mese", "Il figlio abita all'estero",
    "Difficoltà a pagare le bollette", "Si sente molto sola la sera",
)  # fmt: skip
FIRST_NAMES = ("Maria", "Giuseppe", "Anna", "Franco", "Rosa", "Luigi", "Carla", "Giovanni")
WINDOWS = ((9, 12), (10, 12), (14, 17), (15, 18), (9, 13), (16, 19))
CHANNELS = (
    ("inbound_call", 60), ("outbound_call", 20), ("desk_visit", 10), ("home_visit", 7),
    ("email", 2), ("video_call", 1),
)  # fmt: skip
RED_FLAGS = (
    "danger_to_life", "suicidal_thoughts", "violence", "no_food_or_medicines", "alone_and_unwell"
)  # fmt: skip


# --- rows ---------------------------------------------------------------------------------


@dataclass
class Cast:
    """Who works in the organisation whose worklist is built, and where."""

    organisation: int
    user: int  # the worklist's owner: coordinator and proximity operator
    colleagues: list[int]  # other members (volunteers, operators, coordinators)
    people: Sequence[Any]  # ids of people of the territory (loader format)
    municipalities: list[int]  # for anonymous callers
    # (organisation, volunteer) of associations that hand needs over to this desk
    handing: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class WorklistCounts:
    follow_ups: int
    alerts: int
    desk_needs: int

    @property
    def total(self) -> int:
        return self.follow_ups + self.alerts + self.desk_needs


def split(items: int) -> WorklistCounts:
    follow_ups = round(items * FOLLOW_UP_SHARE)
    alerts = round(items * ALERT_SHARE)
    return WorklistCounts(follow_ups, alerts, items - follow_ups - alerts)


class ListeningRows:
    """Contacts, needs, alerts and follow-ups as tuples, ready for `BulkLoader.insert`."""

    CONTACT = (
        "id", "created_at", "updated_at", "channel", "status", "started_at", "ended_at",
        "duration_seconds", "operator_id", "organisation_id", "person_id", "caller_number",
        "caller_first_name", "caller_approx_age", "caller_municipality_id", "urgency",
        "red_flags", "emergency_call_made_at", "outcomes", "notes", "draft_data", "version",
    )  # fmt: skip
    NEED = (
        "id", "created_at", "updated_at", "contact_id", "person_id", "category_id", "note",
        "status", "owner_id", "owner_organisation_id", "handed_over_by_id", "handed_over_at",
        "closed_at", "outcome", "version",
    )  # fmt: skip
    ALERT = (
        "id", "created_at", "updated_at", "organisation_id", "contact_id", "person_id",
        "red_flag", "social_worker_id", "status", "raised_by_id", "acknowledged_at",
        "acknowledged_by_id", "resolved_at", "resolved_by_id", "resolution",
    )  # fmt: skip
    FOLLOW_UP = (
        "id", "created_at", "updated_at", "organisation_id", "contact_id", "need_id",
        "person_id", "due_on", "window_start", "window_end", "assignee_id", "reason", "status",
        "done_contact_id", "created_by_id",
    )  # fmt: skip

    def __init__(
        self, loader: Any, rng: random.Random, *, now: dt.datetime, categories: list[int]
    ) -> None:
        self.loader = loader
        self.rng = rng
        self.now = now
        self.today = now.date() if now.tzinfo is None else _local_date(now)
        self.categories = categories
        self.contacts: list[tuple] = []
        self.needs: list[tuple] = []
        self.alerts: list[tuple] = []
        self.follow_ups: list[tuple] = []
        self.counts = {"contacts": 0, "needs": 0, "alerts": 0, "follow_ups": 0}
        self._stamps: dict[int, Any] = {}

    # values ------------------------------------------------------------------------------

    def _id(self) -> Any:
        return self.loader.uuid(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _at(self, when: dt.datetime) -> Any:
        return self.loader.datetime(when)

    def ago(self, *, minutes: int = 0, days: int = 0) -> dt.datetime:
        """A moment up to `days` days and `minutes` minutes ago, at least 10 minutes ago."""
        span = max(10, days * 1440 + minutes)
        return self.now - dt.timedelta(minutes=self.rng.randrange(10, span + 1))

    # rows --------------------------------------------------------------------------------

    def contact(
        self,
        *,
        organisation: int,
        operator: int,
        person: Any,
        when: dt.datetime,
        municipalities: list[int],
        red_flags: Sequence[str] = (),
        outcomes: Sequence[str] = (),
    ) -> tuple[Any, Any]:
        """A logged contact; returns (its id, its person id)."""
        rng = self.rng
        pk = self._id()
        anonymous = person is None
        minutes = rng.randint(2, 40)
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        urgency = "high" if red_flags else rng.choices(("low", "medium", "high"), (70, 25, 5))[0]
        self.contacts.append(
            (
                pk, self._at(when), self._at(when), channel, "logged", self._at(when),
                self._at(when + dt.timedelta(minutes=minutes)), minutes * 60, operator,
                organisation, person, "",
                rng.choice(FIRST_NAMES) if anonymous and rng.random() < 0.7 else "",
                rng.randint(60, 95) if anonymous and rng.random() < 0.6 else None,
                rng.choice(municipalities) if anonymous and municipalities else None,
                urgency, json.dumps(list(red_flags)),
                self._at(when) if "danger_to_life" in red_flags else None,
                json.dumps(list(outcomes)),
                rng.choice(NOTES) if rng.random() < 0.5 else "", "{}", 1,
            )
        )  # fmt: skip
        self.counts["contacts"] += 1
        return pk, person

    def need(
        self,
        contact: tuple[Any, Any],
        *,
        when: dt.datetime,
        status: str,
        owner: int | None,
        owner_organisation: int,
        handed_over_by: int | None = None,
        handed_over_at: dt.datetime | None = None,
    ) -> Any:
        rng = self.rng
        pk = self._id()
        closed = status in ("met", "unmet")
        closed_at = when + dt.timedelta(days=rng.randint(0, 20)) if closed else None
        if closed_at is not None and closed_at > self.now:
            closed_at = self.now
        self.needs.append(
            (
                pk, self._at(when), self._at(closed_at or when), contact[0], contact[1],
                rng.choice(self.categories), rng.choice(NOTES) if rng.random() < 0.4 else "",
                status, owner, owner_organisation, handed_over_by,
                self._at(handed_over_at) if handed_over_at else None,
                self._at(closed_at) if closed_at else None,
                "Risolto con i volontari" if status == "met" else "", 1,
            )
        )  # fmt: skip
        self.counts["needs"] += 1
        return pk

    def alert(
        self,
        contact: tuple[Any, Any],
        *,
        organisation: int,
        raised_by: int,
        when: dt.datetime,
        status: str,
        by: int,
        red_flag: str | None = None,
    ) -> Any:
        """An alert; `by` acknowledged it (acknowledged, resolved) and resolved it (resolved)."""
        pk = self._id()
        acknowledged = status in ("acknowledged", "resolved")
        ack_at = when + dt.timedelta(minutes=self.rng.randint(1, 30)) if acknowledged else None
        resolved_at = (
            when + dt.timedelta(hours=self.rng.randint(1, 72)) if status == "resolved" else None
        )
        if resolved_at is not None and resolved_at > self.now:
            resolved_at = self.now
        self.alerts.append(
            (
                pk, self._at(when), self._at(resolved_at or ack_at or when), organisation,
                contact[0], contact[1], red_flag or self.rng.choice(RED_FLAGS), None, status,
                raised_by, self._at(ack_at) if ack_at else None, by if acknowledged else None,
                self._at(resolved_at) if resolved_at else None,
                by if resolved_at else None,
                "Sentita la figlia, situazione sotto controllo" if resolved_at else "",
            )
        )  # fmt: skip
        self.counts["alerts"] += 1
        return pk

    def follow_up(
        self,
        contact: tuple[Any, Any],
        *,
        organisation: int,
        created_by: int,
        created: dt.datetime,
        due_on: dt.date,
        assignee: int | None,
        status: str = "planned",
        need: Any = None,
    ) -> Any:
        rng = self.rng
        pk = self._id()
        window = rng.choice(WINDOWS) if rng.random() < 0.5 else None
        self.follow_ups.append(
            (
                pk, self._at(created), self._at(created), organisation, contact[0], need,
                contact[1], due_on.isoformat(),
                f"{window[0]:02d}:00:00" if window else None,
                f"{window[1]:02d}:00:00" if window else None,
                assignee, "" if need is not None and rng.random() < 0.5 else rng.choice(REASONS),
                status, None, created_by,
            )
        )  # fmt: skip
        self.counts["follow_ups"] += 1
        return pk

    # loading -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Insert what was generated so far (parents first) and forget it."""
        from prossimo.listening.models import Alert, Contact, FollowUp, Need

        for model, columns, rows in (
            (Contact, self.CONTACT, self.contacts),
            (Need, self.NEED, self.needs),
            (Alert, self.ALERT, self.alerts),
            (FollowUp, self.FOLLOW_UP, self.follow_ups),
        ):
            if rows:
                self.loader.insert(model, columns, rows)
            rows.clear()


def _local_date(moment: dt.datetime) -> dt.date:
    from django.utils import timezone

    return timezone.localtime(moment).date()


def _person(rows: ListeningRows, people: Sequence[Any], anonymous: float = 0.1) -> Any:
    if not people or rows.rng.random() < anonymous:
        return None
    return people[rows.rng.randrange(len(people))]


def add_worklist(rows: ListeningRows, cast: Cast, items: int) -> WorklistCounts:
    """`items` open items in `cast.user`'s "Oggi", and the organisation's history around them.

    Open items: follow-ups due today or earlier (the user's or for whoever is on duty),
    unresolved alerts, needs at the desk (waiting, or in progress with the user). History, in
    proportion: call-backs done, cancelled, planned for later or for a colleague; resolved
    alerts; closed needs and needs still with whoever logged them; needs a colleague took.
    """
    rng = rows.rng
    org, user = cast.organisation, cast.user
    staff = [user, *cast.colleagues]
    counts = split(items)

    def contact(**kwargs: Any) -> tuple[Any, Any]:
        kwargs.setdefault("organisation", org)
        kwargs.setdefault("operator", rng.choice(staff))
        return rows.contact(
            person=_person(rows, cast.people), municipalities=cast.municipalities, **kwargs
        )

    # Follow-ups due: a third today, the others overdue by up to a month.
    for _ in range(counts.follow_ups):
        when = rows.ago(days=45)
        c = contact(when=when, outcomes=["follow_up"])
        need = None
        if rng.random() < 0.4:
            need = rows.need(c, when=when, status="open", owner=user, owner_organisation=org)
        due = rows.today - dt.timedelta(days=0 if rng.random() < 0.35 else rng.randint(1, 30))
        rows.follow_up(
            c, organisation=org, created_by=rng.choice(staff), created=when, due_on=due,
            assignee=user if rng.random() < 0.3 else None, need=need,
        )  # fmt: skip
    # Unresolved alerts: most still waiting for acknowledgement.
    for _ in range(counts.alerts):
        when = rows.ago(days=20)
        flag = rng.choice(RED_FLAGS)
        c = contact(when=when, red_flags=[flag], outcomes=["escalated"])
        status = "open" if rng.random() < 0.6 else "acknowledged"
        rows.alert(
            c, organisation=org, raised_by=rng.choice(staff), when=when, status=status,
            by=rng.choice(staff), red_flag=flag,
        )  # fmt: skip
    # Needs at the desk: handed over by the territory's associations or the organisation's
    # own volunteers; a quarter already taken by the user.
    for _ in range(counts.desk_needs):
        when = rows.ago(days=30)
        if cast.handing and rng.random() < 0.7:
            by_org, by = rng.choice(cast.handing)
        else:
            by_org, by = org, rng.choice(staff)
        c = contact(organisation=by_org, operator=by, when=when, outcomes=["handed_to_desk"])
        taken = rng.random() < 0.25
        rows.need(
            c, when=when, status="in_progress" if taken else "handed_over",
            owner=user if taken else None, owner_organisation=org, handed_over_by=by,
            handed_over_at=when,
        )  # fmt: skip

    # History and others' work: none of it is in the user's "Oggi".
    colleagues = cast.colleagues or staff
    for _ in range(round(items * 0.6)):  # call-backs made or cancelled
        when = rows.ago(days=365)
        c = contact(when=when, outcomes=["follow_up"])
        due = min(rows.today - dt.timedelta(days=1), _local_date(when) + dt.timedelta(days=3))
        rows.follow_up(
            c, organisation=org, created_by=rng.choice(staff), created=when, due_on=due,
            assignee=rng.choice((user, None, *colleagues)),
            status="done" if rng.random() < 0.85 else "cancelled",
        )  # fmt: skip
    for _ in range(round(items * 0.2)):  # planned for later
        when = rows.ago(days=10)
        c = contact(when=when, outcomes=["follow_up"])
        rows.follow_up(
            c, organisation=org, created_by=rng.choice(staff), created=when,
            due_on=rows.today + dt.timedelta(days=rng.randint(1, 45)),
            assignee=rng.choice((user, None, *colleagues)),
        )  # fmt: skip
    for _ in range(round(items * 0.05)):  # due, but a colleague's
        when = rows.ago(days=20)
        c = contact(when=when, outcomes=["follow_up"])
        rows.follow_up(
            c, organisation=org, created_by=rng.choice(staff), created=when,
            due_on=rows.today - dt.timedelta(days=rng.randint(0, 10)),
            assignee=rng.choice(colleagues),
        )  # fmt: skip
    for _ in range(round(items * 0.3)):  # resolved alerts
        when = rows.ago(days=365)
        flag = rng.choice(RED_FLAGS)
        c = contact(when=when, red_flags=[flag], outcomes=["escalated"])
        rows.alert(
            c, organisation=org, raised_by=rng.choice(staff), when=when, status="resolved",
            by=rng.choice(staff), red_flag=flag,
        )  # fmt: skip
    for _ in range(round(items * 0.8)):  # closed needs, some once handed to the desk
        when = rows.ago(days=365)
        c = contact(when=when, outcomes=["information"])
        handed = rng.random() < 0.4
        rows.need(
            c, when=when, status="met" if rng.random() < 0.8 else "unmet",
            owner=rng.choice(staff), owner_organisation=org,
            handed_over_by=rng.choice(staff) if handed else None,
            handed_over_at=when if handed else None,
        )  # fmt: skip
    for _ in range(round(items * 0.2)):  # open, with whoever logged them
        when = rows.ago(days=60)
        c = contact(when=when, outcomes=["information"])
        rows.need(c, when=when, status="open", owner=rng.choice(staff), owner_organisation=org)
    for _ in range(round(items * 0.05)):  # at the desk, taken by a colleague
        when = rows.ago(days=30)
        c = contact(when=when, outcomes=["handed_to_desk"])
        by = rng.choice(staff)
        rows.need(
            c, when=when, status="in_progress", owner=rng.choice(colleagues),
            owner_organisation=org, handed_over_by=by, handed_over_at=when,
        )  # fmt: skip
    return counts


def add_noise(
    rows: ListeningRows,
    *,
    contacts: int,
    staff: dict[int, list[int]],
    people: Sequence[Any],
    municipalities: list[int],
) -> None:
    """Other organisations' work: `contacts` contacts with 1–3 needs (mostly closed), some
    alerts (mostly resolved) and follow-ups (mostly done); organisations skewed in size."""
    rng = rows.rng
    orgs = sorted(staff)
    if not orgs:
        return
    rng.shuffle(orgs)
    cumulative, total = [], 0.0
    for rank in range(len(orgs)):
        total += 1 / (rank + 3)
        cumulative.append(total)
    for i in range(contacts):
        org = rng.choices(orgs, cum_weights=cumulative)[0]
        members = staff[org]
        when = rows.ago(days=730)
        flag = rng.choice(RED_FLAGS) if rng.random() < 0.05 else None
        c = rows.contact(
            organisation=org, operator=rng.choice(members), person=_person(rows, people),
            when=when, municipalities=municipalities, red_flags=[flag] if flag else [],
        )  # fmt: skip
        for _ in range(rng.choices((1, 2, 3), (70, 25, 5))[0]):
            roll = rng.random()
            status = "met" if roll < 0.7 else "unmet" if roll < 0.85 else "open"
            if roll >= 0.95:
                status = rng.choice(("handed_over", "in_progress"))
            rows.need(
                c, when=when, status=status,
                owner=None if status == "handed_over" else rng.choice(members),
                owner_organisation=org,
                handed_over_by=rng.choice(members) if status != "open" and roll >= 0.5 else None,
                handed_over_at=when if status != "open" and roll >= 0.5 else None,
            )  # fmt: skip
        if flag:
            rows.alert(
                c, organisation=org, raised_by=rng.choice(members), when=when,
                status="resolved" if rng.random() < 0.8 else "acknowledged",
                by=rng.choice(members), red_flag=flag,
            )  # fmt: skip
        if rng.random() < 0.2:
            recent = rows.now - when < dt.timedelta(days=30)
            rows.follow_up(
                c, organisation=org, created_by=rng.choice(members), created=when,
                due_on=_local_date(when) + dt.timedelta(days=rng.randint(1, 14)),
                assignee=rng.choice((None, *members)),
                status="planned" if recent else "done",
            )  # fmt: skip
        if i % 50_000 == 49_999:
            rows.flush()


# --- the data part --------------------------------------------------------------------------


def _ids(sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """First column of a query through the driver, as the loader takes it (no model)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _people_of_province(abbreviation: str) -> list[Any]:
    from prossimo.people.models import Person
    from prossimo.territory.models import Municipality

    munis = list(
        Municipality.objects.filter(province__abbreviation=abbreviation).values_list(
            "pk", flat=True
        )
    )
    if not munis:
        return []
    marks = ", ".join(["%s"] * len(munis))
    table = Person._meta.db_table
    return _ids(
        f"SELECT id FROM {table} WHERE is_active AND municipality_id IN ({marks}) ORDER BY id",
        munis,
    )


def _desk_cast(
    organisation: Any, username: str, province: str, *, handing: bool
) -> tuple[Cast, Any]:
    """Make `organisation` run its territory's desk, with `username` as its coordinator and
    proximity operator; the cast of its worklist."""
    from prossimo.core.models import User
    from prossimo.core.permissions import Role
    from prossimo.territory.models import Membership, Municipality, Organisation

    organisation.runs_proximity_desk = True
    organisation.save(update_fields=["runs_proximity_desk"])
    user = User.objects.create(username=username, password="!bench")  # noqa: S106
    Membership.objects.bulk_create(
        [
            Membership(user=user, organisation=organisation, role=Role.COORDINATOR),
            Membership(user=user, organisation=organisation, role=Role.PROXIMITY_OPERATOR),
        ]
    )
    colleagues = sorted(
        set(
            Membership.objects.filter(organisation=organisation)
            .exclude(user=user)
            .values_list("user_id", flat=True)
        )
    )
    municipalities = list(
        Municipality.objects.filter(province__abbreviation=province)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    hands: list[tuple[int, int]] = []
    if handing:
        hands = sorted(
            Membership.objects.filter(
                role=Role.VOLUNTEER,
                organisation__kind=Organisation.Kind.ASSOCIATION,
                organisation__municipalities__province__abbreviation=province,
            )
            .values_list("organisation_id", "user_id")
            .distinct()
        )
    cast = Cast(
        organisation=organisation.pk,
        user=user.pk,
        colleagues=colleagues,
        people=_people_of_province(province),
        municipalities=municipalities,
        handing=hands,
    )
    return cast, user


@data_part("listening")
def build_listening(ctx: BuildContext) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from prossimo.core.permissions import Role
    from prossimo.listening.models import Alert, Contact, FollowUp, Need, NeedCategory
    from prossimo.people.models import Person
    from prossimo.territory.models import Membership, Municipality, Organisation

    rng = ctx.rng("listening")
    now = timezone.now().replace(microsecond=0)
    bench_org = Membership.objects.get(
        user__username=BENCH_VOLUNTEER, role=Role.VOLUNTEER
    ).organisation
    floor_org = (
        Organisation.objects.filter(
            kind=Organisation.Kind.COOPERATIVE,
            ambiti__municipalities__province__abbreviation=FLOOR_PROVINCE,
        )
        .distinct()
        .get()
    )
    bench, _ = _desk_cast(bench_org, BENCH_COORDINATOR, BENCH_PROVINCE, handing=True)
    floor, _ = _desk_cast(floor_org, FLOOR_COORDINATOR, FLOOR_PROVINCE, handing=True)
    categories = list(
        NeedCategory.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    staff: dict[int, list[int]] = {}
    for org_id, user_id in (
        Membership.objects.exclude(organisation__in=[bench_org, floor_org])
        .exclude(role=Role.MONITORING_OFFICER)
        .exclude(role=Role.ADMINISTRATOR)
        .order_by("organisation_id", "user_id")
        .values_list("organisation_id", "user_id")
    ):
        staff.setdefault(org_id, []).append(user_id)
    everyone = _ids(f"SELECT id FROM {Person._meta.db_table} ORDER BY id")
    municipalities = list(Municipality.objects.order_by("pk").values_list("pk", flat=True))

    rows = ListeningRows(ctx.loader, rng, now=now, categories=categories)
    with transaction.atomic(), ctx.loader.indexes_deferred(Contact, Need, Alert, FollowUp):
        counts = add_worklist(rows, bench, ctx.scale.worklist_items)
        floor_counts = add_worklist(rows, floor, FLOOR_ITEMS)
        rows.flush()
        ctx.log(f"  worklists: {counts.total:,} and {floor_counts.total} open items")
        add_noise(
            rows,
            contacts=ctx.scale.people // 5,
            staff=staff,
            people=everyone,
            municipalities=municipalities,
        )
        rows.flush()
    ctx.log(f"  listening: {', '.join(f'{k} {v:,}' for k, v in rows.counts.items())}")
    return {
        "listening_today": rows.today.isoformat(),
        "worklist_items": counts.total,
        "worklist": {"follow_ups": counts.follow_ups, "alerts": counts.alerts,
                     "desk_needs": counts.desk_needs},
        "floor_items": floor_counts.total,
        "listening_rows": dict(rows.counts),
    }  # fmt: skip
