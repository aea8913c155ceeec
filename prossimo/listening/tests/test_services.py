import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from prossimo.listening.models import Alert, Contact, FollowUp, Need, NeedCategory, RedFlag
from prossimo.listening.services import (
    ConcurrentEdit,
    ContactInput,
    FollowUpInput,
    NeedInput,
    acknowledge_alert,
    close_need,
    complete_follow_up,
    hand_over_need,
    link_contact_to_person,
    log_contact,
    plan_follow_up,
    resolve_alert,
    save_draft,
    take_need,
)

pytestmark = pytest.mark.django_db


def test_the_shipped_taxonomy_has_the_seeds_needs_with_digital_and_practical_details():
    codes = set(NeedCategory.objects.values_list("code", flat=True))
    assert {
        "health-information",
        "covid-19",
        "psychological-distress",
        "loneliness",
        "digital-help",
        "digital-booking",
        "digital-fse",
        "digital-spid",
        "practical-needs",
        "practical-medicines",
        "housing",
        "economic-hardship",
        "caregiver-support",
        "local-services",
        "other",
    } <= codes
    assert NeedCategory.objects.get(code="digital-spid").parent.code == "digital-help"


def test_a_call_is_logged_with_two_needs_in_one_step(volunteer, person_a, loneliness, shopping):
    contact = log_contact(
        volunteer,
        data=ContactInput(person=person_a, caller_number="340 123 4567", notes="Sola da giorni"),
        needs=[NeedInput(loneliness, "vuole parlare"), NeedInput(shopping, "spesa giovedì")],
    )
    assert contact.status == Contact.Status.LOGGED
    assert contact.caller_number == "+393401234567"
    needs = list(contact.needs.order_by("category__code"))
    assert [n.category for n in needs] == [loneliness, shopping]
    assert all(n.status == Need.Status.OPEN and n.owner == volunteer for n in needs)
    assert all(n.person == person_a for n in needs)


def test_an_anonymous_caller_is_logged_with_a_first_name_age_and_municipality(
    volunteer, lecco, loneliness
):
    contact = log_contact(
        volunteer,
        data=ContactInput(
            caller_first_name="Pina", caller_approx_age=80, caller_municipality=lecco
        ),
        needs=[NeedInput(loneliness)],
    )
    assert contact.is_anonymous and contact.caller_first_name == "Pina"


def test_an_anonymous_contact_can_later_be_linked_with_all_it_raised(
    volunteer, person_a, loneliness
):
    contact = log_contact(
        volunteer,
        data=ContactInput(caller_first_name="Maria", red_flags=[RedFlag.ALONE_AND_UNWELL]),
        needs=[NeedInput(loneliness)],
        follow_up=FollowUpInput(due_on=timezone.localdate()),
    )
    link_contact_to_person(volunteer, contact=contact, person=person_a)
    assert Need.objects.get(contact=contact).person == person_a
    assert Alert.objects.get(contact=contact).person == person_a
    assert FollowUp.objects.get(contact=contact).person == person_a
    with pytest.raises(ValidationError):
        link_contact_to_person(volunteer, contact=contact, person=person_a)


def test_danger_to_life_requires_that_112_was_called(volunteer, person_a, loneliness):
    data = ContactInput(person=person_a, red_flags=[RedFlag.DANGER_TO_LIFE])
    with pytest.raises(ValidationError) as exc:
        log_contact(volunteer, data=data, needs=[NeedInput(loneliness)])
    assert "emergency_called" in exc.value.message_dict
    assert not Contact.objects.exists()
    data.emergency_called = True
    contact = log_contact(volunteer, data=data, needs=[NeedInput(loneliness)])
    assert contact.emergency_call_made_at is not None
    assert contact.urgency == "emergency"


def test_each_red_flag_raises_an_alert_for_the_organisation_and_the_social_worker(
    volunteer, social_worker, person_a, loneliness, org_a
):
    person_a.social_worker = social_worker
    person_a.save(update_fields=["social_worker"])
    contact = log_contact(
        volunteer,
        data=ContactInput(
            person=person_a, red_flags=[RedFlag.NO_FOOD_OR_MEDICINES, RedFlag.ALONE_AND_UNWELL]
        ),
        needs=[NeedInput(loneliness)],
    )
    alerts = Alert.objects.filter(contact=contact)
    assert alerts.count() == 2
    assert {a.organisation for a in alerts} == {org_a}
    assert {a.social_worker for a in alerts} == {social_worker}
    assert contact.urgency == "high"
    assert Contact.Outcome.ESCALATED in contact.outcomes


