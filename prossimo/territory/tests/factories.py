"""Factories for territory data. Municipalities come from the loaded ISTAT list."""

from __future__ import annotations

import factory

from prossimo.core.models import User
from prossimo.core.permissions import Role
from prossimo.territory.models import Ambito, Membership, Municipality, Organisation


def municipality(name: str) -> Municipality:
    return Municipality.objects.select_related("province").get(name=name)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="it_IT")
    last_name = factory.Faker("last_name", locale="it_IT")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("prossimo-test-pw")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.COOPERATIVE


class AmbitoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ambito

    name = factory.Sequence(lambda n: f"Ambito {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.VOLUNTEER
