import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from prossimo.listening.models import Alert, Contact, Need, RedFlag
from prossimo.listening.selectors import (
    TODAY_ROWS,
    access_contact,
    caller_context,
    desk_queue,
    overdue_alerts,
    person_timeline,
    worklist_today,
)
from prossimo.listening.services import (
    ContactInput,
    FollowUpInput,
    NeedInput,
    log_contact,
    plan_follow_up,
)
from prossimo.people.tests.factories import PersonFactory, PhoneFactory

pytestmark = pytest.mark.django_db


def call(user, person, category, **kwargs):
    needs = kwargs.pop("needs", None) or [NeedInput(category, hand_over=kwargs.pop("hand", False))]
    return log_contact(user, data=ContactInput(person=person, **kwargs), needs=needs)


def test_caller_context_shows_everyone_sharing_the_number_with_open_needs_and_last_contacts(
    volunteer, person_a, lecco, loneliness
):
    husband = PersonFactory(first_name="Mario", last_name="Rossi", sex="M", municipality=lecco)
    PhoneFactory(person=husband, number="+393401234567")
    call(volunteer, person_a, loneliness, notes="prima")
    context = caller_context(volunteer, "340 123 4567")
    assert {p.pk for p in context.people} == {person_a.pk, husband.pk}
    assert [n.category for n in context.open_needs[person_a.pk]] == [loneliness]
    assert context.last_contacts[person_a.pk][0].notes == "prima"


def test_caller_context_makes_a_fixed_number_of_queries(
    volunteer, person_a, loneliness, django_assert_max_num_queries
):
    for _ in range(3):
        call(volunteer, person_a, loneliness)
    volunteer._prossimo_roles = None
    with django_assert_max_num_queries(8) as few:
        caller_context(volunteer, "+393401234567")
    for _ in range(10):
        call(volunteer, person_a, loneliness)
    volunteer._prossimo_roles = None
    with django_assert_max_num_queries(len(few.captured_queries)):
        caller_context(volunteer, "+393401234567")


def test_an_unknown_number_identifies_nobody(volunteer, person_a):
    assert caller_context(volunteer, "333 000 0000").people == []


def test_the_worklist_has_todays_follow_ups_alerts_and_desk_needs(
    coordinator, volunteer, person_a, loneliness, shopping, desk, tomorrow
):
    from prossimo.core.permissions import Role
    from prossimo.territory.models import Membership

    Membership.objects.create(user=coordinator, organisation=desk, role=Role.COORDINATOR)
    coordinator._prossimo_roles = None
    call(volunteer, person_a, loneliness, red_flags=[RedFlag.ALONE_AND_UNWELL])
    call(volunteer, person_a, shopping, hand=True)
    plan_follow_up(volunteer, person=person_a, data=FollowUpInput(due_on=timezone.localdate()))
    plan_follow_up(volunteer, person=person_a, data=FollowUpInput(due_on=tomorrow))

    work = worklist_today(coordinator)
    assert len(work.follow_ups) == 1 and work.follow_ups[0].due_on == timezone.localdate()
    assert [a.red_flag for a in work.alerts] == [RedFlag.ALONE_AND_UNWELL]
    assert [n.category for n in work.desk_needs] == [shopping]
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert len(worklist_today(coordinator).follow_ups) == 2


def test_a_follow_up_assigned_to_a_colleague_is_not_in_my_worklist(volunteer, operator, person_a):
    plan_follow_up(
        volunteer,
        person=person_a,
        data=FollowUpInput(due_on=timezone.localdate(), assignee=operator),
    )
    assert worklist_today(volunteer).follow_ups == []
    assert len(worklist_today(operator).follow_ups) == 1


