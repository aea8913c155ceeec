"""Escalation rules: not reached, screening scores, red flags on a planned call.

Attempts are written here as `calls.record_attempt` writes them (the row, then the signal, in
one transaction); each rule is checked at its boundary, with the programme's configuration.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone, translation

from prossimo.core.permissions import Role
from prossimo.listening.models import Alert, RedFlag
from prossimo.listening.services import (
    ContactInput,
    acknowledge_alert,
    log_contact,
    resolve_alert,
)
from prossimo.programmes import escalation
from prossimo.programmes.models import (
    CallAttempt,
    CallPlan,
    Enrolment,
    PlannedCall,
    Rhythm,
    ScreeningRule,
    weekday_mask,
)
from prossimo.programmes.services import ReferralInput, change_state, refer_person
from prossimo.programmes.signals import call_attempt_recorded
from prossimo.territory.models import Municipality, Organisation
from prossimo.territory.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Services speak the active language; these tests read their messages in English (the
    Italian catalogue is checked whole by core/tests/test_i18n.py)."""
    with translation.override("en"):
        yield


OUT = CallAttempt.Outcome
K = Alert.Kind
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


# --- fixtures and helpers --------------------------------------------------------------


@pytest.fixture
def comune(territory) -> Organisation:
    """The municipality of Lecco's social services: its social worker refers people to the
    Telefonia Sociale run by org_a, and is no member of org_a."""
    org = OrganisationFactory(name="Comune di Lecco", kind=Organisation.Kind.MUNICIPALITY)
    org.municipalities.set(Municipality.objects.filter(name="Lecco"))
    return org


@pytest.fixture
def comune_worker(comune):
    user = UserFactory(username="sw_comune", first_name="Utente", last_name="Comune")
    MembershipFactory(user=user, organisation=comune, role=Role.SOCIAL_WORKER)
    return user


@pytest.fixture
def enrolment(
    time_machine, comune_worker, person_a, telefonia, coordinator, volunteer
) -> Enrolment:
    """Maria Rossi referred by the comune's social worker, in charge of org_a, called every
    day by the volunteer."""
    time_machine.move_to(START - dt.timedelta(days=30), tick=False)
    referral = refer_person(
        comune_worker,
        programme=telefonia,
        person=person_a,
        referral=ReferralInput(reason="Vive sola", consent=Enrolment.Consent.GIVEN),
    )
    enrolment = change_state(coordinator, enrolment=referral, to_state=Enrolment.State.ACTIVE)
    CallPlan.objects.create(
        enrolment=enrolment,
        rhythm=Rhythm.WEEKLY,
        weekdays=weekday_mask(list(range(1, 8))),
        starts_on=timezone.localdate(),
        window_start=dt.time(10),
        window_end=dt.time(12),
        volunteer=volunteer,
    )
    time_machine.move_to(START, tick=False)
    return enrolment


def record(
    enrolment: Enrolment, outcome: str, *, actor: Any, contact: Any = None, at: Any = None
) -> CallAttempt:
    """Record an attempt now (or `at`) as calls.record_attempt does: row and signal, atomic."""
    at = at or timezone.now()
    with transaction.atomic():
        call, _created = PlannedCall.objects.get_or_create(
            plan=enrolment.plan,
            due_on=timezone.localdate(at),
            defaults={
                "enrolment": enrolment,
                "person": enrolment.person,
                "organisation": enrolment.organisation,
                "window_start": dt.time(10),
                "window_end": dt.time(12),
                "assignee": enrolment.plan.volunteer,
            },
        )
        attempt = CallAttempt.objects.create(
            call=call, enrolment=enrolment, at=at, by=actor, outcome=outcome, contact=contact
        )
        call_attempt_recorded.send(sender=CallAttempt, attempt=attempt, actor=actor)
    return attempt


def fail_on_days(enrolment: Enrolment, days: list[float], *, actor: Any, time_machine) -> None:
    """Failed attempts on these days after START (time moves on to each)."""
    for day in days:
        time_machine.move_to(START + dt.timedelta(days=day), tick=False)
        record(enrolment, OUT.NO_ANSWER, actor=actor)


def not_reached(enrolment: Enrolment) -> list[Alert]:
    return list(
        Alert.objects.filter(kind=K.FAILED_ATTEMPTS, person=enrolment.person).order_by("created_at")
    )


# --- not reached -----------------------------------------------------------------------


