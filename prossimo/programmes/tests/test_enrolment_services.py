"""Referrals in and the taking-in-charge state machine (services called directly)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from prossimo.listening.services import ConcurrentEdit
from prossimo.programmes.models import (
    ALLOWED_TRANSITIONS,
    Enrolment,
    EnrolmentTransition,
)
from prossimo.programmes.services import (
    ReferralInput,
    change_state,
    record_consent,
    refer_person,
    resume_suspended,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Services speak the active language; these tests read their messages in English (the
    Italian catalogue is checked whole by core/tests/test_i18n.py)."""
    with translation.override("en"):
        yield


S = Enrolment.State


def test_seeded_programmes():
    from prossimo.programmes.models import Programme

    telefonia = Programme.objects.get(code="telefonia-sociale")
    assert telefonia.target_people == 1500
    assert {r.questionnaire_code for r in telefonia.screening_rules.all()} == {"ucla-3", "prisma-7"}
    assert Programme.objects.filter(code="servizi-prossimita").exists()


def test_referral_records_who_and_the_first_state(referral, social_worker, org_a):
    assert referral.state == S.REFERRED
    assert referral.referred_by == social_worker
    assert referral.referring_organisation == org_a
    assert referral.organisation == org_a
    (transition,) = referral.transitions.all()
    assert (transition.from_state, transition.to_state, transition.by) == (
        "",
        S.REFERRED,
        social_worker,
    )


def test_referral_needs_a_reason_and_the_refer_permission(
    telefonia, person_a, social_worker, volunteer
):
    with pytest.raises(ValidationError) as exc:
        refer_person(
            social_worker, programme=telefonia, person=person_a, referral=ReferralInput(reason="  ")
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        refer_person(
            volunteer, programme=telefonia, person=person_a, referral=ReferralInput(reason="x")
        )
    assert not Enrolment.objects.exists()


def test_one_open_enrolment_per_person_and_programme(referral, social_worker, telefonia, person_a):
    with pytest.raises(ValidationError) as exc:
        refer_person(
            social_worker,
            programme=telefonia,
            person=person_a,
            referral=ReferralInput(reason="di nuovo"),
        )
    assert "person" in exc.value.message_dict


def test_referral_outside_the_programmes_territory_is_refused(
    social_worker, telefonia, person_b, org_b
):
    # person_b lives in Monza: not visible to the social worker of org_a → 404
    with pytest.raises(Http404):
        refer_person(
            social_worker, programme=telefonia, person=person_b, referral=ReferralInput(reason="x")
        )


def test_no_organisation_of_the_programme_serves_the_person(social_worker, person_a):
    from prossimo.programmes.models import Programme

    programme = Programme.objects.get(code="servizi-prossimita")  # run by nobody yet
    with pytest.raises(ValidationError) as exc:
        refer_person(
            social_worker, programme=programme, person=person_a, referral=ReferralInput(reason="x")
        )
    assert "Lecco" in exc.value.message_dict["person"][0]


def test_whole_life_of_an_enrolment(referral, coordinator):
    e = change_state(coordinator, enrolment=referral, to_state=S.CONTACT_ATTEMPTED)
    e = change_state(coordinator, enrolment=e, to_state=S.ACTIVE, note="prima telefonata ok")
    assert e.coordinator == coordinator
    resume = timezone.localdate() + dt.timedelta(days=10)
    e = change_state(
        coordinator, enrolment=e, to_state=S.SUSPENDED, resume_on=resume, note="ricovero"
    )
    assert e.suspended_until == resume
    e = change_state(coordinator, enrolment=e, to_state=S.ACTIVE)
    assert e.suspended_until is None
    e = change_state(
        coordinator, enrolment=e, to_state=S.CLOSED, reason=Enrolment.CloseReason.GOALS_MET
    )
    moves = list(
        EnrolmentTransition.objects.filter(enrolment=e).values_list("from_state", "to_state", "by")
    )
    assert [(a, b) for a, b, _ in moves] == [
        ("", S.REFERRED),
        (S.REFERRED, S.CONTACT_ATTEMPTED),
        (S.CONTACT_ATTEMPTED, S.ACTIVE),
        (S.ACTIVE, S.SUSPENDED),
        (S.SUSPENDED, S.ACTIVE),
        (S.ACTIVE, S.CLOSED),
    ]
    assert all(by == coordinator.pk for _, _, by in moves[1:])


@pytest.mark.parametrize(
    "from_state,to_state",
    [(f, t) for f in S.values for t in S.values if t not in ALLOWED_TRANSITIONS[f]],
)
def test_invalid_transitions_are_refused_with_a_clear_message(
    referral, from_state, to_state, coordinator
):
    Enrolment.objects.filter(pk=referral.pk).update(state=from_state)
    referral.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        change_state(
            coordinator,
            enrolment=referral,
            to_state=to_state,
            reason=Enrolment.CloseReason.REFUSED if to_state == S.CLOSED else "",
            resume_on=timezone.localdate() + dt.timedelta(days=3),
        )
    assert "cannot move" in exc.value.message_dict["to_state"][0]
    referral.refresh_from_db()
    assert referral.state == from_state


def test_active_needs_consent(referral, coordinator):
    record_consent(coordinator, enrolment=referral, consent=Enrolment.Consent.TO_ASK)
    with pytest.raises(ValidationError) as exc:
        change_state(coordinator, enrolment=referral, to_state=S.ACTIVE)
    assert "consent" in exc.value.message_dict["to_state"][0]


def test_suspension_needs_a_future_resume_date_and_closing_a_reason(active_enrolment, coordinator):
    with pytest.raises(ValidationError) as exc:
        change_state(coordinator, enrolment=active_enrolment, to_state=S.SUSPENDED)
    assert "resume_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        change_state(
            coordinator,
            enrolment=active_enrolment,
            to_state=S.SUSPENDED,
            resume_on=timezone.localdate(),
        )
    assert "resume_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        change_state(coordinator, enrolment=active_enrolment, to_state=S.CLOSED)
    assert "reason" in exc.value.message_dict