def test_a_handed_over_need_goes_to_the_desk_serving_the_persons_municipality(
    volunteer, person_a, shopping, desk
):
    contact = log_contact(
        volunteer,
        data=ContactInput(person=person_a),
        needs=[NeedInput(shopping, "spesa", hand_over=True)],
    )
    need = contact.needs.get()
    assert need.status == Need.Status.HANDED_OVER
    assert need.owner_organisation == desk and need.owner is None
    assert need.handed_over_by == volunteer
    assert Contact.Outcome.HANDED_TO_DESK in contact.outcomes


def test_the_desk_takes_works_and_closes_a_need_and_the_sender_sees_the_outcome(
    volunteer, desk_operator, person_a, shopping, desk
):
    from prossimo.listening.selectors import needs_handed_over_by

    contact = log_contact(
        volunteer, data=ContactInput(person=person_a), needs=[NeedInput(shopping, hand_over=True)]
    )
    need = contact.needs.get()
    need = take_need(desk_operator, need=need, expected_version=need.version)
    assert need.status == Need.Status.IN_PROGRESS and need.owner == desk_operator
    need = close_need(
        desk_operator,
        need=need,
        met=True,
        outcome="Spesa consegnata",
        expected_version=need.version,
    )
    seen = needs_handed_over_by(volunteer).get()
    assert seen.status == Need.Status.MET and seen.outcome == "Spesa consegnata"


def test_a_volunteer_cannot_take_desk_work(volunteer, person_a, shopping, desk):
    contact = log_contact(
        volunteer, data=ContactInput(person=person_a), needs=[NeedInput(shopping, hand_over=True)]
    )
    with pytest.raises(PermissionDenied):
        take_need(volunteer, need=contact.needs.get())


def test_another_organisations_desk_cannot_take_the_need(
    volunteer, person_a, shopping, desk, outsider
):
    contact = log_contact(
        volunteer, data=ContactInput(person=person_a), needs=[NeedInput(shopping, hand_over=True)]
    )
    from prossimo.territory.models import Membership

    Membership.objects.filter(user=outsider).update(role="proximity_operator")
    outsider._prossimo_roles = None
    with pytest.raises(PermissionDenied):
        take_need(outsider, need=contact.needs.get())


def test_two_people_editing_the_same_need_cannot_overwrite_each_other(
    volunteer, desk_operator, person_a, shopping, desk
):
    contact = log_contact(
        volunteer, data=ContactInput(person=person_a), needs=[NeedInput(shopping, hand_over=True)]
    )
    need = contact.needs.get()
    opened_version = need.version
    take_need(desk_operator, need=need, expected_version=opened_version)
    with pytest.raises(ConcurrentEdit) as exc:
        close_need(
            desk_operator, need=need, met=False, outcome="x", expected_version=opened_version
        )
    assert "reload" in exc.value.messages[0] or "ricarica" in exc.value.messages[0].lower()
    assert Need.objects.get(pk=need.pk).status == Need.Status.IN_PROGRESS


def test_an_open_need_can_be_handed_over_later(volunteer, person_a, shopping, desk):
    contact = log_contact(
        volunteer, data=ContactInput(person=person_a), needs=[NeedInput(shopping)]
    )
    need = hand_over_need(volunteer, need=contact.needs.get())
    assert need.owner_organisation == desk and need.status == Need.Status.HANDED_OVER


def test_closing_a_need_needs_an_outcome(volunteer, person_a, shopping):
    need = log_contact(
        volunteer, data=ContactInput(person=person_a), needs=[NeedInput(shopping)]
    ).needs.get()
    with pytest.raises(ValidationError):
        close_need(volunteer, need=need, met=True, outcome=" ")


