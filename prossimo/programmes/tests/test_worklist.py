"""Reads of the call pages: the worklist, a call's context, the history, access to a call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from prossimo.listening.models import Contact, NeedCategory
from prossimo.listening.services import ContactInput, NeedInput, log_contact
from prossimo.programmes.calls import log_planned_call, record_attempt
from prossimo.programmes.models import CallAttempt, PlannedCall
from prossimo.programmes.worklist import (
    access_planned_call,
    call_context,
    call_history,
    calls_for_today,
    eligible_callers,
    last_notes,
)

pytestmark = pytest.mark.django_db

OUT = CallAttempt.Outcome


def test_the_worklist_is_ordered_by_time_window_then_priority_then_oldest(add_calls, volunteer):
    today = timezone.localdate()
    late = add_calls(1, window_start=dt.time(15), window_end=dt.time(16))
    normal = add_calls(1, window_start=dt.time(9), priority=2)
    high = add_calls(1, window_start=dt.time(9), priority=1)
    overdue = add_calls(1, window_start=dt.time(9), priority=2, due_on=today - dt.timedelta(days=2))
    add_calls(1, due_on=today + dt.timedelta(days=1))  # not yet
    add_calls(1, status=PlannedCall.Status.DONE)  # done
    rows = calls_for_today(volunteer, today)
    assert [r.pk for r in rows] == [c.pk for c in (*high, *overdue, *normal, *late)]
    assert [r.is_overdue for r in rows] == [False, True, False, False]


def test_the_worklist_holds_only_the_users_own_calls(add_calls, volunteer, operator, outsider):
    add_calls(2)
    assert len(calls_for_today(volunteer)) == 2
    assert calls_for_today(operator) == []
    assert calls_for_today(outsider) == []


def test_a_row_shows_the_last_conversation_and_the_open_needs(
    todays_call, volunteer, person_a, coordinator
):
    category = NeedCategory.objects.get(code="loneliness")
    # Yesterday's conversation, logged on the call form (notes on the contact).
    earlier = PlannedCall.objects.create(
        plan=todays_call.plan,
        enrolment=todays_call.enrolment,
        person=person_a,
        organisation=todays_call.organisation,
        due_on=todays_call.due_on - dt.timedelta(days=7),
        window_start=dt.time(10),
        window_end=dt.time(12),
        assignee=volunteer,
    )
    log_planned_call(
        volunteer,
        call=earlier,
        data=ContactInput(person=person_a, notes="Racconta della nipote"),
        needs=[NeedInput(category, note="si sente sola")],
    )
    record_attempt(volunteer, call=todays_call, outcome=OUT.NO_ANSWER)
    [row] = calls_for_today(volunteer)
    assert row.last_notes == "Racconta della nipote"
    assert row.last_answered_at is not None
    assert [(n.category, n.note) for n in row.open_needs] == [(category.name, "si sente sola")]
    assert (row.last_outcome, row.attempts, row.waiting) == (OUT.NO_ANSWER, 1, True)
    # An answered attempt's own notes come first.
    CallAttempt.objects.filter(outcome=OUT.ANSWERED).update(notes="Nota breve")
    assert calls_for_today(volunteer)[0].last_notes == "Nota breve"


def test_the_worklist_makes_a_fixed_number_of_queries(
    add_calls, volunteer, django_assert_max_num_queries
):
    def fill(n):
        for call in add_calls(n):
            CallAttempt.objects.create(
                call=call,
                enrolment=call.enrolment,
                at=timezone.now(),
                outcome=OUT.ANSWERED,
                notes="ok",
            )
            log_contact(
                volunteer,
                data=ContactInput(person=call.person),
                needs=[NeedInput(NeedCategory.objects.get(code="loneliness"))],
            )

    fill(5)
    volunteer._prossimo_roles = None
    with django_assert_max_num_queries(6) as few:
        assert len(calls_for_today(volunteer)) == 5
    fill(45)
    volunteer._prossimo_roles = None
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = calls_for_today(volunteer)
        assert len(rows) == 50
        assert all(r.open_needs and r.last_notes == "ok" and r.phones for r in rows)


def test_a_planned_call_is_reached_only_within_the_scope(
    todays_call, volunteer, operator, outsider, coordinator, monitoring
):
    assert access_planned_call(volunteer, todays_call.pk, for_write=True) == todays_call
    assert access_planned_call(coordinator, todays_call.pk, for_write=True) == todays_call
    with pytest.raises(PermissionDenied):
        access_planned_call(operator, todays_call.pk, for_write=True)
    assert access_planned_call(operator, todays_call.pk) == todays_call
    for user in (outsider, monitoring):
        with pytest.raises(Http404):
            access_planned_call(user, todays_call.pk)
    with pytest.raises(Http404):
        access_planned_call(volunteer, "not-a-uuid")


def test_the_call_context_has_the_last_conversation_and_the_calls_attempts(
    todays_call, volunteer, person_a
):
    record_attempt(volunteer, call=todays_call, outcome=OUT.BUSY)
    assert call_context(todays_call).last_answered is None
    log_planned_call(volunteer, call=todays_call, data=ContactInput(person=person_a, notes="Bene"))
    context = call_context(todays_call)
    assert [a.outcome for a in context.attempts] == [OUT.BUSY, OUT.ANSWERED]
    assert last_notes(context.last_answered) == "Bene"
    assert isinstance(context.last_answered.contact, Contact)


def test_the_history_lists_calls_newest_first_with_their_attempts(
    todays_call, volunteer, outsider, django_assert_max_num_queries
):
    record_attempt(volunteer, call=todays_call, outcome=OUT.BUSY)
    record_attempt(volunteer, call=todays_call, outcome=OUT.REFUSED)
    volunteer._prossimo_roles = None
    with django_assert_max_num_queries(4):
        [call] = call_history(volunteer, todays_call.enrolment)
        assert [a.outcome for a in call.attempt_list] == [OUT.BUSY, OUT.REFUSED]
    assert call_history(outsider, todays_call.enrolment) == []


def test_eligible_callers_are_the_calling_members(
    org_a, volunteer, operator, coordinator, social_worker, outsider
):
    assert set(eligible_callers(org_a.pk)) == {volunteer, operator, coordinator}
