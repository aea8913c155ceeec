"""Programme monitoring: aggregate figures of a programme for coordinators and the ATS.

Every figure comes from a GROUP BY or an aggregate query (a fixed number of queries whatever
the number of people), and nothing personal leaves this module: no names, no ids, only counts,
shares and means. Definitions (also written on the page):

- *people in charge*: enrolments now active or suspended (one open enrolment per person and
  programme, so enrolments are people); compared with `Programme.target_people`.
- *calls planned* in the period: planned calls due on a day of the period, cancelled ones
  excluded; *done on time*: done on the day they were due (local time) or before.
- *reached this week*: people whose enrolment is active now with at least one answered call
  attempt in the ISO week (Monday to Sunday) of `today`, out of the people active now.
- *alerts*: listening-line alerts raised in the period about a person enrolled in the
  programme, to the organisation in charge of that enrolment; *time to acknowledge* is the
  arithmetic mean (computed by the database) over the acknowledged ones; *not acknowledged in
  time*: acknowledged after `PROSSIMO_ALERT_ACK_MINUTES`, or still unacknowledged past it.
- *small cells*: users who may not open people's records (the monitoring officer) never see a
  municipality with fewer than `SMALL_CELL` people in charge: those municipalities are added
  up in one unnamed row, so a count cannot point at a person in a small village.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from prossimo.core.permissions import Perm, Role, permissions_of
from prossimo.listening.models import Alert
from prossimo.listening.selectors import alert_ack_minutes
from prossimo.programmes.models import CallAttempt, Enrolment, PlannedCall, Programme
from prossimo.questionnaires.definition import translated
from prossimo.questionnaires.models import Questionnaire, Response
from prossimo.territory.selectors import municipality_ids_served_by, organisation_ids_with_roles

IN_CHARGE = (Enrolment.State.ACTIVE, Enrolment.State.SUSPENDED)
# Roles that look at a territory (the organisations' served municipalities), not only at the
# enrolments their organisations are in charge of.
TERRITORIAL_ROLES = frozenset({Role.MONITORING_OFFICER, Role.ADMINISTRATOR})
# Municipalities with fewer people in charge than this are not named to aggregate-only users.
SMALL_CELL = 5


def other_municipalities_label() -> str:
    """The name of the row adding up the municipalities too small to be named."""
    return gettext("Other municipalities, fewer than %(n)s people in charge each") % {
        "n": SMALL_CELL
    }


def percent(part: int, whole: int) -> Decimal | None:
    """`part` out of `whole` as a percentage with one decimal (None when `whole` is 0)."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str | Promise
    enrolments: int


@dataclass(frozen=True)
class MunicipalityRow:
    province: str
    province_abbreviation: str
    municipality: str
    in_charge: int


@dataclass(frozen=True)
class CallFigures:
    planned: int
    done: int
    done_on_time: int
    done_late: int
    not_reached: int
    to_do: int  # due today or later, not worked yet
    missed: int  # due before today and never worked

    @property
    def done_share(self) -> Decimal | None:
        return percent(self.done, self.planned)

    @property
    def on_time_share(self) -> Decimal | None:
        """Share of the done calls that were done on time."""
        return percent(self.done_on_time, self.done)


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str | Promise
    raised: int
    acknowledged: int


@dataclass(frozen=True)
class AlertFigures:
    raised: int
    acknowledged: int
    acknowledged_in_time: int
    not_in_time: int
    mean_to_acknowledge: dt.timedelta | None
    ack_minutes: int
    by_kind: list[KindCount]

    @property
    def mean_minutes_to_acknowledge(self) -> Decimal | None:
        if self.mean_to_acknowledge is None:
            return None
        minutes = Decimal(self.mean_to_acknowledge.total_seconds()) / 60
        return minutes.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScreeningRow:
    """Score changes of one questionnaire between each person's first and latest screening."""

    code: str
    name: str | Promise
    higher_is_worse: bool
    people: int  # people screened at least twice
    mean_first: Decimal | None
    mean_latest: Decimal | None
    improved: int
    unchanged: int
    worsened: int


