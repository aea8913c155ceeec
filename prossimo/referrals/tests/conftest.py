"""Fixtures of the referrals tests: a directory service, the organisation that receives its
referrals in Prossimo, a need of Maria Rossi (Lecco) logged by org_a, and a referral of it."""

from __future__ import annotations

import pytest
from django.utils import translation

from prossimo.core.permissions import Role
from prossimo.directory.models import Organization, Service, ServiceNeed
from prossimo.listening.models import NeedCategory
from prossimo.listening.services import ContactInput, NeedInput, log_contact
from prossimo.referrals.models import Referral, ReferralDestination
from prossimo.referrals.services import send_referral
from prossimo.territory.models import Organisation
from prossimo.territory.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

PHONE = "+393401234567"  # Maria Rossi's number (root conftest)


@pytest.fixture(autouse=True)
def _english():
    """Messages of the services are compared in the msgids' language."""
    with translation.override("en"):
        yield


@pytest.fixture
def loneliness(db) -> NeedCategory:
    return NeedCategory.objects.get(code="loneliness")


@pytest.fixture
def receiving_org(territory) -> Organisation:
    """The association running "Compagnia al telefono", working referrals in Prossimo."""
    return OrganisationFactory(name="Auser Lecco", kind=Organisation.Kind.ASSOCIATION)


@pytest.fixture
def receiver(receiving_org):
    user = UserFactory(username="receiver", first_name="Utente", last_name="Receiver")
    MembershipFactory(user=user, organisation=receiving_org, role=Role.PROXIMITY_OPERATOR)
    return user


@pytest.fixture
def receiver_volunteer(receiving_org):
    user = UserFactory(username="receiver_volunteer", first_name="Utente", last_name="Recvol")
    MembershipFactory(user=user, organisation=receiving_org, role=Role.VOLUNTEER)
    return user


@pytest.fixture
def hsds_org(db) -> Organization:
    return Organization.objects.create(name="Auser Lecco ODV", description="Volontariato")


@pytest.fixture
def service(hsds_org, loneliness, receiving_org) -> Service:
    service = Service.objects.create(
        organization=hsds_org, name="Compagnia al telefono", status=Service.Status.ACTIVE
    )
    ServiceNeed.objects.create(service=service, category=loneliness)
    ReferralDestination.objects.create(directory_organization=hsds_org, organisation=receiving_org)
    return service


@pytest.fixture
def outside_service(db) -> Service:
    """A service whose organization does not use Prossimo."""
    org = Organization.objects.create(name="Parrocchia San Nicolò", description="Parrocchia")
    return Service.objects.create(
        organization=org, name="Pacchi alimentari", status=Service.Status.ACTIVE
    )


@pytest.fixture
def need(volunteer, person_a, loneliness):
    """A need of Maria Rossi, logged by org_a's volunteer."""
    contact = log_contact(
        volunteer,
        data=ContactInput(person=person_a, notes="Sola da giorni"),
        needs=[NeedInput(loneliness, "vorrebbe qualcuno con cui parlare")],
    )
    return contact.needs.get()


@pytest.fixture
def sender(operator):
    """org_a's proximity operator: sends the referrals."""
    return operator


@pytest.fixture
def referral(sender, need, service) -> Referral:
    """Maria Rossi's need sent to "Compagnia al telefono", with her consent to share."""
    return send_referral(
        sender,
        need=need,
        service=service,
        summary="Vive sola, preferisce il mattino",
        consent_to_share=True,
        contact_phone=PHONE,
    )


@pytest.fixture
def unshared(sender, need, service) -> Referral:
    """The same need sent without consent to share: only the need and the phone."""
    return send_referral(
        sender, need=need, service=service, consent_to_share=False, contact_phone="340 123 4567"
    )