def test_stale_version_is_refused(referral, coordinator):
    stale = referral.version
    change_state(
        coordinator, enrolment=referral, to_state=S.CONTACT_ATTEMPTED, expected_version=stale
    )
    with pytest.raises(ConcurrentEdit):
        change_state(coordinator, enrolment=referral, to_state=S.ACTIVE, expected_version=stale)


def test_only_the_coordinators_of_the_organisation_in_charge(
    referral, social_worker, volunteer, coordinator, org_b
):
    from prossimo.core.permissions import Role
    from prossimo.territory.tests.factories import MembershipFactory, UserFactory

    other = UserFactory(username="coord_b")
    MembershipFactory(user=other, organisation=org_b, role=Role.COORDINATOR)
    for user in (social_worker, volunteer, other):
        with pytest.raises(PermissionDenied):
            change_state(user, enrolment=referral, to_state=S.CONTACT_ATTEMPTED)


def test_resume_suspended_on_the_date(active_enrolment, coordinator):
    resume = timezone.localdate() + dt.timedelta(days=5)
    change_state(coordinator, enrolment=active_enrolment, to_state=S.SUSPENDED, resume_on=resume)
    assert resume_suspended(today=resume - dt.timedelta(days=1)) == 0
    assert resume_suspended(today=resume) == 1
    active_enrolment.refresh_from_db()
    assert active_enrolment.state == S.ACTIVE
    last = active_enrolment.transitions.last()
    assert (last.from_state, last.to_state, last.by) == (S.SUSPENDED, S.ACTIVE, None)
    assert resume_suspended(today=resume) == 0


def test_referral_and_state_changes_are_audited(active_enrolment):
    from auditlog.models import LogEntry

    events = [
        e.additional_data.get("event")
        for e in LogEntry.objects.filter(object_pk=str(active_enrolment.pk))
    ]
    assert "programmes.enrolment.referred" in events
    assert "programmes.enrolment.state_changed" in events
