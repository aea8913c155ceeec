"""The demo's referrals: made through the services, in several states."""

from __future__ import annotations

import pytest

from prossimo.directory.models import Organization, Service
from prossimo.listening.services import ContactInput, NeedInput, log_contact
from prossimo.people.tests.factories import PersonFactory, PhoneFactory
from prossimo.referrals.demo import build_demo_referrals
from prossimo.referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_the_demo_sends_referrals_in_various_states(
    sender, receiver, receiving_org, volunteer, loneliness, lecco
):
    org = Organization.objects.create(name="Auser", description="ODV")
    service = Service.objects.create(organization=org, name="Compagnia", status="active")
    needs = []
    for _i in range(5):
        person = PersonFactory(municipality=lecco)
        PhoneFactory(person=person)
        contact = log_contact(
            volunteer, data=ContactInput(person=person), needs=[NeedInput(loneliness)]
        )
        needs.append(contact.needs.get())
    made = build_demo_referrals(
        sender=sender,
        receiver=receiver,
        receiving_organisation=receiving_org,
        needs=needs,
        services=[service],
    )
    S = Referral.State
    assert [r.state for r in made] == [
        S.REQUESTED,
        S.RECEIVED,
        S.IN_PROGRESS,
        S.COMPLETED,
        S.REJECTED,
    ]
    assert all(r.receiving_organisation == receiving_org for r in made)
