"""Shared test fixtures: the territory, two organisations and a fixed cast of users.

Territory A is the province of Lecco (served by `org_a`, through the ambito "Ambito di Lecco");
territory B is the province of Monza e della Brianza (served by `org_b`). Every role has one
user in `org_a` (the monitoring officer in the ATS, which serves both); `outsider` is a
volunteer of `org_b`.
"""

from __future__ import annotations

import pytest

from prossimo.core.permissions import Role
from prossimo.territory.models import Municipality, Organisation


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hashing passwords at full strength costs ~0.2 s a user: tests don't need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from prossimo.territory.services import ensure_territory_loaded

    with django_db_blocker.unblock():
        ensure_territory_loaded()


@pytest.fixture
def territory(db):
    """The ISTAT territory (reloaded after transactional tests, which empty the tables)."""
    from prossimo.territory.services import ensure_territory_loaded

    ensure_territory_loaded()


@pytest.fixture
def lecco(territory) -> Municipality:
    return Municipality.objects.select_related("province").get(name="Lecco")


@pytest.fixture
def monza(territory) -> Municipality:
    return Municipality.objects.select_related("province").get(name="Monza")


@pytest.fixture
def org_a(territory) -> Organisation:
    from prossimo.territory.tests.factories import AmbitoFactory, OrganisationFactory

    ambito = AmbitoFactory(name="Ambito di Lecco")
    ambito.municipalities.set(Municipality.objects.filter(province__abbreviation="LC"))
    org = OrganisationFactory(name="Cooperativa A", kind=Organisation.Kind.COOPERATIVE)
    org.ambiti.add(ambito)
    return org


@pytest.fixture
def org_b(territory) -> Organisation:
    from prossimo.territory.tests.factories import OrganisationFactory

    org = OrganisationFactory(name="Associazione B", kind=Organisation.Kind.ASSOCIATION)
    org.municipalities.set(Municipality.objects.filter(province__abbreviation="MB"))
    return org


@pytest.fixture
def ats(territory) -> Organisation:
    from prossimo.territory.tests.factories import OrganisationFactory

    org = OrganisationFactory(name="ATS Demo", kind=Organisation.Kind.ATS)
    org.municipalities.set(Municipality.objects.filter(province__abbreviation__in=["LC", "MB"]))
    return org


def _member(username: str, org: Organisation, role: str):
    from prossimo.territory.tests.factories import MembershipFactory, UserFactory

    # Fixed names: a random Italian surname could be "Rossi", the surname tests look for to
    # prove a denied page leaks nothing (the page header shows the user's own name).
    user = UserFactory(username=username, first_name="Utente", last_name=username.title())
    MembershipFactory(user=user, organisation=org, role=role)
    return user


@pytest.fixture
def volunteer(org_a):
    return _member("volunteer", org_a, Role.VOLUNTEER)


@pytest.fixture
def operator(org_a):
    return _member("operator", org_a, Role.PROXIMITY_OPERATOR)


@pytest.fixture
def social_worker(org_a):
    return _member("social_worker", org_a, Role.SOCIAL_WORKER)


@pytest.fixture
def coordinator(org_a):
    return _member("coordinator", org_a, Role.COORDINATOR)


@pytest.fixture
def monitoring(ats):
    return _member("monitoring", ats, Role.MONITORING_OFFICER)


@pytest.fixture
def administrator(org_a):
    return _member("administrator", org_a, Role.ADMINISTRATOR)


@pytest.fixture
def outsider(org_b):
    return _member("outsider", org_b, Role.VOLUNTEER)


@pytest.fixture
def cast(volunteer, operator, social_worker, coordinator, monitoring, administrator, outsider):
    """Every role's user by role name, plus the outsider."""
    return {
        "volunteer": volunteer,
        "proximity_operator": operator,
        "social_worker": social_worker,
        "coordinator": coordinator,
        "monitoring_officer": monitoring,
        "administrator": administrator,
        "outsider": outsider,
    }


@pytest.fixture
def person_a(lecco):
    from prossimo.people.tests.factories import PersonFactory, PhoneFactory

    person = PersonFactory(first_name="Maria", last_name="Rossi", municipality=lecco)
    PhoneFactory(person=person, number="+393401234567")
    return person


@pytest.fixture
def person_b(monza):
    from prossimo.people.tests.factories import PersonFactory

    return PersonFactory(first_name="Giulia", last_name="Bianchi", municipality=monza)