@dataclass(frozen=True)
class ProgrammeReport:
    programme: Programme
    period_start: dt.date
    period_end: dt.date
    today: dt.date
    week_start: dt.date
    week_end: dt.date  # Sunday, included
    in_charge: int
    target: int
    by_state: list[StateCount]
    by_municipality: list[MunicipalityRow]
    # People in charge in municipalities not named (fewer than SMALL_CELL each); None when
    # nothing was merged.
    other_municipalities: int | None
    small_cells_merged: bool
    calls: CallFigures
    active: int
    reached_this_week: int
    alerts: AlertFigures
    screenings: list[ScreeningRow]

    @property
    def target_share(self) -> Decimal | None:
        return percent(self.in_charge, self.target)

    @property
    def reached_share(self) -> Decimal | None:
        return percent(self.reached_this_week, self.active)


# --- scope ---------------------------------------------------------------------------------


def enrolments_in_scope(user: Any, programme: Programme) -> QuerySet[Enrolment]:
    """The programme's enrolments counted in `user`'s monitoring figures.

    - Nobody without `stats.view`.
    - Monitoring officers and administrators: the territory their organisations serve —
      enrolments of people living in a municipality those organisations serve (directly or
      through an ambito), and enrolments those organisations are in charge of. The ATS serves
      both provinces, so its officer sees the whole programme there.
    - Coordinators: the enrolments their organisations are in charge of.
    A user holding several of these roles sees the union. These rows are only ever counted:
    the monitoring role may open no record (see `Enrolment.objects.visible_to`).
    """
    if Perm.STATS_VIEW not in permissions_of(user):
        return Enrolment.objects.none()
    territorial = organisation_ids_with_roles(user, TERRITORIAL_ROLES)
    own = organisation_ids_with_roles(user, {Role.COORDINATOR})
    scope = Q(organisation_id__in=sorted(set(territorial) | set(own)))
    if territorial:
        direct, via_ambiti = municipality_ids_served_by(territorial)
        scope |= Q(person__municipality_id__in=direct) | Q(person__municipality_id__in=via_ambiti)
    return Enrolment.objects.filter(scope, programme=programme)


def sees_small_cells(user: Any) -> bool:
    """Whether `user` may see counts of single small municipalities: only users who may open
    people's records anyway (coordinators, administrators), not the aggregate-only role."""
    return Perm.PEOPLE_VIEW in permissions_of(user)


# --- the report ----------------------------------------------------------------------------


