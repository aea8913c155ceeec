"""Fixtures of the programmes app: the seeded Telefonia Sociale run by org_a, a referral."""

from __future__ import annotations

import pytest

from prossimo.programmes.models import Enrolment, Programme
from prossimo.programmes.services import ReferralInput, change_state, refer_person


@pytest.fixture
def telefonia(org_a) -> Programme:
    programme = Programme.objects.get(code="telefonia-sociale")
    programme.organisations.add(org_a)
    return programme


@pytest.fixture
def referral(social_worker, person_a, telefonia) -> Enrolment:
    """Maria Rossi (Lecco) referred by the social worker, consent already given."""
    return refer_person(
        social_worker,
        programme=telefonia,
        person=person_a,
        referral=ReferralInput(
            reason="Vive sola, poche visite",
            fragility_notes="Difficoltà a camminare",
            preferred_contact_times="mattina",
            consent=Enrolment.Consent.GIVEN,
        ),
    )


@pytest.fixture
def active_enrolment(referral, coordinator) -> Enrolment:
    """The referral taken in charge by the coordinator."""
    return change_state(coordinator, enrolment=referral, to_state=Enrolment.State.ACTIVE)