def test_the_worklist_makes_a_fixed_number_of_queries(
    coordinator, volunteer, person_a, loneliness, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            call(volunteer, person_a, loneliness, red_flags=[RedFlag.ALONE_AND_UNWELL])
            plan_follow_up(
                volunteer, person=person_a, data=FollowUpInput(due_on=timezone.localdate())
            )

    add(2)
    coordinator._prossimo_roles = None
    with django_assert_max_num_queries(10) as few:
        worklist_today(coordinator)
    add(15)
    coordinator._prossimo_roles = None
    with django_assert_max_num_queries(len(few.captured_queries)):
        work = worklist_today(coordinator)
    assert work.alert_count == work.follow_up_count == 17
    assert len(work.alerts) == len(work.follow_ups) == min(17, TODAY_ROWS)


def test_an_alert_unacknowledged_too_long_is_overdue(coordinator, volunteer, person_a, loneliness):
    call(volunteer, person_a, loneliness, red_flags=[RedFlag.VIOLENCE])
    assert not overdue_alerts(coordinator).exists()
    later = timezone.now() + dt.timedelta(minutes=16)
    assert overdue_alerts(coordinator, later).count() == 1
    with time_machine.travel(later):
        assert len(worklist_today(coordinator).overdue_alert_ids) == 1


def test_the_desk_queue_holds_only_handed_over_and_in_progress_needs_of_its_organisation(
    volunteer, desk_operator, operator, person_a, shopping, loneliness, desk
):
    call(volunteer, person_a, shopping, hand=True)
    call(volunteer, person_a, loneliness)
    assert [n.category for n in desk_queue(desk_operator)] == [shopping]
    assert list(desk_queue(volunteer)) == []
    assert list(desk_queue(operator)) == []  # the other organisation's operator


def test_the_desk_sees_the_context_of_a_handed_over_need_logged_by_another_organisation(
    volunteer, desk_operator, person_a, shopping, desk
):
    contact = call(volunteer, person_a, shopping, hand=True, notes="Non esce di casa")
    assert access_contact(desk_operator, contact.pk).notes == "Non esce di casa"


def test_the_monitoring_officer_sees_no_contact_need_or_alert(
    monitoring, volunteer, person_a, loneliness
):
    contact = call(volunteer, person_a, loneliness, red_flags=[RedFlag.VIOLENCE])
    assert not Contact.objects.visible_to(monitoring).exists()
    assert not Need.objects.visible_to(monitoring).exists()
    assert not Alert.objects.visible_to(monitoring).exists()
    from django.http import Http404

    with pytest.raises(Http404):
        access_contact(monitoring, contact.pk)


def test_another_territorys_volunteer_sees_nothing_of_the_contact(
    outsider, volunteer, person_a, loneliness
):
    contact = call(volunteer, person_a, loneliness)
    assert not Contact.objects.visible_to(outsider).filter(pk=contact.pk).exists()


def test_the_persons_timeline_has_contacts_needs_alerts_and_follow_ups_newest_first(
    volunteer, person_a, loneliness
):
    call(volunteer, person_a, loneliness, red_flags=[RedFlag.ALONE_AND_UNWELL])
    plan_follow_up(
        volunteer,
        person=person_a,
        data=FollowUpInput(due_on=timezone.localdate() + dt.timedelta(days=2)),
    )
    kinds = [e.kind for e in person_timeline(volunteer, person_a)]
    assert kinds[0] == "follow_up"
    assert set(kinds) == {"contact", "need", "alert", "follow_up"}


def test_the_overdue_delay_follows_the_setting(
    settings, coordinator, volunteer, person_a, loneliness
):
    call(volunteer, person_a, loneliness, red_flags=[RedFlag.VIOLENCE])
    settings.PROSSIMO_ALERT_ACK_MINUTES = 5
    assert overdue_alerts(coordinator, timezone.now() + dt.timedelta(minutes=6)).count() == 1


def test_the_worklist_lists_the_first_rows_and_counts_every_item(
    coordinator, volunteer, person_a, loneliness
):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1)):
        for _ in range(3):
            call(volunteer, person_a, loneliness, red_flags=[RedFlag.VIOLENCE])
    for _ in range(4):
        call(volunteer, person_a, loneliness, red_flags=[RedFlag.ALONE_AND_UNWELL])
        plan_follow_up(volunteer, person=person_a, data=FollowUpInput(due_on=timezone.localdate()))

    work = worklist_today(coordinator, limit=2)

    assert len(work.alerts) == len(work.follow_ups) == 2 < TODAY_ROWS
    assert (work.alert_count, work.overdue_alert_count, work.follow_up_count) == (7, 3, 4)
    assert [a.red_flag for a in work.alerts] == [RedFlag.VIOLENCE] * 2  # overdue first
    assert work.overdue_alert_ids == {a.pk for a in work.alerts}
    assert worklist_today(coordinator, limit=10).alerts[3].red_flag == RedFlag.ALONE_AND_UNWELL


def test_open_needs_of_some_people_are_those_visible_to_reads_for_every_role(
    volunteer,
    social_worker,
    coordinator,
    monitoring,
    administrator,
    outsider,
    person_a,
    person_b,
    loneliness,
    shopping,
    desk_operator,
    django_assert_max_num_queries,
):
    from prossimo.listening.selectors import open_needs_of

    call(volunteer, person_a, loneliness)
    call(volunteer, person_a, shopping, hand=True)  # handed to the desk
    call(outsider, person_b, loneliness)
    closed = call(volunteer, person_a, shopping).needs.get()
    Need.objects.filter(pk=closed.pk).update(status=Need.Status.MET)
    ids = [person_a.pk, person_b.pk]
    users = (volunteer, social_worker, coordinator, monitoring, administrator, outsider)
    for user in (*users, desk_operator):
        expected = {n.pk for n in Need.objects.visible_to(user).open().filter(person_id__in=ids)}
        user._prossimo_roles = None
        with django_assert_max_num_queries(3):
            found = open_needs_of(user, ids)
        assert {n.pk for needs in found.values() for n in needs} == expected, user
        for person_id, needs in found.items():
            assert all(n.person_id == person_id for n in needs)
            assert [n.created_at for n in needs] == sorted(n.created_at for n in needs)
    assert open_needs_of(volunteer, []) == {}
    assert open_needs_of(monitoring, ids) == {}
