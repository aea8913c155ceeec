"""Referrals nobody receives in Prossimo: the sending side records what the service said.

A service outside Prossimo (no destination, or a destination with neither a receiving
organisation nor a partner system's account) cannot move its referrals itself. The sender
learns on the phone that it was accepted, declined, done, and records it "as told by the
service" (`via="phone"`), with a note saying who said so. Where a receiving side exists (an
organisation in Prossimo, a partner system) the sending side still cannot make its moves.
"""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from prossimo.api.tests import conftest as api_fixtures
from prossimo.core.permissions import Role
from prossimo.listening.services import ConcurrentEdit
from prossimo.referrals import selectors
from prossimo.referrals.models import (
    ALLOWED_TRANSITIONS,
    RECEIVER_STATES,
    Referral,
    ReferralDestination,
    ReferralTransition,
)
from prossimo.referrals.services import change_referral_state, mark_received, send_referral
from prossimo.referrals.tests.conftest import PHONE
from prossimo.territory.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
make_token = api_fixtures.make_token  # a fixture, for the FHIR reads

S = Referral.State
PHONE_VIA = ReferralTransition.Via.PHONE
NOTE = "Don Luigi, al telefono"
NOTE_REQUIRED = "Say who at the service told you (name or role)."

#: Who records what the service said of a referral org_a sent, when nobody receives it.
RECORDERS = {
    "volunteer": False,  # reads the referral, does not send: staff work
    "proximity_operator": True,  # the sender
    "social_worker": True,
    "coordinator": True,
    "monitoring_officer": False,
    "administrator": True,  # a member of org_a
    "outsider": False,  # a volunteer of org_b
    "operator_of_another_organisation": False,  # sends referrals, but for org_b
}
#: Where referrals to the service go: nobody receives them in Prossimo, or someone does.
NOBODY_RECEIVES = ("no destination", "empty destination", "inactive partner")
SOMEONE_RECEIVES = ("organisation in Prossimo", "partner system")


def _at(referral: Referral, state: str) -> Referral:
    Referral.objects.filter(pk=referral.pk).update(state=state)
    referral.refresh_from_db()
    return referral


@pytest.fixture
def users(cast, org_b):
    operator_b = UserFactory(username="operator_b")
    MembershipFactory(user=operator_b, organisation=org_b, role=Role.PROXIMITY_OPERATOR)
    return {**cast, "operator_of_another_organisation": operator_b}


@pytest.fixture
def partner(db):
    return UserFactory(username="partner")


@pytest.fixture
def send_to(sender, need, outside_service, receiving_org, partner):
    """Send the need to the parish's service, its destination being `kind`."""

    def send(kind: str) -> Referral:
        organization = outside_service.organization
        destinations = {
            "no destination": None,
            "empty destination": {},
            "inactive partner": {"partner_account": partner, "is_active": False},
            "organisation in Prossimo": {"organisation": receiving_org},
            "partner system": {"partner_account": partner},
        }
        fields = destinations[kind]
        if fields is not None:
            ReferralDestination.objects.create(directory_organization=organization, **fields)
        return send_referral(
            sender, need=need, service=outside_service, consent_to_share=False, contact_phone=PHONE
        )

    return send


@pytest.fixture
def outside(send_to) -> Referral:
    """Maria Rossi's need sent to a parish's food parcels: the parish does not use Prossimo."""
    return send_to("no destination")


# --- selectors ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NOBODY_RECEIVES + SOMEONE_RECEIVES)
def test_a_referral_is_followed_up_by_phone_only_when_nobody_receives_it(send_to, kind):
    assert selectors.followed_up_by_phone(send_to(kind)) is (kind in NOBODY_RECEIVES)