def test_alerts_are_acknowledged_then_resolved_by_a_coordinator(
    volunteer, coordinator, person_a, loneliness
):
    contact = log_contact(
        volunteer,
        data=ContactInput(person=person_a, red_flags=[RedFlag.SUICIDAL_THOUGHTS]),
        needs=[NeedInput(loneliness)],
    )
    alert = contact.alerts.get()
    with pytest.raises(PermissionDenied):
        acknowledge_alert(volunteer, alert=alert)
    alert = acknowledge_alert(coordinator, alert=alert)
    assert alert.status == Alert.Status.ACKNOWLEDGED and alert.acknowledged_by == coordinator
    with pytest.raises(ValidationError):
        acknowledge_alert(coordinator, alert=alert)
    alert = resolve_alert(coordinator, alert=alert, resolution="Chiamato il CPS")
    assert alert.status == Alert.Status.RESOLVED and alert.resolved_by == coordinator


def test_a_social_worker_of_another_organisation_may_act_on_alerts_sent_to_them(
    volunteer, person_a, loneliness, org_b
):
    from prossimo.core.permissions import Role
    from prossimo.territory.tests.factories import MembershipFactory, UserFactory

    worker = UserFactory(username="sw_b")
    MembershipFactory(user=worker, organisation=org_b, role=Role.SOCIAL_WORKER)
    person_a.social_worker = worker
    person_a.save(update_fields=["social_worker"])
    alert = log_contact(
        volunteer,
        data=ContactInput(person=person_a, red_flags=[RedFlag.VIOLENCE]),
        needs=[NeedInput(loneliness)],
    ).alerts.get()
    assert resolve_alert(worker, alert=alert, resolution="Visita domiciliare").status == "resolved"


def test_a_draft_keeps_what_was_typed_and_is_completed_by_logging(volunteer, person_a, loneliness):
    draft = save_draft(volunteer, form_data={"notes": "Sta parlando della figlia"}, person=person_a)
    assert draft.status == Contact.Status.DRAFT
    draft = save_draft(
        volunteer, form_data={"notes": "…e del nipote"}, draft=draft, expected_version=draft.version
    )
    contact = log_contact(
        volunteer,
        data=ContactInput(person=person_a, notes="ok"),
        needs=[NeedInput(loneliness)],
        draft=draft,
        expected_version=draft.version,
    )
    assert contact.pk == draft.pk and contact.status == Contact.Status.LOGGED
    assert contact.draft_data == {}


def test_only_the_drafts_operator_may_complete_it(volunteer, operator, person_a, loneliness):
    draft = save_draft(volunteer, form_data={}, person=person_a)
    with pytest.raises(PermissionDenied):
        log_contact(operator, data=ContactInput(person=person_a), draft=draft)


def test_a_stale_draft_save_is_refused(volunteer, person_a):
    draft = save_draft(volunteer, form_data={"a": 1}, person=person_a)
    save_draft(volunteer, form_data={"a": 2}, draft=draft, expected_version=draft.version)
    with pytest.raises(ConcurrentEdit):
        save_draft(volunteer, form_data={"a": 3}, draft=draft, expected_version=draft.version)


def test_follow_ups_are_planned_for_a_colleague_or_whoever_is_on_duty(
    volunteer, operator, outsider, person_a, tomorrow
):
    plan = plan_follow_up(
        volunteer,
        person=person_a,
        data=FollowUpInput(
            due_on=tomorrow, window_start=dt.time(9), window_end=dt.time(11), assignee=operator
        ),
    )
    assert plan.assignee == operator
    with pytest.raises(ValidationError) as exc:
        plan_follow_up(
            volunteer, person=person_a, data=FollowUpInput(due_on=tomorrow, assignee=outsider)
        )
    assert "assignee" in exc.value.message_dict
    with pytest.raises(ValidationError):
        plan_follow_up(
            volunteer,
            person=person_a,
            data=FollowUpInput(due_on=tomorrow, window_start=dt.time(11), window_end=dt.time(9)),
        )
    done = complete_follow_up(operator, follow_up=plan)
    assert done.status == FollowUp.Status.DONE


def test_contacts_cannot_be_logged_for_a_person_out_of_reach(volunteer, person_b, loneliness):
    with pytest.raises(ValidationError) as exc:
        log_contact(volunteer, data=ContactInput(person=person_b), needs=[NeedInput(loneliness)])
    assert "person" in exc.value.message_dict


def test_the_monitoring_officer_cannot_log_contacts(monitoring, loneliness):
    with pytest.raises(PermissionDenied):
        log_contact(monitoring, data=ContactInput(), needs=[NeedInput(loneliness)])