def test_the_receivers_are_connected_when_the_app_is_ready():
    from prossimo.questionnaires.signals import response_recorded

    def uids(signal: Any) -> set[Any]:
        return {entry[0][0] for entry in signal.receivers}

    assert "programmes.escalation.call_attempt" in uids(call_attempt_recorded)
    assert "programmes.escalation.screening" in uids(response_recorded)


def test_one_failed_attempt_less_than_the_rule_raises_nothing(enrolment, volunteer, time_machine):
    fail_on_days(enrolment, [0, 1], actor=volunteer, time_machine=time_machine)  # N = 3
    assert not_reached(enrolment) == []


def test_n_failed_attempts_within_d_days_alert_the_referring_worker_and_the_organisation(
    enrolment, volunteer, time_machine, comune_worker, org_a
):
    fail_on_days(enrolment, [0, 1, 3], actor=volunteer, time_machine=time_machine)
    [alert] = not_reached(enrolment)
    assert (alert.organisation, alert.person, alert.social_worker, alert.raised_by) == (
        org_a,
        enrolment.person,
        comune_worker,
        volunteer,
    )
    assert alert.status == Alert.Status.OPEN
    assert alert.detail == "3 failed call attempts in a row within 7 days"
    assert alert.title == str(K.FAILED_ATTEMPTS.label)


@pytest.mark.parametrize("outcome", [OUT.NO_ANSWER, OUT.BUSY, OUT.WRONG_NUMBER])
def test_every_failed_outcome_counts(outcome, enrolment, volunteer):
    for _i in range(3):
        record(enrolment, outcome, actor=volunteer)
    assert len(not_reached(enrolment)) == 1


def test_n_failed_attempts_exactly_d_days_apart_still_count(enrolment, volunteer, time_machine):
    fail_on_days(enrolment, [0, 3, 7], actor=volunteer, time_machine=time_machine)
    assert len(not_reached(enrolment)) == 1


def test_n_failed_attempts_spread_over_more_than_d_days_raise_nothing(
    enrolment, volunteer, time_machine
):
    fail_on_days(enrolment, [0, 3, 7.01], actor=volunteer, time_machine=time_machine)
    assert not_reached(enrolment) == []
    # The window slides: the last three (days 3, 7.01, 8) are within 7 days.
    fail_on_days(enrolment, [8], actor=volunteer, time_machine=time_machine)
    assert len(not_reached(enrolment)) == 1


@pytest.mark.parametrize("between", [OUT.ANSWERED, OUT.REFUSED])
def test_an_attempt_that_reached_the_person_starts_the_count_again(
    between, enrolment, volunteer, time_machine
):
    fail_on_days(enrolment, [0, 1], actor=volunteer, time_machine=time_machine)
    time_machine.move_to(START + dt.timedelta(days=1, hours=2), tick=False)
    record(enrolment, between, actor=volunteer)
    fail_on_days(enrolment, [2, 3], actor=volunteer, time_machine=time_machine)
    assert not_reached(enrolment) == []
    fail_on_days(enrolment, [4], actor=volunteer, time_machine=time_machine)
    assert len(not_reached(enrolment)) == 1


def test_no_second_alert_while_the_first_is_unresolved(
    enrolment, volunteer, coordinator, time_machine
):
    fail_on_days(enrolment, [0, 1, 2, 3], actor=volunteer, time_machine=time_machine)
    [alert] = not_reached(enrolment)
    acknowledge_alert(coordinator, alert=alert)  # acknowledged is still unresolved
    fail_on_days(enrolment, [4, 5, 6], actor=volunteer, time_machine=time_machine)
    assert not_reached(enrolment) == [alert]


def test_after_resolution_n_new_failed_attempts_raise_a_new_alert(
    enrolment, volunteer, coordinator, time_machine
):
    fail_on_days(enrolment, [0, 1, 2], actor=volunteer, time_machine=time_machine)
    [first] = not_reached(enrolment)
    resolve_alert(coordinator, alert=first, resolution="Numero corretto con la figlia.")
    fail_on_days(enrolment, [3, 4], actor=volunteer, time_machine=time_machine)
    assert not_reached(enrolment) == [first]
    fail_on_days(enrolment, [5], actor=volunteer, time_machine=time_machine)
    alerts = not_reached(enrolment)
    assert len(alerts) == 2
    assert alerts[1].status == Alert.Status.OPEN