@pytest.mark.parametrize("kind", NOBODY_RECEIVES)
@pytest.mark.parametrize(("role", "records"), RECORDERS.items())
def test_the_sending_side_records_what_a_service_outside_prossimo_said(
    send_to, users, kind, role, records
):
    referral = send_to(kind)
    user = users[role]
    assert selectors.may_record_what_the_service_said(user, referral) is records
    for to_state in RECEIVER_STATES:
        assert selectors.may_move(user, referral, to_state, via=PHONE_VIA) is records
        # Only as told by the service: never as if the user were the receiving side.
        assert selectors.may_move(user, referral, to_state) is False
    assert selectors.may_move(user, referral, S.CANCELLED, via=PHONE_VIA) is False
    expected = [S.RECEIVED, S.ACCEPTED, S.REJECTED] if records else []
    assert selectors.states_the_service_may_report(user, referral) == expected


@pytest.mark.parametrize("kind", SOMEONE_RECEIVES)
@pytest.mark.parametrize("role", RECORDERS)
def test_nobody_on_the_sending_side_makes_the_moves_of_a_receiving_side_that_exists(
    send_to, users, kind, role
):
    referral = send_to(kind)
    user = users[role]
    assert not selectors.may_record_what_the_service_said(user, referral)
    assert selectors.states_the_service_may_report(user, referral) == []
    for to_state in RECEIVER_STATES:
        assert not selectors.may_move(user, referral, to_state, via=PHONE_VIA)
        assert not selectors.may_move(user, referral, to_state)


def test_the_receiving_organisation_never_moves_through_phone(send_to, receiver):
    referral = send_to("organisation in Prossimo")
    assert selectors.may_move(receiver, referral, S.ACCEPTED)
    assert not selectors.may_move(receiver, referral, S.ACCEPTED, via=PHONE_VIA)


def test_a_partner_system_never_moves_through_phone(send_to, partner):
    referral = send_to("partner system")
    assert selectors.may_move(partner, referral, S.ACCEPTED, via=ReferralTransition.Via.FHIR)
    assert not selectors.may_move(partner, referral, S.ACCEPTED, via=PHONE_VIA)


@pytest.mark.parametrize("state", sorted(Referral.FINAL))
def test_nothing_is_offered_once_the_referral_is_final(outside, sender, state):
    assert selectors.states_the_service_may_report(sender, _at(outside, state)) == []


def test_the_states_offered_are_the_receiving_sides_next_moves(outside, sender):
    offered = selectors.states_the_service_may_report(sender, _at(outside, S.ACCEPTED))
    assert offered == [S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED]
    offered = selectors.states_the_service_may_report(sender, _at(outside, S.IN_PROGRESS))
    assert offered == [S.ON_HOLD, S.COMPLETED, S.FAILED]


# --- services -----------------------------------------------------------------------------


def test_the_sender_records_accepted_then_completed_as_told_by_the_service(outside, sender):
    accepted = change_referral_state(
        sender,
        referral=outside,
        to_state=S.ACCEPTED,
        reason="Don Luigi, al telefono",
        version=1,
        via=PHONE_VIA,
    )
    assert accepted.state == S.ACCEPTED and accepted.received_at is not None
    done = change_referral_state(
        sender,
        referral=accepted,
        to_state=S.COMPLETED,
        reason="Don Luigi: pacco consegnato",
        version=2,
        via=PHONE_VIA,
    )
    assert (done.state, done.reason, done.version) == (
        S.COMPLETED,
        "Don Luigi: pacco consegnato",
        3,
    )
    moves = list(done.transitions.values_list("from_state", "to_state", "by", "via", "reason"))
    assert moves[1:] == [
        (S.REQUESTED, S.ACCEPTED, sender.pk, "phone", "Don Luigi, al telefono"),
        (S.ACCEPTED, S.COMPLETED, sender.pk, "phone", "Don Luigi: pacco consegnato"),
    ]


