"""Programme monitoring: every figure of the report, its scope, its page and its CSV export."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from prossimo.core.permissions import Role
from prossimo.listening.models import Alert
from prossimo.people.tests.factories import PersonFactory
from prossimo.programmes.models import (
    CallAttempt,
    CallPlan,
    Enrolment,
    PlannedCall,
    Programme,
    Rhythm,
)
from prossimo.programmes.monitoring import SMALL_CELL, programme_report, report_rows
from prossimo.questionnaires.models import Questionnaire, Response
from prossimo.territory.models import Municipality
from prossimo.territory.tests.factories import MembershipFactory

ROME = ZoneInfo("Europe/Rome")
# Wednesday of ISO week 11 of 2025 (Monday 10 March to Sunday 16 March).
TODAY = dt.date(2025, 3, 12)
NOW = dt.datetime(2025, 3, 12, 12, 0, tzinfo=ROME)
PERIOD = {"period_start": dt.date(2025, 2, 11), "period_end": TODAY}
SURNAMES = ["Zanzottera", "Brambillasca", "Perego", "Colombetti", "Mauriello", "Airoldi"]


def local(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ROME)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def telefonia(org_a, org_b) -> Programme:
    programme = Programme.objects.get(code="telefonia-sociale")
    programme.organisations.add(org_a, org_b)
    return programme


class World:
    """The dataset: enrolments of org_a in the province of Lecco, of org_b in Monza's, one of
    org_b in Milan (outside the ATS's territory), with calls, attempts, alerts, screenings."""

    def __init__(self, programme: Programme, volunteer) -> None:
        self.programme = programme
        self.volunteer = volunteer
        self.names: list[str] = []

    def enrol(self, municipality: str, org, state: str) -> Enrolment:
        surname = f"{SURNAMES[len(self.names) % len(SURNAMES)]}{len(self.names)}"
        person = PersonFactory(
            first_name="Ermenegilda",
            last_name=surname,
            municipality=Municipality.objects.get(name=municipality),
        )
        self.names.append(surname)
        return Enrolment.objects.create(
            programme=self.programme,
            person=person,
            organisation=org,
            referred_at=local(dt.date(2025, 1, 10)),
            reason="Vive sola",
            state=state,
            state_changed_at=local(dt.date(2025, 1, 15)),
        )

    def call(self, enrolment: Enrolment, due_on: dt.date, status: str, completed_at=None):
        plan, _ = CallPlan.objects.get_or_create(
            enrolment=enrolment,
            defaults={
                "rhythm": Rhythm.WEEKLY,
                "weekdays": 0b11111,
                "starts_on": dt.date(2025, 1, 15),
                "window_start": dt.time(9),
                "window_end": dt.time(12),
                "volunteer": self.volunteer,
            },
        )
        return PlannedCall.objects.create(
            plan=plan,
            enrolment=enrolment,
            person=enrolment.person,
            organisation=enrolment.organisation,
            due_on=due_on,
            window_start=dt.time(9),
            window_end=dt.time(12),
            assignee=self.volunteer,
            status=status,
            completed_at=completed_at,
        )

    def attempt(self, enrolment: Enrolment, at: dt.datetime, outcome: str) -> CallAttempt:
        call = self.call(enrolment, at.astimezone(ROME).date(), PlannedCall.Status.DONE, at)
        return CallAttempt.objects.create(call=call, enrolment=enrolment, at=at, outcome=outcome)

    def alert(
        self,
        enrolment: Enrolment,
        created_at: dt.datetime,
        *,
        acknowledged_after: int | None = None,
        kind: str = Alert.Kind.RED_FLAG,
        organisation=None,
    ) -> Alert:
        acknowledged_at = (
            created_at + dt.timedelta(minutes=acknowledged_after)
            if acknowledged_after is not None
            else None
        )
        alert = Alert.objects.create(
            organisation=organisation or enrolment.organisation,
            person=enrolment.person,
            kind=kind,
            status=Alert.Status.ACKNOWLEDGED if acknowledged_at else Alert.Status.OPEN,
            acknowledged_at=acknowledged_at,
        )
        Alert.objects.filter(pk=alert.pk).update(created_at=created_at)
        return alert

    def screening(self, enrolment: Enrolment, code: str, score: int, day: dt.date) -> Response:
        questionnaire = Questionnaire.objects.filter(code=code).order_by("-version").first()
        return Response.objects.create(
            person=enrolment.person,
            questionnaire=questionnaire,
            score=score,
            band="any",
            taken_at=local(day),
            recorded_by=self.volunteer,
            organisation=enrolment.organisation,
        )


@pytest.fixture
def lower_is_worse() -> Questionnaire:
    """A made-up instrument where a higher score is better (to check the direction)."""
    definition = copy.deepcopy(Questionnaire.objects.get(code="ucla-3", version=1).definition)
    definition["code"] = "wellbeing-test"
    definition["title"] = {"it": "Benessere (prova)", "en": "Well-being (test)"}
    definition["scoring"]["higher_is_worse"] = False
    return Questionnaire.objects.create(
        code="wellbeing-test", version=1, title=definition["title"], definition=definition
    )


@pytest.fixture
def world(telefonia, org_a, org_b, volunteer, lower_is_worse) -> World:
    w = World(telefonia, volunteer)
    S, C = Enrolment.State, PlannedCall.Status
    # org_a, province of Lecco: five people in charge in Lecco, one in Valmadrera.
    e1 = w.enrol("Lecco", org_a, S.ACTIVE)
    e2 = w.enrol("Lecco", org_a, S.ACTIVE)
    e3 = w.enrol("Lecco", org_a, S.SUSPENDED)
    e5 = w.enrol("Lecco", org_a, S.ACTIVE)
    e6 = w.enrol("Lecco", org_a, S.ACTIVE)
    e4 = w.enrol("Valmadrera", org_a, S.ACTIVE)
    w.enrol("Lecco", org_a, S.REFERRED)
    w.enrol("Lecco", org_a, S.CLOSED)
    # org_b, province of Monza: two people in charge.
    e7 = w.enrol("Monza", org_b, S.ACTIVE)
    w.enrol("Monza", org_b, S.CONTACT_ATTEMPTED)
    w.enrol("Monza", org_b, S.SUSPENDED)
    # org_b in Milan: outside the ATS's territory.
    e10 = w.enrol("Milano", org_b, S.ACTIVE)

    # Calls of the period (11 February to 12 March).
    w.call(e1, dt.date(2025, 3, 3), C.DONE, local(dt.date(2025, 3, 3), 23, 30))  # on time
    w.call(e1, dt.date(2025, 3, 4), C.DONE, local(dt.date(2025, 3, 5), 9))  # late
    w.call(e1, dt.date(2025, 3, 5), C.NOT_REACHED)
    w.call(e1, dt.date(2025, 3, 6), C.CANCELLED)  # left out
    w.call(e1, dt.date(2025, 3, 7), C.DUE)  # missed
    w.call(e1, dt.date(2025, 3, 12), C.DUE)  # to do (today)
    w.call(e1, dt.date(2025, 2, 1), C.DONE, local(dt.date(2025, 2, 1)))  # before the period
    w.call(e1, dt.date(2025, 3, 13), C.DUE)  # after the period
    w.call(e7, dt.date(2025, 2, 20), C.DONE, local(dt.date(2025, 2, 20)))  # on time, Monza
    w.call(e10, dt.date(2025, 2, 20), C.DONE, local(dt.date(2025, 2, 20)))  # Milan

    # Answered attempts of this week (each is also a call done on time in the period).
    A = CallAttempt.Outcome
    w.attempt(e1, local(dt.date(2025, 3, 11)), A.ANSWERED)
    w.attempt(e2, local(dt.date(2025, 3, 11)), A.NO_ANSWER)
    w.attempt(e2, local(dt.date(2025, 3, 9), 23, 30), A.ANSWERED)  # Sunday: last week
    w.attempt(e4, local(dt.date(2025, 3, 10), 0, 30), A.ANSWERED)  # Monday, just after midnight
    w.attempt(e3, local(dt.date(2025, 3, 11)), A.ANSWERED)  # suspended: not counted
    w.attempt(e7, local(dt.date(2025, 3, 12), 9), A.ANSWERED)
    w.attempt(e10, local(dt.date(2025, 3, 12), 9), A.ANSWERED)

    # Alerts (acknowledgement expected within 15 minutes).
    K = Alert.Kind
    w.alert(e1, local(dt.date(2025, 3, 3)), acknowledged_after=10)
    w.alert(e2, local(dt.date(2025, 3, 4)), acknowledged_after=20, kind=K.FAILED_ATTEMPTS)
    w.alert(e5, local(dt.date(2025, 3, 5)), acknowledged_after=60)
    w.alert(e6, local(TODAY, 11), kind=K.SCREENING_THRESHOLD)  # open for an hour: overdue
    w.alert(e6, local(TODAY, 11, 55))  # open for 5 minutes: not yet overdue
    w.alert(e1, local(dt.date(2025, 2, 1)), acknowledged_after=5)  # before the period
    w.alert(e1, local(dt.date(2025, 3, 3)), organisation=org_b)  # not the organisation in charge
    w.alert(e7, local(dt.date(2025, 3, 10), 9), acknowledged_after=50)
    w.alert(e10, local(dt.date(2025, 3, 10), 9), acknowledged_after=1)

    # Screenings: UCLA-3 (higher is lonelier) and a made-up instrument where higher is better.
    for enrolment, scores in ((e1, (7, 5, 4)), (e2, (6, 6)), (e3, (5, 8)), (e4, (6,))):
        for i, score in enumerate(scores):
            w.screening(enrolment, "ucla-3", score, dt.date(2025, 1, 20) + dt.timedelta(days=i))
    w.screening(e7, "ucla-3", 9, dt.date(2025, 1, 20))
    w.screening(e7, "ucla-3", 3, dt.date(2025, 2, 20))
    w.screening(e10, "ucla-3", 3, dt.date(2025, 1, 20))
    w.screening(e10, "ucla-3", 9, dt.date(2025, 2, 20))
    w.screening(e5, "wellbeing-test", 4, dt.date(2025, 1, 20))
    w.screening(e5, "wellbeing-test", 6, dt.date(2025, 2, 20))
    return w


def report_for(user, programme):
    return programme_report(user, programme, today=TODAY, **PERIOD)


# --- the figures, as the coordinator of org_a sees them -----------------------------------


def test_people_in_charge_are_active_and_suspended_enrolments_against_the_target(
    world, coordinator
):
    report = report_for(coordinator, world.programme)
    assert (report.in_charge, report.target, report.target_share) == (6, 1500, Decimal("0.4"))
    assert {row.state: row.enrolments for row in report.by_state} == {
        "referred": 1,
        "contact_attempted": 0,
        "active": 5,
        "suspended": 1,
        "closed": 1,
    }


def test_coordinator_sees_every_municipality_of_their_people(world, coordinator):
    report = report_for(coordinator, world.programme)
    assert [(r.province, r.municipality, r.in_charge) for r in report.by_municipality] == [
        ("Lecco", "Lecco", 5),
        ("Lecco", "Valmadrera", 1),
    ]
    assert report.other_municipalities is None
    assert not report.small_cells_merged


def test_calls_planned_done_on_time_and_not_reached_in_the_period(world, coordinator):
    calls = report_for(coordinator, world.programme).calls
    # Six calls of e1 in the period (one cancelled, left out) and the four calls made for the
    # attempts of this week (e1, e2 twice, e4, e3: Sunday's is on 9 March, in the period).
    assert (calls.planned, calls.done, calls.done_on_time, calls.done_late) == (10, 7, 6, 1)
    assert (calls.not_reached, calls.missed, calls.to_do) == (1, 1, 1)
    assert calls.done_share == Decimal("70.0")
    assert calls.on_time_share == Decimal("85.7")


def test_reached_this_week_counts_active_people_with_an_answered_attempt_in_the_iso_week(
    world, coordinator
):
    report = report_for(coordinator, world.programme)
    assert (report.week_start, report.week_end) == (dt.date(2025, 3, 10), dt.date(2025, 3, 16))
    # e1 and e4 (Monday 00:30 local time); not e2 (answered on Sunday), not e3 (suspended).
    assert (report.reached_this_week, report.active, report.reached_share) == (
        2,
        5,
        Decimal("40.0"),
    )


def test_alerts_raised_acknowledged_in_time_and_mean_time_to_acknowledge(world, coordinator):
    alerts = report_for(coordinator, world.programme).alerts
    assert (alerts.raised, alerts.acknowledged) == (5, 3)
    assert (alerts.acknowledged_in_time, alerts.not_in_time) == (1, 3)
    assert alerts.mean_to_acknowledge == dt.timedelta(minutes=30)  # (10 + 20 + 60) / 3
    assert alerts.mean_minutes_to_acknowledge == Decimal("30.0")
    assert {(k.kind, k.raised, k.acknowledged) for k in alerts.by_kind} == {
        ("red_flag", 3, 2),
        ("failed_attempts", 1, 1),
        ("screening_threshold", 1, 0),
        ("screening_worsened", 0, 0),
        ("referral_not_received", 0, 0),  # every kind is listed, even with none
    }


def test_alerts_acknowledge_delay_follows_the_setting(world, coordinator, settings):
    settings.PROSSIMO_ALERT_ACK_MINUTES = 30
    alerts = report_for(coordinator, world.programme).alerts
    assert (alerts.ack_minutes, alerts.acknowledged_in_time, alerts.not_in_time) == (30, 2, 2)


def test_screening_changes_follow_each_instruments_direction(world, coordinator):
    rows = {row.code: row for row in report_for(coordinator, world.programme).screenings}
    assert set(rows) == {"ucla-3", "wellbeing-test"}
    ucla = rows["ucla-3"]
    # e1 7 → 4 (better), e2 6 → 6, e3 5 → 8 (worse); e4 screened once.
    assert ucla.higher_is_worse
    assert (ucla.people, ucla.improved, ucla.unchanged, ucla.worsened) == (3, 1, 1, 1)
    assert (ucla.mean_first, ucla.mean_latest) == (Decimal("6.00"), Decimal("6.00"))
    wellbeing = rows["wellbeing-test"]
    assert not wellbeing.higher_is_worse
    assert (wellbeing.people, wellbeing.improved, wellbeing.worsened) == (1, 1, 0)
    assert (wellbeing.mean_first, wellbeing.mean_latest) == (Decimal("4.00"), Decimal("6.00"))


# --- scope ---------------------------------------------------------------------------------


def test_monitoring_officer_sees_both_provinces_and_nothing_outside_them(world, monitoring):
    report = report_for(monitoring, world.programme)
    assert report.in_charge == 8
    assert {row.state: row.enrolments for row in report.by_state} == {
        "referred": 1,
        "contact_attempted": 1,
        "active": 6,
        "suspended": 2,
        "closed": 1,
    }
    assert report.calls.planned == 12  # org_a's ten and two of Monza's; not Milan's
    assert (report.reached_this_week, report.active) == (3, 6)
    assert (report.alerts.raised, report.alerts.acknowledged) == (6, 4)
    assert report.alerts.mean_to_acknowledge == dt.timedelta(minutes=35)  # (10+20+60+50) / 4
    ucla = next(row for row in report.screenings if row.code == "ucla-3")
    assert (ucla.people, ucla.improved, ucla.unchanged, ucla.worsened) == (4, 2, 1, 1)


def test_monitoring_officer_never_sees_a_municipality_with_fewer_than_five_people(
    world, monitoring
):
    report = report_for(monitoring, world.programme)
    assert SMALL_CELL == 5
    assert report.small_cells_merged
    # Lecco has 5 people in charge; Valmadrera (1) and Monza (2) are added up, unnamed.
    assert [(r.municipality, r.in_charge) for r in report.by_municipality] == [("Lecco", 5)]
    assert report.other_municipalities == 3


def test_coordinator_of_org_a_does_not_count_org_b(world, coordinator):
    report = report_for(coordinator, world.programme)
    assert "Monza" not in {row.municipality for row in report.by_municipality}
    assert report.alerts.raised == 5


def test_administrator_sees_the_territory_of_their_organisation(world, administrator):
    report = report_for(administrator, world.programme)
    assert report.in_charge == 6
    assert not report.small_cells_merged


def test_territory_includes_people_elsewhere_that_the_organisation_is_in_charge_of(
    world, org_a, coordinator, monitoring
):
    world.enrol("Milano", org_a, Enrolment.State.ACTIVE)
    assert report_for(coordinator, world.programme).in_charge == 7
    assert report_for(monitoring, world.programme).in_charge == 8  # not the ATS's territory


def test_a_coordinator_of_two_organisations_counts_both(world, coordinator, org_b):
    MembershipFactory(user=coordinator, organisation=org_b, role=Role.COORDINATOR)
    report = report_for(coordinator, world.programme)
    assert report.in_charge == 6 + 2 + 1  # org_b's Monza people and its person in Milan


def test_users_without_stats_permission_count_nothing(world, volunteer):
    report = report_for(volunteer, world.programme)
    assert report.in_charge == 0
    assert report.calls.planned == 0
    assert report.alerts.raised == 0
    assert report.screenings == []


def _grow(world: World, org, n: int) -> None:
    for i in range(n):
        enrolment = world.enrol(["Lecco", "Monza", "Valmadrera"][i % 3], org, "active")
        world.call(enrolment, dt.date(2025, 3, 3), PlannedCall.Status.DONE, local(TODAY))
        world.alert(enrolment, local(TODAY, 9), acknowledged_after=3)
        world.screening(enrolment, "ucla-3", 4, dt.date(2025, 1, 1))
        world.screening(enrolment, "ucla-3", 5, dt.date(2025, 2, 1))


# --- query count -----------------------------------------------------------------------------


def test_the_report_takes_the_same_number_of_queries_whatever_the_data(
    world, monitoring, org_a, django_assert_max_num_queries
):
    # The user's roles, then eight aggregate queries.
    with django_assert_max_num_queries(9) as small:
        report_for(monitoring, world.programme)
    _grow(world, org_a, 15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        report = report_for(monitoring, world.programme)
    assert report.in_charge == 8 + 15


# --- the page and the export -----------------------------------------------------------------


URL = "/programmi/monitoraggio/"
QUERY = {"programme": "telefonia-sociale", "from": "2025-02-11", "to": "2025-03-12"}


def test_urls_are_mounted_under_programmi_monitoraggio():
    assert reverse("programmes:monitoring") == URL
    assert reverse("programmes:monitoring_export") == URL + "export.csv"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("coordinator", 200),
        ("monitoring_officer", 200),
        ("administrator", 200),
        ("volunteer", 403),
        ("proximity_operator", 403),
        ("social_worker", 403),
        ("outsider", 403),
    ],
)
def test_who_may_open_the_page_and_the_export(client, cast, telefonia, role, status):
    client.force_login(cast[role])
    assert client.get(URL).status_code == status
    assert client.get(URL + "export.csv").status_code == status


