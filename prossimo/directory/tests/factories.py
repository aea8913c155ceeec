"""Factories for the resource directory: HSDS records and Prossimo's own additions.

`service_in(municipality, ...)` builds what a page needs in one call: an active service of an
organization, delivered at a geolocated place in that municipality, with a phone, opening
hours and the needs it meets, and refreshes what search reads (`indexing.refresh_services`:
the municipalities it serves come from its address). Data made with the single factories is
found by search only after `refresh_services`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from prossimo.directory.indexing import refresh_services
from prossimo.directory.models import (
    Address,
    InformalResource,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceMunicipality,
    ServiceNeed,
)
from prossimo.listening.models import NeedCategory
from prossimo.territory.models import Municipality
from prossimo.territory.tests.factories import UserFactory


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Associazione {n}")
    description = "Associazione di volontariato del territorio."


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Servizio {n}")
    description = "Un servizio per le persone del territorio."
    status = Service.Status.ACTIVE


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    location_type = Location.Type.PHYSICAL
    name = factory.Sequence(lambda n: f"Sede {n}")
    latitude = 45.8566
    longitude = 9.3977


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    location = factory.SubFactory(LocationFactory)
    address_1 = factory.Sequence(lambda n: f"Via Roma {n + 1}")
    city = "Lecco"
    state_province = "LC"
    postal_code = "23900"
    country = "IT"
    address_type = Address.Type.PHYSICAL


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phone

    service = factory.SubFactory(ServiceFactory)
    number = "0341 123456"


class ScheduleFactory(factory.django.DjangoModelFactory):
    """Monday to Friday, 09:00–12:30."""

    class Meta:
        model = Schedule

    service = factory.SubFactory(ServiceFactory)
    freq = Schedule.Frequency.WEEKLY
    byday = "MO,TU,WE,TH,FR"
    opens_at = dt.time(9, 0)
    closes_at = dt.time(12, 30)


class ServiceAtLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceAtLocation

    service = factory.SubFactory(ServiceFactory)
    location = factory.SubFactory(LocationFactory)


class ServiceNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceNeed

    service = factory.SubFactory(ServiceFactory)
    category = factory.LazyFunction(lambda: NeedCategory.objects.get(code="practical-transport"))


class ServiceMunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceMunicipality

    service = factory.SubFactory(ServiceFactory)
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(name="Lecco"))
    source = ServiceMunicipality.Source.MANUAL


class InformalResourceFactory(factory.django.DjangoModelFactory):
    """Made directly, as the admin or a fixture would: `record_informal_resource` is the
    service that checks who may record one (tested in test_services)."""

    class Meta:
        model = InformalResource
        skip_postgeneration_save = True

    kind = InformalResource.Kind.PERSON
    name = factory.Sequence(lambda n: f"Vicina di casa {n}")
    description = "Fa la spesa il martedì."
    phone = "+393409998877"
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(name="Lecco"))
    consent_to_be_listed = dt.date(2026, 1, 10)
    recorded_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def needs(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.needs.set(extracted)


def service_in(
    municipality: Municipality,
    *,
    name: str = "Accompagnamento visite mediche",
    organization: Organization | None = None,
    needs: tuple[str, ...] = ("practical-transport",),
    latitude: float | None = 45.8566,
    longitude: float | None = 9.3977,
    phone: str = "0341 123456",
    schedule: dict[str, Any] | None = None,
    **fields: Any,
) -> Service:
    """An active service delivered in `municipality` (its address there, geolocated unless
    latitude is None), serving it, with a phone, weekday hours (or `schedule`) and needs,
    ready to be found by search."""
    service = ServiceFactory(
        name=name,
        organization=organization or OrganizationFactory(),
        **fields,
    )
    location = LocationFactory(
        name=f"Sede di {municipality.name}", latitude=latitude, longitude=longitude
    )
    AddressFactory(
        location=location,
        city=municipality.name,
        state_province=municipality.province.abbreviation,
    )
    ServiceAtLocationFactory(service=service, location=location)
    if phone:
        PhoneFactory(service=service, number=phone)
    ScheduleFactory(service=service, **(schedule or {}))
    for code in needs:
        ServiceNeedFactory(service=service, category=NeedCategory.objects.get(code=code))
    refresh_services([service.pk])
    return service