def test_each_move_told_by_the_service_is_audited_like_any_other(outside, sender):
    change_referral_state(sender, referral=outside, to_state=S.REJECTED, reason=NOTE, via=PHONE_VIA)
    entry = LogEntry.objects.get(
        object_pk=str(outside.pk),
        additional_data__event="referrals.referral.state_changed",
    )
    assert entry.actor == sender
    assert entry.additional_data["via"] == "phone"
    assert entry.additional_data["person"] == str(outside.person_id)
    assert entry.changes_dict["state"] == [S.REQUESTED, S.REJECTED]


RECORDED = [(a, b) for a in S.values for b in sorted(ALLOWED_TRANSITIONS[a] & RECEIVER_STATES)]


@pytest.mark.parametrize(("from_state", "to_state"), RECORDED)
def test_every_move_of_the_receiving_side_may_be_recorded_as_told(
    outside, sender, from_state, to_state
):
    moved = change_referral_state(
        sender, referral=_at(outside, from_state), to_state=to_state, reason=NOTE, via=PHONE_VIA
    )
    assert moved.state == to_state and moved.transitions.last().via == "phone"


@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [
        (S.REQUESTED, S.COMPLETED),
        (S.REQUESTED, S.FAILED),
        (S.RECEIVED, S.IN_PROGRESS),
        (S.ACCEPTED, S.RECEIVED),
        (S.COMPLETED, S.ACCEPTED),
        (S.REJECTED, S.ACCEPTED),
    ],
)
def test_what_the_service_said_follows_the_same_state_machine(
    outside, sender, from_state, to_state
):
    referral = _at(outside, from_state)
    with pytest.raises(ValidationError) as exc:
        change_referral_state(
            sender, referral=referral, to_state=to_state, reason=NOTE, via=PHONE_VIA
        )
    assert "to_state" in exc.value.message_dict
    referral.refresh_from_db()
    assert referral.state == from_state


@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [(S.REQUESTED, S.RECEIVED), (S.REQUESTED, S.ACCEPTED), (S.ACCEPTED, S.COMPLETED),
     (S.REQUESTED, S.REJECTED), (S.ACCEPTED, S.ON_HOLD), (S.IN_PROGRESS, S.FAILED)],
)  # fmt: skip
def test_every_move_told_by_the_service_needs_a_note_saying_who(
    outside, sender, from_state, to_state
):
    referral = _at(outside, from_state)
    with pytest.raises(ValidationError) as exc:
        change_referral_state(
            sender, referral=referral, to_state=to_state, reason="  ", via=PHONE_VIA
        )
    assert exc.value.message_dict == {"reason": [NOTE_REQUIRED]}
    referral.refresh_from_db()
    assert referral.state == from_state and referral.transitions.count() == 1


def test_a_stale_version_of_what_the_service_said_is_refused(outside, sender, coordinator):
    change_referral_state(
        coordinator, referral=outside, to_state=S.ACCEPTED, reason=NOTE, version=1, via=PHONE_VIA
    )
    with pytest.raises(ConcurrentEdit):
        change_referral_state(
            sender, referral=outside, to_state=S.REJECTED, reason=NOTE, version=1, via=PHONE_VIA
        )


def test_the_sender_cannot_make_the_services_moves_as_its_own(outside, sender):
    with pytest.raises(PermissionDenied):
        change_referral_state(sender, referral=outside, to_state=S.ACCEPTED, reason=NOTE)


def test_cancelling_is_the_senders_own_move_never_told_by_the_service(outside, sender):
    with pytest.raises(PermissionDenied):
        change_referral_state(
            sender, referral=outside, to_state=S.CANCELLED, reason=NOTE, via=PHONE_VIA
        )
    moved = change_referral_state(sender, referral=outside, to_state=S.CANCELLED, reason=NOTE)
    assert moved.state == S.CANCELLED


@pytest.mark.parametrize("kind", SOMEONE_RECEIVES)
@pytest.mark.parametrize("role", RECORDERS)
def test_where_a_receiving_side_exists_nobody_records_for_it(send_to, users, kind, role):
    referral = send_to(kind)
    with pytest.raises(PermissionDenied):
        change_referral_state(
            users[role], referral=referral, to_state=S.ACCEPTED, reason=NOTE, via=PHONE_VIA
        )
    referral.refresh_from_db()
    assert referral.state == S.REQUESTED


