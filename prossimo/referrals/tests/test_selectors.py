"""Who reads which referral, the queues, and the status of referrals on needs."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from prossimo.core.permissions import Role
from prossimo.listening.services import ContactInput, NeedInput, log_contact
from prossimo.people.tests.factories import PersonFactory, PhoneFactory
from prossimo.referrals import selectors
from prossimo.referrals.models import Referral
from prossimo.referrals.services import change_referral_state, send_referral
from prossimo.territory.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Referral.State
# Who reads a referral sent by org_a (the whole cast is in org_a, but for these).
READERS = {
    "volunteer": True,
    "proximity_operator": True,
    "social_worker": True,
    "coordinator": True,
    "administrator": True,
    "monitoring_officer": False,
    "outsider": False,
}


@pytest.mark.parametrize(("role", "reads"), READERS.items())
def test_each_role_of_the_sending_side_reads_the_referral_or_not(cast, referral, role, reads):
    user = cast[role]
    assert Referral.objects.visible_to(user).filter(pk=referral.pk).exists() is reads
    if reads:
        assert selectors.access_referral(user, referral.pk) == referral
    else:
        with pytest.raises(Http404):
            selectors.access_referral(user, referral.pk)


def test_the_receiving_organisation_and_the_persons_social_worker_read_it(
    referral, receiver, receiver_volunteer, org_b, person_a
):
    assert selectors.access_referral(receiver, referral.pk)
    assert selectors.access_referral(receiver_volunteer, referral.pk)
    worker = UserFactory(username="sw_b")
    MembershipFactory(user=worker, organisation=org_b, role=Role.SOCIAL_WORKER)
    with pytest.raises(Http404):
        selectors.access_referral(worker, referral.pk)
    person_a.social_worker = worker
    person_a.save(update_fields=["social_worker"])
    assert selectors.access_referral(worker, referral.pk)


def test_reading_to_act_needs_a_side_that_may_act(referral, volunteer, receiver_volunteer, sender):
    with pytest.raises(PermissionDenied):
        selectors.access_referral(volunteer, referral.pk, for_write=True)
    with pytest.raises(PermissionDenied):
        selectors.access_referral(receiver_volunteer, referral.pk, for_write=True)
    assert selectors.access_referral(sender, referral.pk, for_write=True)


def test_a_malformed_id_is_not_found(receiver):
    with pytest.raises(Http404):
        selectors.access_referral(receiver, "not-a-uuid")


def _more_referrals(n, *, sender, volunteer, loneliness, service, lecco):
    made = []
    for _i in range(n):
        person = PersonFactory(municipality=lecco)
        phone = PhoneFactory(person=person)
        contact = log_contact(
            volunteer, data=ContactInput(person=person), needs=[NeedInput(loneliness)]
        )
        made.append(
            send_referral(
                sender,
                need=contact.needs.get(),
                service=service,
                summary="x",
                consent_to_share=True,
                contact_phone=phone.number,
            )
        )
    return made


def test_the_incoming_queue_lists_the_oldest_waiting_first_at_a_fixed_number_of_queries(
    referral, receiver, sender, volunteer, loneliness, service, lecco, django_assert_max_num_queries
):
    more = _more_referrals(
        6, sender=sender, volunteer=volunteer, loneliness=loneliness, service=service, lecco=lecco
    )
    change_referral_state(receiver, referral=more[0], to_state=S.ACCEPTED)
    receiver = type(receiver).objects.get(pk=receiver.pk)
    with django_assert_max_num_queries(2):
        rows = list(selectors.incoming_queue(receiver, state=S.REQUESTED))
        shown = [
            (r.need.category.name, r.service.organization.name, r.person.municipality.label,
             r.sending_organisation.name, r.sender.username, selectors.shows_person(receiver, r))
            for r in rows
        ]  # fmt: skip
    assert [r.pk for r in rows] == [referral.pk, *[m.pk for m in more[1:]]]
    assert all(s[-1] for s in shown)
    counts = selectors.count_by_state(selectors.incoming_queue(receiver))
    assert counts[S.REQUESTED] == 6 and counts[S.ACCEPTED] == 1


def test_the_status_of_a_page_of_needs_is_one_query(
    referral, need, sender, django_assert_num_queries
):
    sender = type(sender).objects.get(pk=sender.pk)
    sender_roles = selectors.send_organisation_ids(sender)  # the roles, read once a request
    assert sender_roles
    with django_assert_num_queries(1):
        statuses = selectors.referral_status_by_need(sender, [need.pk, "0" * 32])
        [(r.state, r.service.name, r.service.organization.name) for r in statuses[need.pk]]
    assert [r.pk for r in statuses[need.pk]] == [referral.pk]
    assert selectors.referral_status_by_need(sender, []) == {}


def test_monitoring_officers_see_no_status_on_needs(referral, need, monitoring):
    assert selectors.referral_status_by_need(monitoring, [need.pk]) == {}


def test_the_sent_list_shows_what_the_organisation_sent(referral, coordinator, receiver):
    assert list(selectors.sent_by_organisations(coordinator)) == [referral]
    assert list(selectors.sent_by_organisations(receiver)) == []
