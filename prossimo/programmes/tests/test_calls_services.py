"""Call plans, absences, the daily generation of calls and attempts (services called directly)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from prossimo.core.permissions import Role
from prossimo.listening.models import Contact
from prossimo.listening.services import ConcurrentEdit, ContactInput, log_contact
from prossimo.programmes import calls
from prossimo.programmes.calls import (
    cancel_absence,
    generate_due_calls,
    log_planned_call,
    record_absence,
    record_attempt,
    set_call_plan,
)
from prossimo.programmes.models import (
    CallAttempt,
    CallPlan,
    Enrolment,
    PlannedCall,
    Rhythm,
)
from prossimo.programmes.services import change_state
from prossimo.programmes.signals import call_attempt_recorded
from prossimo.territory.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

S = PlannedCall.Status
OUT = CallAttempt.Outcome
TODAY = timezone.localdate


def plan_args(enrolment, volunteer, backup=None, **changes):
    args = {
        "enrolment": enrolment,
        "rhythm": Rhythm.WEEKLY,
        "weekdays": [2],
        "interval_days": None,
        "starts_on": TODAY(),
        "window_start": dt.time(9),
        "window_end": dt.time(11),
        "volunteer": volunteer,
        "backup": backup,
        "priority": 2,
    }
    args.update(changes)
    return args


def days_with_calls(plan: CallPlan, first: dt.date, days: int) -> list[dt.date]:
    for offset in range(days):
        generate_due_calls(first + dt.timedelta(days=offset))
    return list(
        PlannedCall.objects.filter(plan=plan).order_by("due_on").values_list("due_on", flat=True)
    )


def next_weekday(iso: int, after: dt.date | None = None) -> dt.date:
    day = after or TODAY()
    while day.isoweekday() != iso:
        day += dt.timedelta(days=1)
    return day


# --- plans: validation --------------------------------------------------------------------


@pytest.fixture
def cast_b(org_b):
    user = UserFactory(username="coord_b")
    MembershipFactory(user=user, organisation=org_b, role=Role.COORDINATOR)
    return user


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rhythm": "monthly"}, "rhythm"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [8]}, "weekdays"),
        ({"rhythm": Rhythm.EVERY_N_DAYS, "interval_days": None}, "interval_days"),
        ({"rhythm": Rhythm.EVERY_N_DAYS, "interval_days": 0}, "interval_days"),
        ({"rhythm": Rhythm.EVERY_N_DAYS, "interval_days": 366}, "interval_days"),
        ({"starts_on": None}, "starts_on"),
        ({"starts_on": dt.date(2020, 1, 1)}, "starts_on"),
        ({"window_start": None}, "window_start"),
        ({"window_end": dt.time(9)}, "window_end"),
        ({"window_end": dt.time(8)}, "window_end"),
        ({"priority": 7}, "priority"),
        ({"volunteer": None}, "volunteer"),
    ],
)
def test_a_plan_is_refused_with_a_message_on_the_field(
    active_enrolment, coordinator, volunteer, changes, field
):
    args = {**plan_args(active_enrolment, volunteer), **changes}
    with pytest.raises(ValidationError) as exc:
        set_call_plan(coordinator, **args)
    assert field in exc.value.message_dict
    assert not CallPlan.objects.exists()


def test_volunteer_and_backup_are_two_calling_members_of_the_organisation_in_charge(
    active_enrolment, coordinator, volunteer, operator, social_worker, outsider
):
    def error_of(volunteer, backup=None):
        with pytest.raises(ValidationError) as exc:
            set_call_plan(coordinator, **plan_args(active_enrolment, volunteer, backup))
        return exc.value.message_dict

    assert "volunteer" in error_of(volunteer=outsider)  # another organisation
    assert "volunteer" in error_of(volunteer=social_worker)  # no calling role
    assert "backup" in error_of(volunteer=volunteer, backup=volunteer)
    assert "backup" in error_of(volunteer=volunteer, backup=outsider)
    volunteer.memberships.update(is_active=False)
    assert "volunteer" in error_of(volunteer=volunteer, backup=operator)


@pytest.mark.parametrize("state", [Enrolment.State.REFERRED, Enrolment.State.CLOSED])
def test_calls_are_planned_only_for_people_in_charge(referral, coordinator, volunteer, state):
    Enrolment.objects.filter(pk=referral.pk).update(state=state)
    referral.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        set_call_plan(coordinator, **plan_args(referral, volunteer))
    assert "enrolment" in exc.value.message_dict


def test_only_the_coordinators_of_the_organisation_in_charge_set_plans(
    active_enrolment, volunteer, social_worker, cast_b
):
    for actor in (volunteer, social_worker, cast_b):
        with pytest.raises(PermissionDenied):
            set_call_plan(actor, **plan_args(active_enrolment, volunteer))


def test_a_plan_changed_from_a_stale_copy_is_refused(call_plan, coordinator, volunteer):
    stale = call_plan.version
    set_call_plan(
        coordinator,
        **plan_args(call_plan.enrolment, volunteer, expected_version=stale, priority=1),
    )
    with pytest.raises(ConcurrentEdit):
        set_call_plan(
            coordinator, **plan_args(call_plan.enrolment, volunteer, expected_version=stale)
        )
    # "No plan yet" (0) when there is one is stale too.
    with pytest.raises(ConcurrentEdit):
        set_call_plan(coordinator, **plan_args(call_plan.enrolment, volunteer, expected_version=0))


def test_an_existing_plan_keeps_its_first_day_in_the_past(call_plan, coordinator, volunteer):
    with time_machine.travel(timezone.now() + dt.timedelta(days=10)):
        plan = set_call_plan(
            coordinator,
            **plan_args(call_plan.enrolment, volunteer, starts_on=call_plan.starts_on, priority=3),
        )
    assert (plan.priority, plan.version) == (3, call_plan.version + 1)


def test_a_plan_is_saved_with_its_rhythm_and_audited(
    active_enrolment, coordinator, volunteer, operator
):
    plan = set_call_plan(
        coordinator,
        **plan_args(
            active_enrolment,
            volunteer,
            operator,
            rhythm=Rhythm.EVERY_N_DAYS,
            weekdays=[1, 2],
            interval_days=3,
        ),
    )
    assert (plan.rhythm, plan.weekdays, plan.interval_days) == (Rhythm.EVERY_N_DAYS, 0, 3)
    assert (plan.volunteer, plan.backup, plan.is_active) == (volunteer, operator, True)
    assert LogEntry.objects.filter(
        object_pk=str(plan.pk), additional_data__event="programmes.call_plan.created"
    ).exists()


def test_changing_a_plan_moves_the_open_calls_not_yet_tried(
    todays_call, call_plan, coordinator, operator, volunteer
):
    tried = PlannedCall.objects.create(
        plan=call_plan,
        enrolment=call_plan.enrolment,
        person=todays_call.person,
        organisation=todays_call.organisation,
        due_on=TODAY() - dt.timedelta(days=1),
        window_start=dt.time(10),
        window_end=dt.time(12),
        assignee=volunteer,
        attempts=1,
    )
    set_call_plan(
        coordinator,
        **plan_args(
            call_plan.enrolment,
            operator,
            volunteer,
            window_start=dt.time(15),
            window_end=dt.time(17),
            priority=1,
        ),
    )
    todays_call.refresh_from_db()
    assert (todays_call.assignee, todays_call.window_start, todays_call.priority) == (
        operator,
        dt.time(15),
        1,
    )
    tried.refresh_from_db()
    assert (tried.assignee, tried.window_start) == (volunteer, dt.time(10))


# --- the daily generation -----------------------------------------------------------------


def test_a_weekly_plan_calls_on_its_day_only(active_enrolment, coordinator, volunteer):
    plan = set_call_plan(coordinator, **plan_args(active_enrolment, volunteer, weekdays=[2]))
    days = days_with_calls(plan, TODAY(), 15)
    assert days and all(d.isoweekday() == 2 for d in days)
    assert len(days) == len(
        [o for o in range(15) if (TODAY() + dt.timedelta(days=o)).isoweekday() == 2]
    )


def test_a_plan_twice_a_week_calls_on_both_days(active_enrolment, coordinator, volunteer):
    plan = set_call_plan(coordinator, **plan_args(active_enrolment, volunteer, weekdays=[5, 2]))
    days = days_with_calls(plan, TODAY(), 14)
    assert sorted({d.isoweekday() for d in days}) == [2, 5]
    assert len(days) == 4


def test_every_n_days_counts_from_the_first_call_and_nothing_before_it(
    active_enrolment, coordinator, volunteer
):
    start = TODAY() + dt.timedelta(days=2)
    plan = set_call_plan(
        coordinator,
        **plan_args(
            active_enrolment,
            volunteer,
            rhythm=Rhythm.EVERY_N_DAYS,
            interval_days=3,
            starts_on=start,
        ),
    )
    days = days_with_calls(plan, TODAY(), 12)
    assert days == [
        start,
        start + dt.timedelta(days=3),
        start + dt.timedelta(days=6),
        start + dt.timedelta(days=9),
    ]


def test_a_call_copies_the_plan(todays_call, call_plan, volunteer):
    enrolment = call_plan.enrolment
    assert (
        todays_call.enrolment,
        todays_call.person,
        todays_call.organisation,
        todays_call.window_start,
        todays_call.window_end,
        todays_call.priority,
        todays_call.assignee,
        todays_call.by_backup,
        todays_call.status,
    ) == (
        enrolment,
        enrolment.person,
        enrolment.organisation,
        dt.time(10),
        dt.time(12),
        2,
        volunteer,
        False,
        S.DUE,
    )


@pytest.mark.parametrize(
    "state",
    [
        Enrolment.State.SUSPENDED,
        Enrolment.State.CLOSED,
        Enrolment.State.REFERRED,
        Enrolment.State.CONTACT_ATTEMPTED,
    ],
)
def test_only_active_enrolments_get_calls(call_plan, state):
    Enrolment.objects.filter(pk=call_plan.enrolment_id).update(state=state)
    assert generate_due_calls(TODAY()) == 0
    assert not PlannedCall.objects.exists()


def test_an_inactive_plan_gets_no_calls(call_plan):
    CallPlan.objects.filter(pk=call_plan.pk).update(is_active=False)
    assert generate_due_calls(TODAY()) == 0


def test_generation_is_idempotent(call_plan):
    assert generate_due_calls(TODAY()) == 1
    assert generate_due_calls(TODAY()) == 0
    assert PlannedCall.objects.filter(plan=call_plan).count() == 1


def test_a_run_that_creates_calls_is_one_audit_event_per_programme(call_plan):
    generate_due_calls(TODAY())
    generate_due_calls(TODAY())  # creates nothing: no event
    [entry] = LogEntry.objects.filter(additional_data__event="programmes.calls.generated")
    assert entry.object_pk == str(call_plan.enrolment.programme_id)
    assert entry.additional_data["created"] == 1


def test_a_concurrent_second_run_creates_nothing_twice(call_plan, monkeypatch):
    """Two runs that both read the plan as not yet planned before either wrote: the unique
    (plan, day) constraint turns the second insert into a no-op, counted as nothing."""
    monkeypatch.setattr(calls, "_NOT_YET_PLANNED", "")
    assert generate_due_calls(TODAY()) == 1
    assert generate_due_calls(TODAY()) == 0
    assert PlannedCall.objects.filter(plan=call_plan).count() == 1


def test_the_calls_created_have_proper_ids(call_plan):
    import uuid

    generate_due_calls(TODAY())
    call = PlannedCall.objects.get()
    assert isinstance(call.pk, uuid.UUID) and call.pk.version == 4
    assert PlannedCall.objects.get(pk=call.pk) == call
    assert call.created_at is not None and call.version == 1


def test_an_absent_volunteers_calls_go_to_the_backup(call_plan, coordinator, volunteer, operator):
    record_absence(coordinator, user=volunteer, starts_on=TODAY(), ends_on=TODAY())
    generate_due_calls(TODAY())
    generate_due_calls(TODAY() + dt.timedelta(days=1))
    calls_by_day = {c.due_on: c for c in PlannedCall.objects.filter(plan=call_plan)}
    assert (calls_by_day[TODAY()].assignee, calls_by_day[TODAY()].by_backup) == (operator, True)
    tomorrow = calls_by_day[TODAY() + dt.timedelta(days=1)]
    assert (tomorrow.assignee, tomorrow.by_backup) == (volunteer, False)


def test_without_a_backup_the_call_stays_with_the_absent_volunteer_and_shows_as_uncovered(
    active_enrolment, coordinator, volunteer, operator
):
    from prossimo.programmes.worklist import uncovered_calls

    plan = set_call_plan(
        coordinator, **plan_args(active_enrolment, volunteer, weekdays=[1, 2, 3, 4, 5, 6, 7])
    )
    record_absence(coordinator, user=volunteer, starts_on=TODAY(), ends_on=TODAY())
    generate_due_calls(TODAY())
    call = PlannedCall.objects.get(plan=plan)
    assert (call.assignee, call.by_backup) == (volunteer, False)
    assert uncovered_calls(coordinator) == [call]


def test_a_call_whose_volunteer_left_the_organisation_shows_as_uncovered(
    todays_call, coordinator, volunteer
):
    from prossimo.programmes.worklist import uncovered_calls

    assert uncovered_calls(coordinator) == []
    volunteer.memberships.update(is_active=False)
    assert uncovered_calls(coordinator) == [todays_call]


def test_a_backup_absent_too_leaves_the_call_with_the_volunteer(
    call_plan, coordinator, volunteer, operator
):
    record_absence(coordinator, user=volunteer, starts_on=TODAY(), ends_on=TODAY())
    record_absence(coordinator, user=operator, starts_on=TODAY(), ends_on=TODAY())
    generate_due_calls(TODAY())
    assert PlannedCall.objects.get(plan=call_plan).assignee == volunteer


def test_a_call_not_made_stays_until_the_plans_next_call_is_generated(todays_call, volunteer):
    from prossimo.programmes.worklist import calls_for_today

    tomorrow = TODAY() + dt.timedelta(days=1)
    # The next day, before the daily job: still there, overdue.
    [carried] = calls_for_today(volunteer, tomorrow)
    assert carried.pk == todays_call.pk and carried.is_overdue
    generate_due_calls(tomorrow)
    todays_call.refresh_from_db()
    assert (todays_call.status, todays_call.attempts) == (S.NOT_REACHED, 0)
    assert [c.due_on for c in calls_for_today(volunteer, tomorrow)] == [tomorrow]


# --- absences -----------------------------------------------------------------------------


def test_an_absence_recorded_after_the_calls_were_made_moves_them_to_the_backup(
    todays_call, coordinator, volunteer, operator
):
    record_absence(
        coordinator,
        user=volunteer,
        starts_on=TODAY(),
        ends_on=TODAY() + dt.timedelta(days=3),
        note="ferie",
    )
    todays_call.refresh_from_db()
    assert (todays_call.assignee, todays_call.by_backup) == (operator, True)
    assert LogEntry.objects.filter(additional_data__event="programmes.absence.recorded").exists()


def test_an_absence_starting_later_leaves_todays_calls(todays_call, coordinator, volunteer):
    record_absence(
        coordinator,
        user=volunteer,
        starts_on=TODAY() + dt.timedelta(days=1),
        ends_on=TODAY() + dt.timedelta(days=3),
    )
    todays_call.refresh_from_db()
    assert todays_call.assignee == volunteer


def test_cancelling_an_absence_gives_back_the_calls_not_yet_tried(
    todays_call, coordinator, volunteer
):
    absence = record_absence(coordinator, user=volunteer, starts_on=TODAY(), ends_on=TODAY())
    assert cancel_absence(coordinator, absence=absence) == 1
    todays_call.refresh_from_db()
    assert (todays_call.assignee, todays_call.by_backup) == (volunteer, False)


def test_an_absence_needs_an_order_and_a_future(coordinator, volunteer):
    with pytest.raises(ValidationError) as exc:
        record_absence(
            coordinator, user=volunteer, starts_on=TODAY(), ends_on=TODAY() - dt.timedelta(days=1)
        )
    assert "ends_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        record_absence(
            coordinator,
            user=volunteer,
            starts_on=TODAY() - dt.timedelta(days=5),
            ends_on=TODAY() - dt.timedelta(days=1),
        )
    assert "ends_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        record_absence(coordinator, user=volunteer, starts_on=None, ends_on=None)
    assert {"starts_on", "ends_on"} <= set(exc.value.message_dict)


def test_only_a_coordinator_of_the_volunteers_organisation_records_absences(
    volunteer, operator, cast_b, outsider, coordinator
):
    for actor, user in ((operator, volunteer), (cast_b, volunteer), (coordinator, outsider)):
        with pytest.raises(PermissionDenied):
            record_absence(actor, user=user, starts_on=TODAY(), ends_on=TODAY())


# --- attempts -----------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", [OUT.ANSWERED, OUT.REFUSED])
def test_answered_or_refused_closes_the_call(todays_call, volunteer, outcome):
    attempt = record_attempt(volunteer, call=todays_call, outcome=outcome, notes=" sta bene ")
    todays_call.refresh_from_db()
    assert (todays_call.status, todays_call.attempts) == (S.DONE, 1)
    assert todays_call.completed_at is not None and todays_call.next_attempt_at is None
    assert (attempt.by, attempt.notes, attempt.enrolment) == (
        volunteer,
        "sta bene",
        todays_call.enrolment,
    )


def test_an_unanswered_call_is_retried_by_the_programmes_rule_then_not_reached(
    todays_call, volunteer, telefonia
):
    telefonia.retry_after_minutes = 90
    telefonia.save(update_fields=["retry_after_minutes"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        record_attempt(volunteer, call=todays_call, outcome=OUT.NO_ANSWER)
    todays_call.refresh_from_db()
    assert (todays_call.status, todays_call.attempts) == (S.DUE, 1)
    assert todays_call.next_attempt_at == start + dt.timedelta(minutes=90)
    record_attempt(volunteer, call=todays_call, outcome=OUT.BUSY)
    todays_call.refresh_from_db()
    assert todays_call.status == S.DUE
    record_attempt(volunteer, call=todays_call, outcome=OUT.WRONG_NUMBER)
    todays_call.refresh_from_db()
    assert (todays_call.status, todays_call.attempts, todays_call.next_attempt_at) == (
        S.NOT_REACHED,
        3,
        None,
    )
    with pytest.raises(ValidationError):
        record_attempt(volunteer, call=todays_call, outcome=OUT.NO_ANSWER)


def test_a_late_answer_reaches_a_call_given_up(todays_call, volunteer):
    PlannedCall.objects.filter(pk=todays_call.pk).update(status=S.NOT_REACHED)
    todays_call.refresh_from_db()
    record_attempt(volunteer, call=todays_call, outcome=OUT.ANSWERED)
    todays_call.refresh_from_db()
    assert todays_call.status == S.DONE


def test_every_attempt_sends_the_signal_inside_the_transaction(todays_call, volunteer):
    received = []

    def receiver(sender, attempt, actor, **kwargs):
        received.append((attempt, actor, transaction.get_connection().in_atomic_block))

    call_attempt_recorded.connect(receiver)
    try:
        attempt = record_attempt(volunteer, call=todays_call, outcome=OUT.BUSY)
    finally:
        call_attempt_recorded.disconnect(receiver)
    assert received == [(attempt, volunteer, True)]


def test_attempts_are_recorded_by_the_assignee_or_a_coordinator(
    todays_call, operator, outsider, social_worker, coordinator
):
    for actor in (operator, outsider, social_worker):
        with pytest.raises(PermissionDenied):
            record_attempt(actor, call=todays_call, outcome=OUT.BUSY)
    record_attempt(coordinator, call=todays_call, outcome=OUT.BUSY)
    assert CallAttempt.objects.get().by == coordinator


def test_an_attempt_from_a_stale_copy_is_refused(todays_call, volunteer):
    stale = todays_call.version
    record_attempt(volunteer, call=todays_call, outcome=OUT.BUSY, expected_version=stale)
    with pytest.raises(ConcurrentEdit):
        record_attempt(volunteer, call=todays_call, outcome=OUT.BUSY, expected_version=stale)


def test_an_attempt_needs_a_known_outcome_and_an_open_call(todays_call, volunteer):
    with pytest.raises(ValidationError) as exc:
        record_attempt(volunteer, call=todays_call, outcome="maybe")
    assert "outcome" in exc.value.message_dict
    PlannedCall.objects.filter(pk=todays_call.pk).update(status=S.CANCELLED)
    with pytest.raises(ValidationError):
        record_attempt(volunteer, call=todays_call, outcome=OUT.ANSWERED)


def test_a_linked_contact_is_a_logged_call_with_the_same_person(
    todays_call, volunteer, person_b, administrator
):
    other = log_contact(administrator, data=ContactInput(person=person_b))
    with pytest.raises(ValidationError) as exc:
        record_attempt(volunteer, call=todays_call, outcome=OUT.ANSWERED, contact=other)
    assert "contact" in exc.value.message_dict


def test_attempts_are_audited_in_the_persons_trail(todays_call, volunteer):
    record_attempt(volunteer, call=todays_call, outcome=OUT.NO_ANSWER)
    entry = LogEntry.objects.get(additional_data__event="programmes.call.attempt_recorded")
    assert entry.additional_data["person"] == str(todays_call.person_id)
    assert entry.additional_data["outcome"] == OUT.NO_ANSWER


def test_a_planned_call_logged_on_the_call_form_is_answered_with_its_contact(
    todays_call, volunteer, person_a
):
    contact = log_planned_call(
        volunteer,
        call=todays_call,
        data=ContactInput(
            person=person_a, channel=Contact.Channel.OUTBOUND_CALL, notes="Tutto bene"
        ),
    )
    attempt = CallAttempt.objects.get(call=todays_call)
    assert (attempt.outcome, attempt.contact, attempt.by) == (OUT.ANSWERED, contact, volunteer)
    todays_call.refresh_from_db()
    assert todays_call.status == S.DONE


def test_a_planned_call_is_logged_about_its_own_person(todays_call, volunteer):
    with pytest.raises(ValidationError) as exc:
        log_planned_call(volunteer, call=todays_call, data=ContactInput(person=None))
    assert "person" in exc.value.message_dict
    assert not Contact.objects.exists()


def test_suspending_cancels_the_open_calls_and_they_take_no_attempts(
    todays_call, coordinator, volunteer
):
    change_state(
        coordinator,
        enrolment=todays_call.enrolment,
        to_state=Enrolment.State.SUSPENDED,
        resume_on=TODAY() + dt.timedelta(days=5),
    )
    todays_call.refresh_from_db()
    assert todays_call.status == S.CANCELLED
    with pytest.raises(ValidationError):
        record_attempt(volunteer, call=todays_call, outcome=OUT.BUSY)