@pytest.mark.parametrize(("role", "records"), RECORDERS.items())
def test_who_records_what_the_service_said(outside, users, role, records):
    user = users[role]
    if not records:
        with pytest.raises(PermissionDenied):
            change_referral_state(
                user, referral=outside, to_state=S.ACCEPTED, reason=NOTE, via=PHONE_VIA
            )
        return
    moved = change_referral_state(
        user, referral=outside, to_state=S.ACCEPTED, reason=NOTE, via=PHONE_VIA
    )
    assert moved.state == S.ACCEPTED and moved.transitions.last().by == user


def test_the_sender_opening_the_page_does_not_mark_it_received(outside, sender):
    assert mark_received(sender, referral=outside).state == S.REQUESTED


# --- FHIR ---------------------------------------------------------------------------------


def _fhir(client, token, path, method="get", body=None):
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    if method == "put":
        return client.put(
            path, json.dumps(body), content_type="application/fhir+json", headers=headers
        )
    return client.get(path, headers=headers)


def test_a_referral_told_by_the_service_reads_as_valid_fhir(client, make_token, outside, sender):
    change_referral_state(sender, referral=outside, to_state=S.ACCEPTED, reason=NOTE, via=PHONE_VIA)
    change_referral_state(
        sender, referral=outside, to_state=S.COMPLETED, reason="Pacco consegnato", via=PHONE_VIA
    )
    token = make_token(sender)
    task = Task.model_validate(_fhir(client, token, f"/api/fhir/Task/{outside.pk}").json())
    assert task.status == "completed"
    assert task.statusReason.text == "Pacco consegnato"
    assert task.owner.identifier.value == f"urn:uuid:{outside.service.organization_id}"
    body = _fhir(client, token, f"/api/fhir/ServiceRequest/{outside.pk}").json()
    assert ServiceRequest.model_validate(body).status == "completed"


def test_the_sender_cannot_report_the_services_moves_over_fhir(client, make_token, outside, sender):
    body = {"resourceType": "Task", "status": "accepted", "intent": "order"}
    response = _fhir(client, make_token(sender), f"/api/fhir/Task/{outside.pk}", "put", body)
    assert response.status_code == 403
    outside.refresh_from_db()
    assert outside.state == S.REQUESTED


# --- the referral's page ------------------------------------------------------------------


