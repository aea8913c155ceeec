"""Search of the resource directory: the one interface the pages, the call form, the API and
the benchmark use.

`search_services(ServiceQuery(...))` finds active formal services (public information, no
user needed) by text, need met, municipality served, opening time and language, and returns one
page of `ServiceHit`s, best first, each with what a volunteer on the phone needs: the service,
its organization, phones, opening hours, where it is, which needs it meets.

`search_informal(user, ...)` finds informal resources (staff only, `InformalResource.visible_to`).

How (decision 0012): one SQL statement picks the page's services from the tables
`indexing.refresh_services` keeps — the full-text index of `ServiceSearch` (SQLite FTS5 with
`unicode61 remove_diacritics 2`; PostgreSQL `tsvector` with the `prossimo_italian`
configuration: Italian Snowball stems without accents), `ServiceMunicipality`, `ServiceNeed`,
`Language` and the opening spans of `ServiceOpening` — then the hits are built with a fixed
number of queries. Query words are folded (no accents, lower case), stop words dropped, and
each must match as a prefix of its Italian stem ("accompagnamento" → `accompagn*`, which finds
"accompagnare"): words never reach the database as query syntax.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q

from prossimo.directory.indexing import query_terms
from prossimo.directory.models import (
    InformalResource,
    Language,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceMunicipality,
    ServiceNeed,
    ServiceOpening,
    ServiceSearch,
)
from prossimo.directory.opening import moment_filter
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


def _fts5_expression(terms: list[tuple[str, str]]) -> str:
    """Every word, as a prefix of its stem (of itself when the stem is very short). The
    terms are runs of letters and digits: quoting them is enough to keep FTS5 syntax out."""
    parts = []
    for word, stem in terms:
        key = stem if len(stem) >= 3 else word
        parts.append(f'"{key}"*')
    return " ".join(parts)


def _tsquery(terms: list[tuple[str, str]]) -> str:
    """The same for PostgreSQL's `to_tsquery`, which stems each word with the Italian
    configuration before the prefix match."""
    return " & ".join(f"'{word}':*" for word, _ in terms)


def _date_value(day: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def search_statement(
    query: ServiceQuery, *, limit: int, offset: int, vendor: str | None = None
) -> tuple[str, list[Any]]:
    """The statement picking the ids (and score) of one page of services, `%s` placeholders:
    what `search_services` runs, and the benchmark's floor runs through the driver."""
    vendor = vendor or connection.vendor
    service = Service._meta.db_table
    joins: list[str] = []
    where = ["s.status = %s"]
    params: list[Any] = []
    where_params: list[Any] = [Service.Status.ACTIVE.value]
    score = "0"
    order = "s.name, s.id"
    terms = query_terms(query.text)
    if terms and vendor == "sqlite":
        joins.append(
            "JOIN (SELECT d.service_id AS service_id,"  # noqa: S608
            " bm25(directory_servicesearch_fts, 10.0, 2.0, 1.0) AS rank"
            " FROM directory_servicesearch_fts"
            f" JOIN {ServiceSearch._meta.db_table} d"
            " ON d.id = directory_servicesearch_fts.rowid"
            " WHERE directory_servicesearch_fts MATCH %s) t ON t.service_id = s.id"
        )
        params.append(_fts5_expression(terms))
        score, order = "-t.rank", "t.rank, s.name, s.id"
    elif terms:
        joins.append(
            f"JOIN {ServiceSearch._meta.db_table} d ON d.service_id = s.id"
            " CROSS JOIN to_tsquery('prossimo_italian', %s) q"
        )
        params.append(_tsquery(terms))
        where.append("d.document @@ q")
        score, order = "ts_rank(d.document, q)", "ts_rank(d.document, q) DESC, s.name, s.id"
    # Without statistics, SQLite drives the search from the first subquery: the most
    # selective first.
    if query.municipality is not None:
        where.append(
            f"s.id IN (SELECT sm.service_id FROM {ServiceMunicipality._meta.db_table} sm"  # noqa: S608
            " WHERE sm.municipality_id = %s)"
        )
        where_params.append(query.municipality)
    if query.need is not None:
        where.append(
            f"s.id IN (SELECT sn.service_id FROM {ServiceNeed._meta.db_table} sn"  # noqa: S608
            f" JOIN {NeedCategory._meta.db_table} c ON c.id = sn.category_id"
            " WHERE c.id = %s OR c.parent_id = %s)"
        )
        where_params += [query.need, query.need]
    if query.language.strip():
        # A language tag is letters and hyphens; anything else finds nothing ("" matches no
        # tag: a tag left empty is not a language).
        code = re.sub(r"[^a-z-]", "", query.language.strip().lower())[:35]
        if code:
            where.append(
                f"s.id IN (SELECT l.service_id FROM {Language._meta.db_table} l"  # noqa: S608
                " WHERE lower(l.code) = %s OR lower(l.code) LIKE %s)"
            )
            where_params += [code, f"{code}-%"]
        else:
            where.append("1 = 0")
    if query.open_at is not None:
        condition, moment = moment_filter(query.open_at, date_value=_date_value)
        where.append(
            f"s.id IN (SELECT o.service_id FROM {ServiceOpening._meta.db_table} o"  # noqa: S608
            f" WHERE {condition})"
        )
        where_params += moment
    sql = (
        f"SELECT s.id, {score} FROM {service} s {' '.join(joins)}"  # noqa: S608
        f" WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s OFFSET %s"
    )
    return sql, [*params, *where_params, limit, offset]


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def search_services(query: ServiceQuery, *, limit: int = 20, offset: int = 0) -> SearchPage:
    """One page of active services matching `query`, best first (then by name). At most seven
    queries whatever the page size: the ids, the services, and those of `hits_for`."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    sql, params = search_statement(query, limit=limit + 1, offset=offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(_uuid(pk), float(score or 0)) for pk, score in cursor.fetchall()]
    has_more = len(rows) > limit
    rows = rows[:limit]
    found = Service.objects.select_related("organization").in_bulk([pk for pk, _ in rows])
    services = [found[pk] for pk, _ in rows if pk in found]
    hits = hits_for(services)
    scores = dict(rows)
    for hit in hits:
        hit.score = scores[hit.service.pk]
    return SearchPage(hits=hits, has_more=has_more, offset=offset, limit=limit)


def hits_for(services: list[Service]) -> list[ServiceHit]:
    """Build the hits of these services (in this order): at most five queries whatever their
    number (phones, schedules, places and their addresses, needs)."""
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