def test_the_rule_follows_the_programmes_configuration(enrolment, volunteer, time_machine):
    programme = enrolment.programme
    programme.escalate_failed_attempts = 2
    programme.escalate_failed_within_days = 1
    programme.save(update_fields=["escalate_failed_attempts", "escalate_failed_within_days"])
    fail_on_days(enrolment, [0, 1.5], actor=volunteer, time_machine=time_machine)
    assert not_reached(enrolment) == []
    fail_on_days(enrolment, [2], actor=volunteer, time_machine=time_machine)
    [alert] = not_reached(enrolment)
    assert "2" in alert.detail and "1" in alert.detail


def test_zero_attempts_turns_the_rule_off(enrolment, volunteer, time_machine):
    enrolment.programme.escalate_failed_attempts = 0
    enrolment.programme.save(update_fields=["escalate_failed_attempts"])
    fail_on_days(enrolment, [0, 1, 2, 3, 4], actor=volunteer, time_machine=time_machine)
    assert not_reached(enrolment) == []


def test_zero_days_means_no_time_limit(enrolment, volunteer, time_machine):
    enrolment.programme.escalate_failed_within_days = 0
    enrolment.programme.save(update_fields=["escalate_failed_within_days"])
    fail_on_days(enrolment, [0, 30, 60], actor=volunteer, time_machine=time_machine)
    assert len(not_reached(enrolment)) == 1


def test_an_attempt_recorded_late_for_an_earlier_time_does_not_count_as_the_last(
    enrolment, volunteer, time_machine
):
    fail_on_days(enrolment, [5, 6], actor=volunteer, time_machine=time_machine)
    record(enrolment, OUT.ANSWERED, actor=volunteer, at=START + dt.timedelta(days=6, hours=1))
    # Recorded now, for day 1: the last three attempts by time are failed, answered, failed.
    record(enrolment, OUT.NO_ANSWER, actor=volunteer, at=START + dt.timedelta(days=1))
    assert not_reached(enrolment) == []


def test_attempts_recorded_by_the_calls_service_escalate(
    enrolment, volunteer, comune_worker, time_machine
):
    from prossimo.programmes.calls import generate_due_calls, record_attempt

    for day in range(3):
        time_machine.move_to(START + dt.timedelta(days=day), tick=False)
        generate_due_calls(timezone.localdate())
        call = PlannedCall.objects.get(plan=enrolment.plan, due_on=timezone.localdate())
        record_attempt(volunteer, call=call, outcome=OUT.BUSY)
        assert len(not_reached(enrolment)) == (1 if day == 2 else 0)
    [alert] = not_reached(enrolment)
    assert (alert.social_worker, alert.raised_by) == (comune_worker, volunteer)


def test_a_closed_enrolment_raises_nothing(enrolment, volunteer, coordinator):
    change_state(
        coordinator,
        enrolment=enrolment,
        to_state=Enrolment.State.CLOSED,
        reason=Enrolment.CloseReason.MOVED,
    )
    enrolment.refresh_from_db()
    for _i in range(3):
        record(enrolment, OUT.NO_ANSWER, actor=volunteer)
    assert not_reached(enrolment) == []


def test_the_alert_is_seen_by_the_referring_worker_and_the_coordinator_not_by_others(
    enrolment, volunteer, coordinator, comune_worker, outsider, time_machine
):
    fail_on_days(enrolment, [0, 1, 2], actor=volunteer, time_machine=time_machine)
    [alert] = not_reached(enrolment)
    assert alert in Alert.objects.visible_to(comune_worker)
    assert alert in Alert.objects.visible_to(coordinator)
    assert alert not in Alert.objects.visible_to(outsider)
    # The referring worker may act on it, from their own organisation.
    resolve_alert(comune_worker, alert=alert, resolution="Visita domiciliare fatta.")


def test_each_escalation_is_audited(enrolment, volunteer, time_machine):
    fail_on_days(enrolment, [0, 1, 2], actor=volunteer, time_machine=time_machine)
    [alert] = not_reached(enrolment)
    [entry] = LogEntry.objects.filter(
        additional_data__event="programmes.escalation.raised", object_pk=str(alert.pk)
    )
    assert entry.actor == volunteer
    assert entry.additional_data["kind"] == K.FAILED_ATTEMPTS
    assert entry.additional_data["enrolment"] == str(enrolment.pk)
    assert entry.additional_data["person"] == str(enrolment.person_id)