def _detail(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def _post(referral: Referral) -> str:
    return reverse("referrals:change_state", args=[referral.pk])


@pytest.fixture
def in_english(sender):
    """The sender reads the pages in English: the messages are compared with their msgids."""
    sender.preferred_language = "en"
    sender.save(update_fields=["preferred_language"])
    return sender


def test_the_sender_sees_the_form_with_the_next_states_only(client, outside, sender):
    client.force_login(sender)
    page = client.get(_detail(outside)).content.decode()
    assert 'id="service-said"' in page and 'name="via" value="phone"' in page
    offered = {s for s in S.values if f'<option value="{s}"' in page}
    assert offered == {S.RECEIVED, S.ACCEPTED, S.REJECTED}
    assert '<label for="id_told-to_state"' in page and '<label for="id_told-reason"' in page
    assert 'id="state-cancelled"' in page  # cancelling stays the sender's own move


@pytest.mark.parametrize("role", ["volunteer", "administrator", "social_worker"])
def test_the_form_is_shown_to_the_sending_side_that_may_record(client, outside, cast, role):
    client.force_login(cast[role])
    page = client.get(_detail(outside)).content.decode()
    assert ('id="service-said"' in page) is RECORDERS[role]


def test_the_form_is_not_shown_where_a_receiving_side_exists(client, referral, sender):
    client.force_login(sender)
    page = client.get(_detail(referral)).content.decode()
    assert 'id="service-said"' not in page and "data-told-by-the-service" not in page


def test_the_form_is_not_shown_once_the_referral_is_final(client, outside, sender):
    client.force_login(sender)
    page = client.get(_detail(_at(outside, S.COMPLETED))).content.decode()
    assert 'id="service-said"' not in page


def test_recording_what_the_service_said_moves_it_and_the_history_says_so(
    client, outside, in_english
):
    client.force_login(in_english)
    data = {
        "via": "phone",
        "told-to_state": S.ACCEPTED,
        "told-reason": NOTE,
        "told-expected_version": outside.version,
    }
    response = client.post(_post(outside), data)
    assert response.status_code == 302 and response.url == _detail(outside)
    outside.refresh_from_db()
    assert (outside.state, outside.reason) == (S.ACCEPTED, NOTE)
    page = client.get(_detail(outside)).content.decode()
    assert 'data-via="phone">Told by the service (phone, e-mail)</span>' in page
    assert NOTE in page
    offered = {s for s in S.values if f'<option value="{s}"' in page}
    assert offered == {S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED}


def test_without_a_note_the_form_comes_back_with_what_was_typed_and_the_message(
    client, outside, in_english
):
    client.force_login(in_english)
    data = {
        "via": "phone",
        "told-to_state": S.REJECTED,
        "told-reason": "",
        "told-expected_version": outside.version,
    }
    response = client.post(_post(outside), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-error-summary" in page and 'href="#id_told-reason"' in page
    assert 'id="id_told-reason_error"' in page and NOTE_REQUIRED in page
    assert f'<option value="{S.REJECTED}" selected>' in page
    outside.refresh_from_db()
    assert outside.state == S.REQUESTED


def test_a_move_the_machine_refuses_shows_the_message_and_keeps_the_note(
    client, outside, in_english
):
    client.force_login(in_english)
    data = {
        "via": "phone",
        "told-to_state": S.COMPLETED,
        "told-reason": "Don Luigi, in parrocchia",
        "told-expected_version": outside.version,
    }
    response = client.post(_post(outside), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-error-summary" in page and "Don Luigi, in parrocchia" in page
    assert "cannot move to" in page
    outside.refresh_from_db()
    assert outside.state == S.REQUESTED


def test_a_stale_form_shows_the_latest_state_with_what_was_typed(
    client, outside, in_english, coordinator
):
    change_referral_state(
        coordinator, referral=outside, to_state=S.RECEIVED, reason=NOTE, via=PHONE_VIA
    )
    client.force_login(in_english)
    data = {
        "via": "phone",
        "told-to_state": S.ACCEPTED,
        "told-reason": "Suor Anna",
        "told-expected_version": 1,
    }
    response = client.post(_post(outside), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else changed this record" in page and "Suor Anna" in page
    assert 'name="told-expected_version" value="2"' in page
    outside.refresh_from_db()
    assert outside.state == S.RECEIVED


@pytest.mark.parametrize(
    ("role", "status"), [("volunteer", 403), ("monitoring_officer", 403), ("outsider", 404)]
)
def test_who_may_not_record_is_refused(client, outside, cast, role, status):
    client.force_login(cast[role])
    data = {
        "via": "phone",
        "told-to_state": S.ACCEPTED,
        "told-reason": NOTE,
        "told-expected_version": outside.version,
    }
    assert client.post(_post(outside), data).status_code == status
    outside.refresh_from_db()
    assert outside.state == S.REQUESTED


def test_the_sender_of_a_referral_received_in_prossimo_gets_403(client, referral, sender):
    client.force_login(sender)
    data = {
        "via": "phone",
        "told-to_state": S.ACCEPTED,
        "told-reason": NOTE,
        "told-expected_version": referral.version,
    }
    assert client.post(_post(referral), data).status_code == 403
    referral.refresh_from_db()
    assert referral.state == S.REQUESTED
