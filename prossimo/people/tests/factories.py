"""Factories for people: synthetic Italians with valid codici fiscali and phone numbers."""

from __future__ import annotations

import datetime as dt

import factory
from codicefiscale import codicefiscale

from prossimo.core.text import fold
from prossimo.people.models import Consent, Person, Phone, ReferencePerson
from prossimo.territory.models import Municipality


def fiscal_code_for(
    first_name: str, last_name: str, sex: str, birth_date: dt.date, birthplace: Municipality
) -> str:
    return codicefiscale.encode(
        lastname=last_name,
        firstname=first_name,
        gender=sex,
        birthdate=birth_date.strftime("%d/%m/%Y"),
        birthplace=birthplace.cadastral_code,
    )


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name_female", locale="it_IT")
    last_name = factory.Faker("last_name", locale="it_IT")
    first_name_search = factory.LazyAttribute(lambda p: fold(p.first_name))
    last_name_search = factory.LazyAttribute(lambda p: fold(p.last_name))
    sex = Person.Sex.FEMALE
    birth_date = factory.Faker(
        "date_between", start_date=dt.date(1925, 1, 1), end_date=dt.date(1960, 12, 31)
    )
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(name="Lecco"))
    birth_municipality = factory.LazyAttribute(lambda p: p.municipality)
    fiscal_code = factory.LazyAttribute(
        lambda p: (
            fiscal_code_for(p.first_name, p.last_name, p.sex, p.birth_date, p.birth_municipality)
            if p.birth_municipality
            else None
        )
    )
    address = factory.Faker("street_address", locale="it_IT")


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phone

    person = factory.SubFactory(PersonFactory)
    number = factory.Sequence(lambda n: f"+39340{1000000 + n:07d}")
    kind = Phone.Kind.MOBILE


class ReferencePersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferencePerson

    person = factory.SubFactory(PersonFactory)
    name = factory.Faker("name", locale="it_IT")
    relationship = "figlia"
    phone = factory.Sequence(lambda n: f"+39347{2000000 + n:07d}")


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    person = factory.SubFactory(PersonFactory)
    kind = Consent.Kind.PRIVACY_NOTICE
    given_on = dt.date(2026, 1, 10)