def test_the_alert_is_written_with_the_attempt_or_not_at_all(enrolment, volunteer):
    record(enrolment, OUT.NO_ANSWER, actor=volunteer)
    record(enrolment, OUT.BUSY, actor=volunteer)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(enrolment, OUT.NO_ANSWER, actor=volunteer)
        assert len(not_reached(enrolment)) == 1
        raise RuntimeError("the attempt's transaction fails later")
    assert not_reached(enrolment) == []
    assert not LogEntry.objects.filter(additional_data__event="programmes.escalation.raised")


# --- red flags on a planned call -------------------------------------------------------


def call_with_flags(enrolment: Enrolment, user: Any, *flags: str, **kwargs: Any) -> CallAttempt:
    """A planned call answered, with a contact logged on the listening line as part of it."""
    contact = log_contact(
        user,
        data=ContactInput(
            person=enrolment.person,
            channel="outbound_call",
            red_flags=list(flags),
            emergency_called=RedFlag.DANGER_TO_LIFE in flags,
        ),
        **kwargs,
    )
    return record(enrolment, OUT.ANSWERED, actor=user, contact=contact)


def red_flag_alerts(enrolment: Enrolment) -> list[Alert]:
    return list(
        Alert.objects.filter(kind=K.RED_FLAG, person=enrolment.person).order_by(
            "created_at", "red_flag"
        )
    )


def test_a_red_flag_reaches_the_referring_worker_on_the_same_alert(
    enrolment, volunteer, comune_worker, org_a
):
    # The volunteer is of org_a (in charge); the person has no social worker of their own.
    attempt = call_with_flags(enrolment, volunteer, RedFlag.NO_FOOD_OR_MEDICINES)
    [alert] = red_flag_alerts(enrolment)
    assert (alert.organisation, alert.social_worker, alert.contact_id) == (
        org_a,
        comune_worker,
        attempt.contact_id,
    )
    assert alert in Alert.objects.visible_to(comune_worker)
    assert LogEntry.objects.filter(
        additional_data__event="programmes.escalation.raised", object_pk=str(alert.pk)
    ).exists()


def test_a_planned_call_logged_with_a_red_flag_reaches_the_referring_worker(
    enrolment, volunteer, comune_worker, org_a
):
    from prossimo.programmes.calls import generate_due_calls, log_planned_call

    generate_due_calls(timezone.localdate())
    call = PlannedCall.objects.get(plan=enrolment.plan, due_on=timezone.localdate())
    contact = log_planned_call(
        volunteer,
        call=call,
        data=ContactInput(
            person=enrolment.person, channel="outbound_call", red_flags=[RedFlag.VIOLENCE]
        ),
    )
    [alert] = red_flag_alerts(enrolment)
    assert (alert.contact, alert.organisation, alert.social_worker) == (
        contact,
        org_a,
        comune_worker,
    )


def test_a_red_flag_of_a_contact_logged_elsewhere_reaches_the_organisation_in_charge(
    enrolment, comune, comune_worker, org_a
):
    operator = UserFactory(username="op_comune")
    MembershipFactory(user=operator, organisation=comune, role=Role.PROXIMITY_OPERATOR)
    call_with_flags(enrolment, operator, RedFlag.VIOLENCE)
    alerts = red_flag_alerts(enrolment)
    assert {(a.organisation, a.social_worker) for a in alerts} == {
        (comune, None),  # the listening line's, in the contact's organisation
        (org_a, comune_worker),  # the programme's
    }


def test_the_persons_own_social_worker_and_the_referring_one_each_get_an_alert(
    enrolment, volunteer, social_worker, comune_worker, org_a
):
    person = enrolment.person
    person.social_worker = social_worker
    person.save(update_fields=["social_worker"])
    call_with_flags(enrolment, volunteer, RedFlag.ALONE_AND_UNWELL)
    alerts = red_flag_alerts(enrolment)
    assert {(a.organisation, a.social_worker) for a in alerts} == {
        (org_a, social_worker),
        (org_a, comune_worker),
    }


def test_a_red_flag_already_routed_to_everyone_is_not_duplicated(
    enrolment, volunteer, comune_worker
):
    person = enrolment.person
    person.social_worker = comune_worker
    person.save(update_fields=["social_worker"])
    call_with_flags(enrolment, volunteer, RedFlag.NO_FOOD_OR_MEDICINES, RedFlag.VIOLENCE)
    alerts = red_flag_alerts(enrolment)
    assert len(alerts) == 2  # one per flag, both the listening line's
    assert {a.social_worker for a in alerts} == {comune_worker}
    assert not LogEntry.objects.filter(additional_data__event="programmes.escalation.raised")


