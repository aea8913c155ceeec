import datetime as dt

import pytest

from prossimo.core.permissions import Role
from prossimo.listening.models import NeedCategory
from prossimo.territory.models import Municipality, Organisation


@pytest.fixture
def desk(territory) -> Organisation:
    """The cooperative running the Sportello di Prossimità for the province of Lecco."""
    from prossimo.territory.tests.factories import OrganisationFactory

    org = OrganisationFactory(name="Cooperativa Sportello", runs_proximity_desk=True)
    org.municipalities.set(Municipality.objects.filter(province__abbreviation="LC"))
    return org


@pytest.fixture
def desk_operator(desk):
    from prossimo.territory.tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="desk_operator")
    MembershipFactory(user=user, organisation=desk, role=Role.PROXIMITY_OPERATOR)
    return user


@pytest.fixture
def loneliness(db) -> NeedCategory:
    return NeedCategory.objects.get(code="loneliness")


@pytest.fixture
def shopping(db) -> NeedCategory:
    return NeedCategory.objects.get(code="practical-shopping")


@pytest.fixture
def tomorrow() -> dt.date:
    from django.utils import timezone

    return timezone.localdate() + dt.timedelta(days=1)
