"""The referral pages: the incoming queue, a referral's page and its moves, sending from a
need, the person's page section. Structure and status codes are checked, not wording."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prossimo.referrals.models import Referral
from prossimo.referrals.tests.conftest import PHONE

pytestmark = pytest.mark.django_db

S = Referral.State


def test_the_receiver_sees_the_incoming_queue_by_state(client, referral, receiver):
    client.force_login(receiver)
    response = client.get(reverse("referrals:incoming"))
    assert response.status_code == 200
    assert f'data-referral="{referral.pk}"' in response.content.decode()
    response = client.get(reverse("referrals:incoming"), {"stato": S.COMPLETED})
    assert f'data-referral="{referral.pk}"' not in response.content.decode()


@pytest.mark.parametrize("role", ["volunteer", "monitoring_officer", "outsider"])
def test_who_does_not_work_a_queue_gets_403(client, cast, role):
    client.force_login(cast[role])
    assert client.get(reverse("referrals:incoming")).status_code == 403


def test_the_queue_page_has_a_fixed_number_of_queries(
    client, referral, receiver, django_assert_max_num_queries
):
    client.force_login(receiver)
    client.get(reverse("referrals:incoming"))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("referrals:incoming")).status_code == 200


def test_opening_the_referral_as_receiver_marks_it_received(client, referral, receiver):
    client.force_login(receiver)
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.state == S.RECEIVED
    page = response.content.decode()
    assert "Rossi" in page and "data-summary" in page
    assert 'id="state-accepted"' in page and 'id="state-rejected"' in page
    assert 'id="state-cancelled"' not in page


def test_without_consent_the_receiver_sees_no_name_only_the_phone(client, unshared, receiver):
    client.force_login(receiver)
    page = client.get(reverse("referrals:detail", args=[unshared.pk])).content.decode()
    assert "Rossi" not in page and "Maria" not in page
    assert "data-not-named" in page and PHONE in page
    assert "data-summary" not in page


def test_the_sender_sees_the_state_and_may_only_cancel(client, referral, sender):
    client.force_login(sender)
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    referral.refresh_from_db()
    assert referral.state == S.REQUESTED
    assert 'id="state-cancelled"' in page and 'id="state-accepted"' not in page


def test_outsiders_get_404_and_monitoring_403(client, referral, outsider, monitoring):
    url = reverse("referrals:detail", args=[referral.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(monitoring)
    assert client.get(url).status_code == 403


def test_accepting_moves_it_and_returns_to_the_page(client, referral, receiver):
    client.force_login(receiver)
    response = client.post(
        reverse("referrals:change_state", args=[referral.pk]),
        {"to_state": S.ACCEPTED, "accepted-expected_version": referral.version},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == S.ACCEPTED


def test_declining_without_a_reason_shows_the_error_and_keeps_the_form(client, referral, receiver):
    client.force_login(receiver)
    response = client.post(
        reverse("referrals:change_state", args=[referral.pk]),
        {"to_state": S.REJECTED, "rejected-expected_version": referral.version},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-error-summary" in page and 'id="id_rejected-reason_error"' in page
    referral.refresh_from_db()
    assert referral.state == S.REQUESTED


def test_a_stale_move_shows_the_latest_state_with_what_was_typed(client, referral, receiver):
    client.force_login(receiver)
    url = reverse("referrals:change_state", args=[referral.pk])
    client.post(url, {"to_state": S.RECEIVED, "received-expected_version": 1})
    response = client.post(
        url,
        {"to_state": S.REJECTED, "rejected-expected_version": 1, "rejected-reason": "Pieno"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-error-summary" in page and "Pieno" in page
    # The page shown again is a read of the referral like any other.
    from auditlog.models import LogEntry

    reads = LogEntry.objects.filter(object_pk=str(referral.pk), action=LogEntry.Action.ACCESS)
    assert reads.count() == 1 and reads.get().actor == receiver


def test_the_sender_cannot_post_a_receivers_move(client, referral, sender):
    client.force_login(sender)
    response = client.post(
        reverse("referrals:change_state", args=[referral.pk]),
        {"to_state": S.ACCEPTED, "accepted-expected_version": referral.version},
    )
    assert response.status_code == 403


def test_the_send_form_is_reached_from_the_need(client, need, service, sender):
    client.force_login(sender)
    response = client.get(reverse("referrals:new"), {"need": need.pk, "service": service.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'value="{service.pk}" selected' in page
    assert f'value="{PHONE}"' in page


def test_sending_with_bad_input_keeps_what_was_typed(client, need, service, sender):
    client.force_login(sender)
    data = {
        "need": need.pk,
        "service": service.pk,
        "summary": "Vive sola, preferisce il mattino",
        "contact_phone": PHONE,
    }
    response = client.post(reverse("referrals:new"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-error-summary" in page and "Vive sola, preferisce il mattino" in page
    assert not Referral.objects.exists()


def test_sending_creates_the_referral_and_opens_it(client, need, service, sender):
    client.force_login(sender)
    data = {
        "need": need.pk,
        "service": service.pk,
        "summary": "Vive sola",
        "consent_to_share": "on",
        "contact_phone": PHONE,
    }
    response = client.post(reverse("referrals:new"), data)
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", args=[referral.pk])
    assert referral.share_consent and referral.shared_summary == "Vive sola"


@pytest.mark.parametrize("role", ["volunteer", "monitoring_officer"])
def test_who_may_not_send_gets_403(client, cast, need, role):
    client.force_login(cast[role])
    assert client.get(reverse("referrals:new"), {"need": need.pk}).status_code == 403


def test_a_need_out_of_reach_is_not_found(client, need, org_b):
    from prossimo.core.permissions import Role
    from prossimo.territory.tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="op_b")
    MembershipFactory(user=user, organisation=org_b, role=Role.PROXIMITY_OPERATOR)
    client.force_login(user)
    assert client.get(reverse("referrals:new"), {"need": need.pk}).status_code == 404


def test_the_persons_page_lists_their_referrals(client, referral, sender, person_a):
    client.force_login(sender)
    page = client.get(reverse("people:detail", args=[person_a.pk])).content.decode()
    assert 'id="referrals"' in page and f'data-referral="{referral.pk}"' in page


def test_the_sent_page_lists_the_organisations_referrals(client, referral, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("referrals:sent"))
    assert response.status_code == 200
    assert f'data-referral="{referral.pk}"' in response.content.decode()


def test_the_need_snippet_shows_the_status_and_the_send_button(rf, referral, need, sender):
    from django.template import Context, Template

    from prossimo.referrals.selectors import referral_status_by_need

    statuses = referral_status_by_need(sender, [need.pk])
    html = Template("{% load referrals %}{% need_referrals statuses need %}").render(
        Context({"statuses": statuses, "need": need, "user": sender})
    )
    assert f'data-need-referrals="{need.pk}"' in html and 'data-state="requested"' in html
    assert f'data-send-referral="{need.pk}"' in html
