"""Search of the resource directory: the one interface the pages, the call form, the API and
the benchmark use.

`search_services(ServiceQuery(...))` finds active formal services (public information, no
user needed) by text, need met, municipality served, opening time and language, and returns one
page of `ServiceHit`s, best first, each with what a volunteer on the phone needs: the service,
its organization, phones, opening hours, where it is, which needs it meets.

`search_informal(user, ...)` finds informal resources (staff only, `InformalResource.visible_to`).

NOTE (skeleton written by the lead): the text part below is a plain `icontains` placeholder and
`open_at` is not applied yet; the full-text backends (SQLite FTS5 / PostgreSQL full text and
trigram, Italian stemming, accent-insensitive) and opening-hours filter replace them behind
this same interface.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q

from prossimo.directory.models import (
    InformalResource,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceNeed,
)
from prossimo.listening.models import NeedCategory

#: The most hits one page shows.
MAX_LIMIT = 100


@dataclass(frozen=True)
class ServiceQuery:
    """What the user asked. Every part is optional; an empty query lists active services.

    - `text`: free words ("accompagnamento visita"); accent-insensitive, Italian stemming.
    - `need`: a `NeedCategory` id: services that meet it (or one of its sub-categories).
    - `municipality`: a `territory.Municipality` id: services that serve it.
    - `open_at`: an aware datetime: services open at that moment (Europe/Rome hours, overnight
      schedules, national holidays as Sundays).
    - `language`: an ISO 639-1 code ("en", "ar"): services that speak it (Italian is assumed).
    """

    text: str = ""
    need: int | None = None
    municipality: int | None = None
    open_at: dt.datetime | None = None
    language: str = ""


@dataclass
class PlacePoint:
    """Where a service is delivered: for the list and the map."""

    location_id: uuid.UUID
    name: str
    address: str
    latitude: float | None
    longitude: float | None


@dataclass
class ServiceHit:
    service: Service  # with `organization` loaded
    phones: list[str] = field(default_factory=list)  # as given by HSDS (free text)
    schedules: list[Schedule] = field(default_factory=list)
    places: list[PlacePoint] = field(default_factory=list)
    needs: list[NeedCategory] = field(default_factory=list)
    score: float = 0.0


@dataclass
class SearchPage:
    hits: list[ServiceHit]
    has_more: bool
    offset: int
    limit: int


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w]


def search_services(query: ServiceQuery, *, limit: int = 20, offset: int = 0) -> SearchPage:
    """One page of active services matching `query`, best first (then by name). A fixed number
    of queries whatever the page size."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    services = Service.objects.filter(status=Service.Status.ACTIVE)
    for word in _words(query.text):
        services = services.filter(
            Q(name__icontains=word)
            | Q(description__icontains=word)
            | Q(organization__name__icontains=word)
        )
    if query.need is not None:
        services = services.filter(
            Q(needs_met__category_id=query.need) | Q(needs_met__category__parent_id=query.need)
        )
    if query.municipality is not None:
        services = services.filter(municipalities_served__municipality_id=query.municipality)
    if query.language:
        services = services.filter(languages__code__iexact=query.language)
    rows = list(
        services.distinct()
        .select_related("organization")
        .order_by("name", "pk")[offset : offset + limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    return SearchPage(hits=hits_for(rows), has_more=has_more, offset=offset, limit=limit)


def hits_for(services: list[Service]) -> list[ServiceHit]:
    """Build the hits of these services (in this order): four queries whatever their number."""
    ids = [s.pk for s in services]
    phones: dict[Any, list[str]] = {}
    for service_id, number in (
        Phone.objects.filter(service_id__in=ids).order_by("pk").values_list("service_id", "number")
    ):
        phones.setdefault(service_id, []).append(number)
    schedules: dict[Any, list[Schedule]] = {}
    for schedule in Schedule.objects.filter(service_id__in=ids).order_by("opens_at", "pk"):
        schedules.setdefault(schedule.service_id, []).append(schedule)
    places: dict[Any, list[PlacePoint]] = {}
    for sal in (
        ServiceAtLocation.objects.filter(service_id__in=ids)
        .select_related("location")
        .prefetch_related(Prefetch("location__addresses"))
        .order_by("pk")
    ):
        location: Location = sal.location
        address = next(iter(location.addresses.all()), None)
        places.setdefault(sal.service_id, []).append(
            PlacePoint(
                location_id=location.pk,
                name=location.name,
                address=f"{address.address_1}, {address.city}" if address else "",
                latitude=location.latitude,
                longitude=location.longitude,
            )
        )
    needs: dict[Any, list[NeedCategory]] = {}
    for link in (
        ServiceNeed.objects.filter(service_id__in=ids)
        .select_related("category")
        .order_by("category__position", "category__name")
    ):
        needs.setdefault(link.service_id, []).append(link.category)
    return [
        ServiceHit(
            service=s,
            phones=phones.get(s.pk, []),
            schedules=schedules.get(s.pk, []),
            places=places.get(s.pk, []),
            needs=needs.get(s.pk, []),
        )
        for s in services
    ]


def search_informal(
    user: Any,
    *,
    text: str = "",
    need: int | None = None,
    municipality: int | None = None,
    limit: int = 50,
) -> list[InformalResource]:
    """Informal resources the user may see (staff only), matching the words, the need and the
    municipality, by name. Two queries."""
    found = InformalResource.objects.visible_to(user)
    for word in _words(text):
        found = found.filter(Q(name__icontains=word) | Q(description__icontains=word))
    if need is not None:
        found = found.filter(Q(needs__id=need) | Q(needs__parent_id=need))
    if municipality is not None:
        found = found.filter(municipality_id=municipality)
    return list(
        found.distinct()
        .select_related("municipality")
        .prefetch_related("needs")
        .order_by("name", "pk")[: max(1, min(limit, MAX_LIMIT))]
    )
