"""Sending a need to a service and moving the referral along its states."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from prossimo.listening.models import Need
from prossimo.listening.services import ConcurrentEdit
from prossimo.referrals import selectors
from prossimo.referrals.models import ALLOWED_TRANSITIONS, Referral, ReferralTransition
from prossimo.referrals.services import change_referral_state, mark_received, send_referral
from prossimo.referrals.tests.conftest import PHONE
from prossimo.territory.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = Referral.State
SENDER_MOVES = {S.CANCELLED}


def _at(referral: Referral, state: str) -> Referral:
    Referral.objects.filter(pk=referral.pk).update(state=state)
    referral.refresh_from_db()
    return referral


def _mover(to_state, sender, receiver):
    return sender if to_state in SENDER_MOVES else receiver


def test_a_referral_carries_the_need_the_summary_and_the_sender(referral, sender, need, org_a):
    assert referral.state == S.REQUESTED
    assert referral.need == need and referral.person == need.person
    assert referral.sender == sender and referral.sending_organisation == org_a
    assert referral.receiving_organisation.name == "Auser Lecco"
    assert referral.shared_summary == "Vive sola, preferisce il mattino"
    assert referral.share_consent and referral.share_consent_by == sender
    assert referral.share_consent_at is not None
    assert referral.contact_phone == PHONE
    first = referral.transitions.get()
    assert (first.from_state, first.to_state, first.by, first.via) == (
        "",
        S.REQUESTED,
        sender,
        "ui",
    )


def test_sending_puts_an_open_need_in_progress_followed_by_the_sender(referral, need):
    need.refresh_from_db()
    assert need.status == Need.Status.IN_PROGRESS
    assert need.owner is not None


def test_without_consent_to_share_only_the_need_and_the_phone_leave(unshared, receiver):
    assert unshared.shared_summary == ""
    assert not unshared.share_consent and unshared.share_consent_by is None
    assert unshared.contact_phone == PHONE
    assert not selectors.shows_person(receiver, unshared)


def test_a_summary_without_consent_is_refused_not_silently_sent(sender, need, service):
    with pytest.raises(ValidationError) as exc:
        send_referral(
            sender,
            need=need,
            service=service,
            summary="Vive sola",
            consent_to_share=False,
            contact_phone=PHONE,
        )
    assert "summary" in exc.value.message_dict
    assert not Referral.objects.exists()


def test_the_contact_phone_must_be_one_of_the_persons(sender, need, service):
    with pytest.raises(ValidationError) as exc:
        send_referral(
            sender, need=need, service=service, consent_to_share=False, contact_phone="3479999999"
        )
    assert exc.value.message_dict["contact_phone"] == ["Choose one of the person's phone numbers."]


def test_a_need_is_sent_once_to_the_same_service_while_the_referral_is_open(
    referral, sender, need, service
):
    with pytest.raises(ValidationError) as exc:
        send_referral(
            sender, need=need, service=service, consent_to_share=False, contact_phone=PHONE
        )
    assert "service" in exc.value.message_dict


@pytest.mark.parametrize("role", ["volunteer", "monitoring_officer", "outsider"])
def test_who_may_not_send_a_referral(cast, role, need, service):
    with pytest.raises(PermissionDenied):
        send_referral(
            cast[role], need=need, service=service, consent_to_share=False, contact_phone=PHONE
        )


def test_the_receiver_accepts_works_and_completes_and_each_move_is_recorded(referral, receiver):
    for to_state in (S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED):
        referral = change_referral_state(receiver, referral=referral, to_state=to_state)
    assert referral.state == S.COMPLETED and referral.version == 4
    assert referral.received_at is not None
    moves = list(referral.transitions.values_list("from_state", "to_state", "by", "via"))
    assert moves[1:] == [
        (S.REQUESTED, S.ACCEPTED, receiver.pk, "ui"),
        (S.ACCEPTED, S.IN_PROGRESS, receiver.pk, "ui"),
        (S.IN_PROGRESS, S.COMPLETED, receiver.pk, "ui"),
    ]


@pytest.mark.parametrize("to_state", sorted(Referral.NEED_REASON))
def test_declining_cancelling_failing_and_holding_need_a_reason(
    referral, sender, receiver, to_state
):
    start = {S.FAILED: S.IN_PROGRESS, S.ON_HOLD: S.ACCEPTED}.get(to_state, S.REQUESTED)
    referral = _at(referral, start)
    actor = _mover(to_state, sender, receiver)
    with pytest.raises(ValidationError) as exc:
        change_referral_state(actor, referral=referral, to_state=to_state, reason="  ")
    assert exc.value.message_dict == {"reason": ["Say why."]}
    moved = change_referral_state(actor, referral=referral, to_state=to_state, reason="Motivo")
    assert moved.state == to_state and moved.reason == "Motivo"
    assert moved.transitions.last().reason == "Motivo"


INVALID = [
    (a, b) for a, b in itertools.product(S.values, S.values) if b not in ALLOWED_TRANSITIONS[a]
]
VALID = [(a, b) for a in S.values for b in sorted(ALLOWED_TRANSITIONS[a])]


@pytest.mark.parametrize(("from_state", "to_state"), INVALID)
def test_every_move_outside_the_state_machine_is_refused(
    referral, sender, receiver, from_state, to_state
):
    referral = _at(referral, from_state)
    with pytest.raises(ValidationError) as exc:
        change_referral_state(
            _mover(to_state, sender, receiver), referral=referral, to_state=to_state, reason="x"
        )
    assert "to_state" in exc.value.message_dict
    referral.refresh_from_db()
    assert referral.state == from_state


@pytest.mark.parametrize(("from_state", "to_state"), VALID)
def test_every_move_of_the_state_machine_is_allowed_to_its_side(
    referral, sender, receiver, from_state, to_state
):
    referral = _at(referral, from_state)
    moved = change_referral_state(
        _mover(to_state, sender, receiver), referral=referral, to_state=to_state, reason="x"
    )
    assert moved.state == to_state


def test_the_final_states_are_final():
    assert all(not ALLOWED_TRANSITIONS[s] for s in Referral.FINAL)


def test_the_sender_cannot_accept_and_the_receiver_cannot_cancel(referral, sender, receiver):
    with pytest.raises(PermissionDenied):
        change_referral_state(sender, referral=referral, to_state=S.ACCEPTED)
    with pytest.raises(PermissionDenied):
        change_referral_state(receiver, referral=referral, to_state=S.CANCELLED, reason="x")


@pytest.mark.parametrize(
    "role", ["volunteer", "monitoring_officer", "outsider", "coordinator", "administrator"]
)
def test_only_the_receiving_organisation_moves_the_receivers_states(cast, referral, role):
    with pytest.raises(PermissionDenied):
        change_referral_state(cast[role], referral=referral, to_state=S.ACCEPTED)


def test_a_volunteer_of_the_receiving_organisation_cannot_work_the_queue(
    referral, receiver_volunteer
):
    with pytest.raises(PermissionDenied):
        change_referral_state(receiver_volunteer, referral=referral, to_state=S.ACCEPTED)


def test_a_colleague_of_the_sender_may_cancel(referral, coordinator):
    moved = change_referral_state(
        coordinator, referral=referral, to_state=S.CANCELLED, reason="Non serve più"
    )
    assert moved.state == S.CANCELLED and moved.received_at is None


def test_a_stale_version_is_refused(referral, receiver):
    change_referral_state(receiver, referral=referral, to_state=S.RECEIVED, version=1)
    with pytest.raises(ConcurrentEdit):
        change_referral_state(receiver, referral=referral, to_state=S.ACCEPTED, version=1)


def test_opening_marks_it_received_for_the_receiver_only(referral, sender, receiver):
    assert mark_received(sender, referral=referral).state == S.REQUESTED
    received = mark_received(receiver, referral=referral)
    assert received.state == S.RECEIVED and received.received_at is not None
    again = mark_received(receiver, referral=received)
    assert again.version == received.version


def test_a_service_outside_prossimo_is_moved_only_by_its_partner_account(
    sender, need, outside_service, receiver
):
    referral = send_referral(
        sender, need=need, service=outside_service, consent_to_share=False, contact_phone=PHONE
    )
    assert referral.receiving_organisation is None
    with pytest.raises(PermissionDenied):
        change_referral_state(receiver, referral=referral, to_state=S.ACCEPTED)
    partner = UserFactory(username="partner")
    from prossimo.referrals.models import ReferralDestination

    ReferralDestination.objects.create(
        directory_organization=outside_service.organization, partner_account=partner
    )
    moved = change_referral_state(
        partner,
        referral=referral,
        to_state=S.ACCEPTED,
        via=ReferralTransition.Via.FHIR,
    )
    assert moved.state == S.ACCEPTED
    assert moved.transitions.last().via == "fhir"