def _start_of(day: dt.date) -> dt.datetime:
    """Local midnight at the start of `day`, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _by_state(enrolments: QuerySet[Enrolment]) -> list[StateCount]:
    counts = dict(enrolments.values_list("state").annotate(n=Count("pk")).order_by())
    return [
        StateCount(state=value, label=label, enrolments=counts.get(value, 0))
        for value, label in Enrolment.State.choices
    ]


def _by_municipality(
    enrolments: QuerySet[Enrolment], *, merge_small: bool
) -> tuple[list[MunicipalityRow], int | None]:
    rows = [
        MunicipalityRow(
            province=row["person__municipality__province__name"],
            province_abbreviation=row["person__municipality__province__abbreviation"],
            municipality=row["person__municipality__name"],
            in_charge=row["n"],
        )
        for row in enrolments.filter(state__in=IN_CHARGE)
        .values(
            "person__municipality_id",
            "person__municipality__name",
            "person__municipality__province__name",
            "person__municipality__province__abbreviation",
        )
        .annotate(n=Count("pk"))
        .order_by("person__municipality__province__name", "person__municipality__name")
    ]
    if not merge_small:
        return rows, None
    # One row per municipality (a few hundred at most), not per person.
    shown = [row for row in rows if row.in_charge >= SMALL_CELL]
    merged = sum(row.in_charge for row in rows if row.in_charge < SMALL_CELL)
    return shown, (merged if len(shown) < len(rows) else None)


def _calls(enrolment_ids: Any, start: dt.date, end: dt.date, today: dt.date) -> CallFigures:
    status = PlannedCall.Status
    done = Q(status=status.DONE)
    on_time = done & Q(completed_at__date__lte=F("due_on"))
    figures = (
        PlannedCall.objects.filter(enrolment_id__in=enrolment_ids, due_on__range=(start, end))
        .exclude(status=status.CANCELLED)
        .aggregate(
            planned=Count("pk"),
            done=Count("pk", filter=done),
            done_on_time=Count("pk", filter=on_time),
            not_reached=Count("pk", filter=Q(status=status.NOT_REACHED)),
            to_do=Count("pk", filter=Q(status=status.DUE, due_on__gte=today)),
            missed=Count("pk", filter=Q(status=status.DUE, due_on__lt=today)),
        )
    )
    return CallFigures(done_late=figures["done"] - figures["done_on_time"], **figures)


def _reach(
    enrolments: QuerySet[Enrolment], week_start: dt.date, week_end: dt.date
) -> tuple[int, int]:
    answered = CallAttempt.objects.filter(
        enrolment_id=OuterRef("pk"),
        outcome=CallAttempt.Outcome.ANSWERED,
        at__gte=_start_of(week_start),
        at__lt=_start_of(week_end + dt.timedelta(days=1)),
    )
    figures = enrolments.filter(state=Enrolment.State.ACTIVE).aggregate(
        active=Count("pk"), reached=Count("pk", filter=Q(Exists(answered)))
    )
    return figures["active"], figures["reached"]


def _alerts(enrolments: QuerySet[Enrolment], start: dt.date, end: dt.date) -> AlertFigures:
    minutes = alert_ack_minutes()
    delay = dt.timedelta(minutes=minutes)
    about_enrolled = enrolments.filter(
        person_id=OuterRef("person_id"), organisation_id=OuterRef("organisation_id")
    )
    alerts = Alert.objects.filter(
        Exists(about_enrolled),
        created_at__gte=_start_of(start),
        created_at__lt=_start_of(end + dt.timedelta(days=1)),
    )
    acknowledged = Q(acknowledged_at__isnull=False)
    by_kind: dict[str, tuple[int, int]] = {
        kind: (raised, acked)
        for kind, raised, acked in alerts.values_list("kind")
        .annotate(raised=Count("pk"), acknowledged=Count("pk", filter=acknowledged))
        .order_by()
    }
    totals = alerts.aggregate(
        raised=Count("pk"),
        acknowledged=Count("pk", filter=acknowledged),
        acknowledged_in_time=Count("pk", filter=Q(acknowledged_at__lte=F("created_at") + delay)),
        not_in_time=Count(
            "pk",
            filter=Q(acknowledged_at__gt=F("created_at") + delay)
            | Q(acknowledged_at__isnull=True, created_at__lte=timezone.now() - delay),
        ),
        mean_to_acknowledge=Avg(
            ExpressionWrapper(F("acknowledged_at") - F("created_at"), output_field=DurationField()),
            filter=acknowledged,
        ),
    )
    return AlertFigures(
        ack_minutes=minutes,
        by_kind=[
            KindCount(
                kind=value,
                label=label,
                raised=by_kind.get(value, (0, 0))[0],
                acknowledged=by_kind.get(value, (0, 0))[1],
            )
            for value, label in Alert.Kind.choices
        ],
        **totals,
    )


def programme_report(
    user: Any,
    programme: Programme,
    *,
    period_start: dt.date,
    period_end: dt.date,
    today: dt.date | None = None,
) -> ProgrammeReport:
    """The monitoring figures of `programme` in `user`'s scope (`enrolments_in_scope`).

    People in charge, states and municipalities are as of now; calls and alerts are those of
    the period (both days included); "reached" is about the ISO week of `today`.
    """
    if period_start > period_end:
        raise ValueError("the period starts after it ends")
    today = today or timezone.localdate()
    week_start = today - dt.timedelta(days=today.weekday())
    week_end = week_start + dt.timedelta(days=6)
    enrolments = enrolments_in_scope(user, programme)
    by_state = _by_state(enrolments)
    merge_small = not sees_small_cells(user)
    by_municipality, other = _by_municipality(enrolments, merge_small=merge_small)
    active, reached = _reach(enrolments, week_start, week_end)
    return ProgrammeReport(
        programme=programme,
        period_start=period_start,
        period_end=period_end,
        today=today,
        week_start=week_start,
        week_end=week_end,
        in_charge=sum(row.enrolments for row in by_state if row.state in IN_CHARGE),
        target=programme.target_people,
        by_state=by_state,
        by_municipality=by_municipality,
        other_municipalities=other,
        small_cells_merged=merge_small,
        calls=_calls(enrolments.values("pk"), period_start, period_end, today),
        active=active,
        reached_this_week=reached,
        alerts=_alerts(enrolments, period_start, period_end),
        screenings=screening_changes(enrolments),
    )


def screening_changes(enrolments: QuerySet[Enrolment]) -> list[ScreeningRow]:
    """Per instrument: how the scores of the programme's people (every enrolment in scope, any
    state) changed between each person's first and latest screening, all time.

    Two queries whatever the number of people: one over each person's latest response (with
    their first score beside it), grouped by instrument; one for the instruments' definitions,
    which say whether a higher score is worse. Versions of an instrument share its code.
    """
    same_series = Response.objects.filter(
        person_id=OuterRef("person_id"), questionnaire__code=OuterRef("questionnaire__code")
    )
    first = same_series.order_by("taken_at", "created_at", "pk")
    latest = same_series.order_by("-taken_at", "-created_at", "-pk")
    rows = (
        Response.objects.filter(person_id__in=enrolments.values("person_id"))
        .annotate(
            first_pk=Subquery(first.values("pk")[:1]),
            first_score=Subquery(first.values("score")[:1]),
            latest_pk=Subquery(latest.values("pk")[:1]),
        )
        # One row per person and instrument: their latest response, if it is not also the first.
        .filter(pk=F("latest_pk"))
        .exclude(pk=F("first_pk"))
        .values("questionnaire__code")
        .annotate(
            people=Count("pk"),
            mean_first=Avg("first_score"),
            mean_latest=Avg("score"),
            went_up=Count("pk", filter=Q(score__gt=F("first_score"))),
            went_down=Count("pk", filter=Q(score__lt=F("first_score"))),
        )
        .order_by("questionnaire__code")
    )
    figures = {row["questionnaire__code"]: row for row in rows}
    if not figures:
        return []
    instruments = {
        q.code: q
        for q in Questionnaire.objects.filter(code__in=list(figures))
        .only("code", "version", "title", "definition")
        .order_by("code", "version")
    }  # the highest version of each code wins
    language = (get_language() or "it")[:2]
    result = []
    for code, row in figures.items():
        questionnaire = instruments[code]
        worse_up = questionnaire.higher_is_worse
        result.append(
            ScreeningRow(
                code=code,
                name=translated(questionnaire.title, language) or code,
                higher_is_worse=worse_up,
                people=row["people"],
                mean_first=_mean(row["mean_first"]),
                mean_latest=_mean(row["mean_latest"]),
                improved=row["went_down"] if worse_up else row["went_up"],
                unchanged=row["people"] - row["went_up"] - row["went_down"],
                worsened=row["went_up"] if worse_up else row["went_down"],
            )
        )
    return result


def _mean(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the report as rows (the CSV export) ---------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """One figure in long format: a spreadsheet pivots on section, group and measure."""

    section: str
    group: str
    subgroup: str
    measure: str
    label: str | Promise
    value: int | Decimal | None


def report_rows(report: ProgrammeReport) -> list[ReportRow]:
    """Every figure of the report, one per row, in the order of the page."""
    rows: list[ReportRow] = []

    def add(
        section: str,
        measure: str,
        label: str | Promise,
        value: int | Decimal | None,
        group: str = "",
        subgroup: str = "",
    ) -> None:
        rows.append(ReportRow(section, group, subgroup, measure, label, value))

    add("people", "in_charge", _("People in charge (active or suspended)"), report.in_charge)
    add("people", "target", _("Target number of people in charge"), report.target)
    add("people", "target_share_percent", _("People in charge, % of target"), report.target_share)
    for state in report.by_state:
        add("states", "enrolments", _("Enrolments"), state.enrolments, group=str(state.label))
    for place in report.by_municipality:
        add(
            "municipalities",
            "in_charge",
            _("People in charge"),
            place.in_charge,
            group=place.province,
            subgroup=place.municipality,
        )
    if report.other_municipalities is not None:
        add(
            "municipalities",
            "in_charge",
            _("People in charge"),
            report.other_municipalities,
            subgroup=other_municipalities_label(),
        )
    calls = report.calls
    for measure, label, value in (
        ("planned", _("Calls planned"), calls.planned),
        ("done", _("Calls done"), calls.done),
        ("done_on_time", _("Calls done on the day they were due"), calls.done_on_time),
        ("done_late", _("Calls done after the day they were due"), calls.done_late),
        ("not_reached", _("Calls not reached"), calls.not_reached),
        ("missed", _("Calls not worked, due day passed"), calls.missed),
        ("to_do", _("Calls still to do"), calls.to_do),
        ("done_share_percent", _("Calls done, % of planned"), calls.done_share),
        ("on_time_share_percent", _("Calls done on time, % of done"), calls.on_time_share),
    ):
        add("calls", measure, label, value)
    week = f"{report.week_start.isocalendar().year}-W{report.week_start.isocalendar().week:02d}"
    add("reach", "active", _("People active"), report.active, group=week)
    add("reach", "reached", _("People reached this week"), report.reached_this_week, group=week)
    add(
        "reach",
        "reached_share_percent",
        _("People reached, % of active"),
        report.reached_share,
        group=week,
    )
    alerts = report.alerts
    for measure, label, value in (
        ("raised", _("Alerts raised"), alerts.raised),
        ("acknowledged", _("Alerts acknowledged"), alerts.acknowledged),
        ("acknowledged_in_time", _("Alerts acknowledged in time"), alerts.acknowledged_in_time),
        ("not_in_time", _("Alerts not acknowledged in time"), alerts.not_in_time),
        (
            "mean_minutes_to_acknowledge",
            _("Mean time to acknowledge (minutes)"),
            alerts.mean_minutes_to_acknowledge,
        ),
        ("ack_minutes", _("Time allowed to acknowledge (minutes)"), alerts.ack_minutes),
    ):
        add("alerts", measure, label, value)
    for kind in alerts.by_kind:
        add("alerts_by_kind", "raised", _("Alerts raised"), kind.raised, group=str(kind.label))
        add(
            "alerts_by_kind",
            "acknowledged",
            _("Alerts acknowledged"),
            kind.acknowledged,
            group=str(kind.label),
        )
    for screening in report.screenings:
        for measure, label, value in (
            ("people", _("People screened at least twice"), screening.people),
            ("mean_first", _("Mean first score"), screening.mean_first),
            ("mean_latest", _("Mean latest score"), screening.mean_latest),
            ("improved", _("Improved"), screening.improved),
            ("unchanged", _("Unchanged"), screening.unchanged),
            ("worsened", _("Worsened"), screening.worsened),
        ):
            add("screenings", measure, label, value, group=screening.code)
    return rows
