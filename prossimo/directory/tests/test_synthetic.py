"""The synthetic directory: realistic, searchable, reproducible."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from prossimo.directory.models import Schedule, Service, ServiceMunicipality, ServiceOpening
from prossimo.directory.search import ServiceQuery, search_services
from prossimo.directory.synthetic import build_synthetic_directory
from prossimo.listening.models import NeedCategory
from prossimo.territory.models import Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(territory):
    places = list(Municipality.objects.filter(province__abbreviation__in=["LC", "MB"]))
    return build_synthetic_directory(
        services=300,
        schedules_per_service=5,
        municipalities=places,
        categories=list(NeedCategory.objects.filter(is_active=True)),
        seed=7,
    )


def test_the_synthetic_directory_is_searchable_by_every_part(built, lecco):
    assert built["services"] == Service.objects.count() == 300
    assert abs(Schedule.objects.count() - 1500) < 150
    assert ServiceOpening.objects.filter(after_midnight=True).exists()
    assert ServiceMunicipality.objects.filter(municipality=lecco).exists()
    night = dt.datetime(2026, 6, 10, 2, 0, tzinfo=ZoneInfo("Europe/Rome"))
    assert search_services(ServiceQuery(text="accompagnamento")).hits
    assert search_services(ServiceQuery(municipality=lecco.pk)).hits
    open_at_night = search_services(ServiceQuery(open_at=night), limit=100).hits
    assert open_at_night
    assert all(
        "Guardia" in h.service.name
        or "Continuità" in h.service.name
        or "Farmacia" in h.service.name
        for h in open_at_night
    )


def test_the_same_seed_gives_the_same_directory(territory):
    places = list(Municipality.objects.filter(province__abbreviation="LC"))

    def build() -> list:
        with transaction.atomic():
            build_synthetic_directory(
                services=20, schedules_per_service=3, municipalities=places, categories=[], seed=3
            )
            made = sorted(Service.objects.values_list("pk", "name", "description"))
            transaction.set_rollback(True)
        return made

    assert build() == build()