def test_the_signal_sent_twice_does_not_duplicate(enrolment, comune, comune_worker):
    operator = UserFactory(username="op_comune")
    MembershipFactory(user=operator, organisation=comune, role=Role.PROXIMITY_OPERATOR)
    attempt = call_with_flags(enrolment, operator, RedFlag.VIOLENCE)
    call_attempt_recorded.send(sender=CallAttempt, attempt=attempt, actor=operator)
    assert len(red_flag_alerts(enrolment)) == 2


def test_red_flags_are_not_escalated_when_the_programme_says_so(
    enrolment, volunteer, comune, comune_worker
):
    enrolment.programme.escalate_red_flags = False
    enrolment.programme.save(update_fields=["escalate_red_flags"])
    operator = UserFactory(username="op_comune")
    MembershipFactory(user=operator, organisation=comune, role=Role.PROXIMITY_OPERATOR)
    call_with_flags(enrolment, operator, RedFlag.VIOLENCE)
    call_with_flags(enrolment, volunteer, RedFlag.ALONE_AND_UNWELL)
    # Only the listening line's own alerts.
    assert {(a.organisation.name, a.social_worker) for a in red_flag_alerts(enrolment)} == {
        ("Comune di Lecco", None),
        ("Cooperativa A", None),
    }


def test_a_call_without_red_flags_raises_nothing(enrolment, volunteer):
    call_with_flags(enrolment, volunteer)
    assert not Alert.objects.exists()


# --- screening -------------------------------------------------------------------------

UCLA = {"code": "ucla-3", "higher_is_worse": True}


def score(value: int, *, person: Any, by: Any, code: str = "ucla-3", worse_up: bool = True):
    return escalation.Score(
        person_id=person.pk,
        code=code,
        score=Decimal(value),
        higher_is_worse=worse_up,
        title="UCLA-3",
        recorded_by=by,
    )


def screening_alerts(enrolment: Enrolment) -> list[Alert]:
    return list(
        Alert.objects.filter(
            kind__in=[K.SCREENING_THRESHOLD, K.SCREENING_WORSENED], person=enrolment.person
        ).order_by("created_at")
    )


def screen(enrolment: Enrolment, by: Any, new: int, previous: int | None, **kwargs: Any):
    person = enrolment.person
    old = score(previous, person=person, by=by, **kwargs) if previous is not None else None
    with transaction.atomic():
        return escalation.check_screening(by, score(new, person=person, by=by, **kwargs), old)


# The seeded Telefonia Sociale: UCLA-3 threshold 6, worsening by 2.
@pytest.mark.parametrize(
    ("previous", "new", "kind"),
    [
        (None, 5, None),
        (None, 6, K.SCREENING_THRESHOLD),  # the first screening, already at the threshold
        (5, 6, K.SCREENING_THRESHOLD),  # reaching it exactly
        (5, 7, K.SCREENING_THRESHOLD),  # crossing and worse by 2: one alert, the threshold's
        (6, 7, None),  # over it already, worse by 1 only
        (6, 8, K.SCREENING_WORSENED),  # over it already, worse by 2
        (3, 5, K.SCREENING_WORSENED),  # under it, worse by 2
        (4, 5, None),
        (8, 6, None),  # better
        (7, 5, None),  # back under the threshold
    ],
)
def test_ucla_3_scores_against_the_seeded_rule(previous, new, kind, enrolment, volunteer):
    raised = screen(enrolment, volunteer, new, previous)
    assert [a.kind for a in raised] == ([kind] if kind else [])
    assert screening_alerts(enrolment) == raised


def test_crossing_and_worsening_in_one_response_is_one_alert_saying_both(
    enrolment, volunteer, comune_worker, org_a
):
    [alert] = screen(enrolment, volunteer, 7, 5)
    assert alert.kind == K.SCREENING_THRESHOLD
    assert (alert.organisation, alert.social_worker, alert.raised_by) == (
        org_a,
        comune_worker,
        volunteer,
    )
    for number in ("7", "6", "5", "2"):
        assert number in alert.detail
    assert alert in Alert.objects.visible_to(comune_worker)