def test_anonymous_users_are_sent_to_log_in(client, telefonia):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_page_shows_the_figures_in_accessible_tables_and_no_person(client, world, monitoring):
    client.force_login(monitoring)
    response = client.get(URL, QUERY | {"lang": "en"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<caption>") == 6
    assert '<th scope="col">' in html and '<th scope="row">' in html
    assert "<meter" in html and 'aria-hidden="true"' in html
    assert "8 people in charge out of a target of 1500 (0.5%)." in html
    assert "3 of the 6 people active answered at least one call (50.0%)." in html
    assert "Valmadrera" not in html  # a small cell, added up and unnamed
    for surname in [*world.names, "Ermenegilda"]:
        assert surname not in html
    assert "export.csv?programme=telefonia-sociale&amp;from=2025-02-11&amp;to=2025-03-12" in html


def test_page_defaults_to_telefonia_sociale_and_the_last_30_days(client, telefonia, coordinator):
    client.force_login(coordinator)
    response = client.get(URL)
    report = response.context["report"]
    assert report.programme.code == "telefonia-sociale"
    assert (report.period_start, report.period_end) == (dt.date(2025, 2, 11), TODAY)


def test_a_period_ending_before_it_starts_shows_the_error_and_no_figures(
    client, telefonia, coordinator
):
    client.force_login(coordinator)
    response = client.get(URL, QUERY | {"from": "2025-03-20", "lang": "en"})
    assert response.status_code == 200
    assert response.context["report"] is None
    assert "The period must start before it ends." in response.content.decode()
    assert client.get(URL + "export.csv", QUERY | {"to": "not a date"}).status_code == 400


def test_page_view_and_export_are_audited_on_the_programme(client, world, coordinator):
    client.force_login(coordinator)
    client.get(URL, QUERY)
    client.get(URL + "export.csv", QUERY)
    events = list(
        LogEntry.objects.get_for_object(world.programme)
        .order_by("pk")
        .values_list("additional_data", "actor")
    )
    assert events == [
        (
            {"event": "programmes.monitoring.viewed", "from": "2025-02-11", "to": "2025-03-12"},
            coordinator.pk,
        ),
        (
            {"event": "programmes.monitoring.exported", "from": "2025-02-11", "to": "2025-03-12"},
            coordinator.pk,
        ),
    ]


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_export_is_a_long_csv_with_every_figure_and_no_person(client, world, monitoring):
    client.force_login(monitoring)
    response = client.get(URL + "export.csv", QUERY | {"lang": "en"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="monitoraggio-telefonia-sociale-2025-02-11-2025-03-12.csv"'
    )
    rows = _csv(response)
    assert rows[0] == [
        "programme", "from", "to", "section", "group", "subgroup", "measure", "description",
        "value",
    ]  # fmt: skip
    assert all(row[:3] == ["telefonia-sociale", "2025-02-11", "2025-03-12"] for row in rows[1:])
    figures = {(r[3], r[4], r[5], r[6]): r[8] for r in rows[1:]}
    assert figures[("people", "", "", "in_charge")] == "8"
    assert figures[("people", "", "", "target_share_percent")] == "0.5"
    assert figures[("states", "Active", "", "enrolments")] == "6"
    assert figures[("municipalities", "Lecco", "Lecco", "in_charge")] == "5"
    other = "Other municipalities, fewer than 5 people in charge each"
    assert figures[("municipalities", "", other, "in_charge")] == "3"
    assert figures[("calls", "", "", "planned")] == "12"
    assert figures[("reach", "2025-W11", "", "reached")] == "3"
    assert figures[("alerts", "", "", "mean_minutes_to_acknowledge")] == "35.0"
    assert figures[("alerts_by_kind", "Red flag", "", "raised")] == "4"
    assert figures[("screenings", "ucla-3", "", "improved")] == "2"
    assert len(rows) - 1 == len(report_rows(report_for(monitoring, world.programme)))
    text = response.content.decode()
    for surname in [*world.names, "Ermenegilda"]:
        assert surname not in text


def test_export_in_italian_uses_the_decimal_comma(client, world, coordinator):
    client.force_login(coordinator)
    rows = _csv(client.get(URL + "export.csv", QUERY | {"lang": "it"}))
    figures = {(r[3], r[6]): r[8] for r in rows[1:] if r[3] == "calls"}
    assert figures[("calls", "on_time_share_percent")] == "85,7"


def test_export_defuses_text_a_spreadsheet_would_run_as_a_formula(client, world, coordinator):
    Municipality.objects.filter(name="Valmadrera").update(name="=HYPERLINK(1)")
    client.force_login(coordinator)
    rows = _csv(client.get(URL + "export.csv", QUERY))
    named = [r[5] for r in rows if r[3] == "municipalities" and "HYPER" in r[5]]
    assert named == ["'=HYPERLINK(1)"]


@pytest.mark.parametrize("path", ["", "export.csv"])
def test_page_and_export_take_the_same_number_of_queries_whatever_the_data(
    client, world, org_a, monitoring, path, django_assert_max_num_queries
):
    client.force_login(monitoring)
    client.get(URL + path, QUERY)  # the session, the language: settled once
    with django_assert_max_num_queries(20) as small:
        assert client.get(URL + path, QUERY).status_code == 200
    _grow(world, org_a, 15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(URL + path, QUERY).status_code == 200
