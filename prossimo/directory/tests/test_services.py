"""Prossimo's own directory data: the needs a service meets, informal resources."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from prossimo.directory.models import InformalResource, Organization, Service, ServiceNeed
from prossimo.directory.services import (
    record_informal_resource,
    set_service_needs,
    withdraw_informal_resource,
)
from prossimo.listening.models import NeedCategory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(db) -> Service:
    org = Organization.objects.create(name="Comune di Lecco", description="Servizi sociali")
    return Service.objects.create(organization=org, name="Spesa a domicilio", status="active")


@pytest.fixture
def needs(db) -> dict[str, NeedCategory]:
    codes = ["loneliness", "practical-shopping", "practical-medicines"]
    return {c.code: c for c in NeedCategory.objects.filter(code__in=codes)}


def test_the_needs_a_service_meets_are_replaced_as_a_whole(administrator, service, needs):
    set_service_needs(
        administrator,
        service=service,
        categories=[needs["practical-shopping"], needs["loneliness"]],
    )
    set_service_needs(
        administrator,
        service=service,
        categories=[needs["practical-shopping"], needs["practical-medicines"]],
    )

    assert sorted(service.needs_met.values_list("category__code", flat=True)) == [
        "practical-medicines",
        "practical-shopping",
    ]
    entry = LogEntry.objects.filter(object_pk=str(service.pk)).latest("timestamp")
    assert entry.additional_data["needs"] == ["practical-medicines", "practical-shopping"]


def test_an_inactive_need_cannot_be_given_to_a_service(administrator, service, needs):
    needs["loneliness"].is_active = False
    needs["loneliness"].save(update_fields=["is_active"])

    with pytest.raises(ValidationError):
        set_service_needs(administrator, service=service, categories=[needs["loneliness"]])
    assert not ServiceNeed.objects.exists()


@pytest.mark.parametrize("role", ["volunteer", "coordinator", "monitoring_officer"])
def test_only_administrators_say_which_needs_a_service_meets(cast, role, service, needs):
    with pytest.raises(PermissionDenied):
        set_service_needs(cast[role], service=service, categories=[needs["loneliness"]])


def record(actor, municipality, **fields) -> InformalResource:
    data = {
        "kind": InformalResource.Kind.PERSON,
        "name": "Giuseppina",
        "municipality": municipality,
        "consent_to_be_listed": dt.date(2026, 1, 10),
        "phone": "340 999 8877",
        **fields,
    }
    return record_informal_resource(actor, **data)


def test_an_informal_resource_is_listed_with_its_consent_and_who_recorded_it(
    volunteer, lecco, needs
):
    resource = record(volunteer, lecco, needs=[needs["practical-shopping"]])

    assert resource.phone == "+393409998877"
    assert resource.recorded_by == volunteer
    assert list(resource.needs.all()) == [needs["practical-shopping"]]
    entry = LogEntry.objects.get(
        object_pk=str(resource.pk), additional_data__event="directory.informal_resource.recorded"
    )
    assert "Giuseppina" not in entry.object_repr


def test_a_consent_in_the_future_or_a_wrong_phone_is_refused(volunteer, lecco):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    with pytest.raises(ValidationError) as failure:
        record(volunteer, lecco, consent_to_be_listed=tomorrow, phone="12")

    assert set(failure.value.message_dict) == {"consent_to_be_listed", "phone"}
    assert not InformalResource.objects.exists()


def test_staff_cannot_list_a_resource_outside_their_territory(volunteer, monza):
    with pytest.raises(PermissionDenied):
        record(volunteer, monza)


ROLES = ["volunteer", "proximity_operator", "social_worker", "coordinator",
         "monitoring_officer", "administrator", "outsider"]  # fmt: skip
SEES_LECCO = {"volunteer", "proximity_operator", "social_worker", "coordinator", "administrator"}
SEES_MONZA = {"administrator", "outsider"}


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_informal_resources(cast, role, lecco, monza, coordinator, outsider):
    in_lecco = record(coordinator, lecco, name="Gruppo parrocchiale")
    in_monza = record(outsider, monza, name="Vicino di casa")

    seen = set(InformalResource.objects.visible_to(cast[role]))

    assert (in_lecco in seen) is (role in SEES_LECCO)
    assert (in_monza in seen) is (role in SEES_MONZA)


def test_anonymous_visitors_see_no_informal_resource(volunteer, lecco):
    from django.contrib.auth.models import AnonymousUser

    record(volunteer, lecco)

    assert not InformalResource.objects.visible_to(AnonymousUser()).exists()


def test_a_withdrawn_consent_removes_the_resource_and_keeps_no_name(volunteer, operator, lecco):
    resource = record(volunteer, lecco)
    pk = str(resource.pk)

    withdraw_informal_resource(operator, resource=resource)

    assert not InformalResource.objects.exists()
    trail = LogEntry.objects.filter(object_pk=pk)
    assert trail.filter(additional_data__event="directory.informal_resource.withdrawn").exists()
    assert all("Giuseppina" not in str(e.changes) + e.object_repr for e in trail)


def test_who_does_not_see_a_resource_cannot_withdraw_it(volunteer, outsider, lecco):
    resource = record(volunteer, lecco)

    with pytest.raises(PermissionDenied):
        withdraw_informal_resource(outsider, resource=resource)
    assert InformalResource.objects.exists()


def test_formal_directory_records_are_public(service):
    from django.contrib.auth.models import AnonymousUser

    assert list(Service.objects.visible_to(AnonymousUser())) == [service]