def test_when_lower_is_worse_the_comparisons_flip(enrolment, volunteer):
    ScreeningRule.objects.create(
        programme=enrolment.programme,
        questionnaire_code="wellbeing",
        threshold=Decimal(3),
        worsening_by=Decimal(2),
    )
    kw = {"code": "wellbeing", "worse_up": False}
    assert screen(enrolment, volunteer, 5, 4, **kw) == []
    assert [a.kind for a in screen(enrolment, volunteer, 3, 4, **kw)] == [K.SCREENING_THRESHOLD]
    assert [a.kind for a in screen(enrolment, volunteer, 6, 8, **kw)] == [K.SCREENING_WORSENED]
    assert screen(enrolment, volunteer, 2, 1, **kw) == []


def test_a_rule_without_threshold_or_worsening_leaves_that_part_off(enrolment, volunteer):
    # PRISMA-7 is seeded with a threshold (3) and no worsening rule.
    assert screen(enrolment, volunteer, 2, 0, code="prisma-7") == []
    assert [a.kind for a in screen(enrolment, volunteer, 3, 2, code="prisma-7")] == [
        K.SCREENING_THRESHOLD
    ]


def test_no_rule_for_the_questionnaire_no_alert(enrolment, volunteer):
    assert screen(enrolment, volunteer, 9, 3, code="tfi") == []


@pytest.mark.parametrize("state", [Enrolment.State.REFERRED, Enrolment.State.CLOSED])
def test_only_people_being_followed_are_escalated(state, enrolment, volunteer):
    Enrolment.objects.filter(pk=enrolment.pk).update(state=state)
    assert screen(enrolment, volunteer, 7, 5) == []


def ucla_3(user: Any, person: Any, score: int, django_capture_on_commit_callbacks) -> Any:
    """Record the shipped UCLA-3 with answers adding up to `score` (3 to 9)."""
    from prossimo.questionnaires.models import Questionnaire
    from prossimo.questionnaires.services import record_response

    values = {1: "hardly_ever", 2: "some_of_the_time", 3: "often"}
    points = [score // 3 + (1 if i < score % 3 else 0) for i in range(3)]
    answers = dict(
        zip(
            ["lack_companionship", "left_out", "isolated"], [values[p] for p in points], strict=True
        )
    )
    questionnaire = Questionnaire.objects.active().filter(code="ucla-3").order_by("-version")[0]
    with django_capture_on_commit_callbacks(execute=True):
        return record_response(user, person=person, questionnaire=questionnaire, answers=answers)


def test_a_recorded_ucla_3_crossing_the_threshold_alerts_once_after_commit(
    enrolment, volunteer, comune_worker, coordinator, time_machine,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    person = enrolment.person
    response = ucla_3(volunteer, person, 5, django_capture_on_commit_callbacks)
    assert response.score == 5
    assert screening_alerts(enrolment) == []
    time_machine.move_to(START + dt.timedelta(days=30), tick=False)
    ucla_3(volunteer, person, 7, django_capture_on_commit_callbacks)
    [alert] = screening_alerts(enrolment)
    assert (alert.kind, alert.raised_by, alert.social_worker) == (
        K.SCREENING_THRESHOLD,
        volunteer,
        comune_worker,
    )
    assert "7" in alert.detail and "5" in alert.detail
    assert alert in Alert.objects.visible_to(comune_worker)
    assert alert in Alert.objects.visible_to(coordinator)
    assert LogEntry.objects.filter(
        additional_data__event="programmes.escalation.raised", object_pk=str(alert.pk)
    ).exists()
    time_machine.move_to(START + dt.timedelta(days=60), tick=False)
    ucla_3(volunteer, person, 9, django_capture_on_commit_callbacks)
    assert [a.kind for a in screening_alerts(enrolment)] == [
        K.SCREENING_THRESHOLD,
        K.SCREENING_WORSENED,
    ]


def test_the_receiver_reads_a_response_of_the_questionnaires_app(enrolment, volunteer):
    """Score, instrument code, direction and who recorded it come from the `Response`."""
    questionnaire = SimpleNamespace(
        code="ucla-3",
        definition={"scoring": {"higher_is_worse": True}},
        title_in=lambda language: "UCLA 3",
    )

    def response(value: int) -> Any:
        return SimpleNamespace(
            person_id=enrolment.person_id,
            questionnaire=questionnaire,
            score=value,
            recorded_by=volunteer,
        )

    escalation.on_response_recorded(None, response=response(8), previous=response(6))
    [alert] = screening_alerts(enrolment)
    assert (alert.kind, alert.raised_by) == (K.SCREENING_WORSENED, volunteer)
    assert alert.detail.startswith("UCLA 3")
