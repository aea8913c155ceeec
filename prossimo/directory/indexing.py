"""What search reads, derived from the directory: municipalities served, search documents,
opening spans (decision 0012).

`refresh_services(ids)` rebuilds, for these services (all when `ids` is None):
- the municipalities they serve from their service areas and the addresses of their locations
  (rows of source `area`/`location` replaced, rows set by hand kept);
- their search document (`ServiceSearch`; the full-text index follows it);
- their opening spans (`ServiceOpening`) from the schedules of the service, of its services at
  locations or, when it has none of those, of its locations.

It runs inside the caller's transaction: after an HSDS import (`hsds.write`), when the needs or
the municipalities of a service are set, after an edit in the admin, and from
`prossimo hsds reindex`. A fixed number of queries per batch of services.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from django.db.models import Q
from snowballstemmer import stemmer

from prossimo.core.text import fold
from prossimo.directory import models as m
from prossimo.directory.opening import spans_of

BATCH = 2000

# The Italian stop words of PostgreSQL's `italian` configuration (Snowball's list), folded:
# left out of queries on both databases (SQLite indexes every word, PostgreSQL none of them).
_STOP_WORDS = """
    ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall dagl dalla
    dalle di del dello dei degli dell degl della delle in nel nello nei negli nell negl
    nella nelle su sul sullo sui sugli sull sugl sulla sulle per tra contro io tu lui lei
    noi voi loro mio mia miei mie tuo tua tuoi tue suo sua suoi sue nostro nostra nostri
    nostre vostro vostra vostri vostre mi ti ci vi lo la li le gli ne il un uno una ma ed se
    perche anche come dov dove che chi cui non piu quale quanto quanti quanta quante quello
    quelli quella quelle questo questi questa queste si tutto tutti a c e i l o ho hai ha
    abbiamo avete hanno abbia abbiate abbiano avro avrai avra avremo avrete avranno avrei
    avresti avrebbe avremmo avreste avrebbero avevo avevi aveva avevamo avevate avevano ebbi
    avesti ebbe avemmo aveste ebbero avessi avesse avessimo avessero avendo avuto avuta
    avuti avute sono sei siamo siete sia siate siano saro sarai sara saremo sarete saranno
    sarei saresti sarebbe saremmo sareste sarebbero ero eri era eravamo eravate erano fui
    fosti fu fummo foste furono fossi fosse fossimo fossero essendo faccio fai facciamo
    fanno faccia facciate facciano faro farai fara faremo farete faranno farei faresti
    farebbe faremmo fareste farebbero facevo facevi faceva facevamo facevate facevano feci
    facesti fece facemmo faceste fecero facessi facesse facessimo facessero facendo sto stai
    sta stiamo stanno stia stiate stiano staro starai stara staremo starete staranno starei
    staresti starebbe staremmo stareste starebbero stavo stavi stava stavamo stavate stavano
    stetti stesti stette stemmo steste stettero stessi stesse stessimo stessero stando
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[^\W_]+")


@cache
def _italian() -> Any:
    return stemmer("italian")


def words(text: str) -> list[str]:
    """The words of a text, folded (lower case, no accents): "Caffè, l'orto" → caffe l orto."""
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    """The Italian stem of a folded word ("accompagnamento" → "accompagn")."""
    return str(_italian().stemWord(word))


def query_terms(text: str, *, limit: int = 12) -> list[tuple[str, str]]:
    """(word, stem) of the words that search looks for: stop words left out, each once."""
    seen: dict[str, str] = {}
    for word in words(text):
        if word in STOP_WORDS or word in seen:
            continue
        seen[word] = stem(word)
        if len(seen) == limit:
            break
    return list(seen.items())


def stems_of(texts: Iterable[str]) -> str:
    found = {stem(w) for t in texts for w in words(t) if w not in STOP_WORDS}
    return " ".join(sorted(found))


# --- municipalities served ------------------------------------------------------------------


class Places:
    """Municipalities, provinces and ambiti by folded name and code, to read areas and cities."""

    _PREFIXES = ("comune di ", "citta di ", "comune ", "citta ")
    _PROVINCE = re.compile(r"^(?:provincia|prov\.?)\s+(?:di\s+|del\s+|della\s+|dell')?(.+)$")

    def __init__(self) -> None:
        from prossimo.territory.models import Ambito, Municipality

        self.by_name: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        self.by_istat: dict[str, int] = {}
        self.by_province: dict[str, list[int]] = defaultdict(list)
        rows = Municipality.objects.filter(is_active=True).values_list(
            "pk",
            "name_search",
            "istat_code",
            "province__abbreviation",
            "province__name",
            "province__istat_code",
        )
        for pk, name, istat, abbreviation, province, province_code in rows:
            self.by_name[name].append((pk, abbreviation.lower(), fold(province)))
            self.by_istat[istat] = pk
            for key in (fold(province), abbreviation.lower(), province_code):
                self.by_province[key].append(pk)
        self.by_ambito: dict[str, list[int]] = defaultdict(list)
        for name, pk in Ambito.objects.values_list("name", "municipalities__pk"):
            if pk is not None:
                self.by_ambito[fold(name)].append(pk)

    def city(self, city: str, province: str = "") -> list[int]:
        """A municipality by name, the province (abbreviation or name) telling apart
        homonyms; none when the name is unknown or ambiguous."""
        found = self.by_name.get(self._bare(fold(city)), [])
        if len(found) > 1 and province:
            key = fold(province)
            found = [f for f in found if key in (f[1], f[2])]
        return [found[0][0]] if len(found) == 1 else []

    def _bare(self, name: str) -> str:
        for prefix in self._PREFIXES:
            if name.startswith(prefix):
                return name[len(prefix) :].strip()
        return name

    def area(self, name: str, extent: str = "", uri: str = "") -> set[int]:
        """The municipalities an HSDS service area names: ISTAT municipality codes in its
        extent, URI or name; else its name, or each part of a list ("Lecco, Malgrate"), as an
        ambito, a province ("Provincia di Lecco", "LC") or a municipality ("Comune di
        Lecco", "Cernusco sul Naviglio (MI)")."""
        codes = re.findall(r"(?<!\d)\d{6}(?!\d)", " ".join((extent, uri, name)))
        found = {self.by_istat[c] for c in codes if c in self.by_istat}
        if found:
            return found
        for part in re.split(r"[,;/]|\s+-\s+|\s+e\s+(?=[A-Z])", name):
            found |= self._one(part)
        return found

    def _one(self, part: str) -> set[int]:
        key = fold(part).strip(" .")
        if not key:
            return set()
        if key in self.by_ambito:
            return set(self.by_ambito[key])
        province = self._PROVINCE.match(key)
        if province:
            return set(self.by_province.get(province.group(1).strip(), []))
        if len(key) == 2 and key in self.by_province:
            return set(self.by_province[key])
        hint = re.match(r"^(.+?)\s*\((\w{2})\)$", key)
        if hint:
            return set(self.city(hint.group(1), hint.group(2)))
        return set(self.city(key))


# --- the refresh ----------------------------------------------------------------------------


def _chunks(ids: Sequence[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(ids), BATCH):
        yield list(ids[start : start + BATCH])


def refresh_services(service_ids: Iterable[uuid.UUID] | None = None) -> int:
    """Rebuild what search reads for these services (every service when None); returns how
    many services were refreshed."""
    if service_ids is None:
        ids = list(m.Service.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(service_ids))
    if not ids:
        return 0
    places = Places()
    for chunk in _chunks(ids):
        _refresh(chunk, places)
    return len(ids)


def _refresh(ids: list[uuid.UUID], places: Places) -> None:
    services = {
        pk: (name, alternate, description, eligibility, organization, organization_alt)
        for pk, name, alternate, description, eligibility, organization, organization_alt in (
            m.Service.objects.filter(pk__in=ids).values_list(
                "pk",
                "name",
                "alternate_name",
                "description",
                "eligibility_description",
                "organization__name",
                "organization__alternate_name",
            )
        )
    }
    ids = [pk for pk in ids if pk in services]  # deleted meanwhile
    texts: dict[uuid.UUID, list[str]] = defaultdict(list)
    for service_id, name, name_en, parent, parent_en in m.ServiceNeed.objects.filter(
        service_id__in=ids
    ).values_list(
        "service_id",
        "category__name",
        "category__name_en",
        "category__parent__name",
        "category__parent__name_en",
    ):
        texts[service_id] += [name, name_en, parent or "", parent_en or ""]
    for link_id, term in m.Attribute.objects.filter(
        link_id__in=ids, link_entity="service"
    ).values_list("link_id", "taxonomy_term__name"):
        texts[link_id].append(term)

    served: dict[uuid.UUID, dict[int, str]] = defaultdict(dict)
    for service_id, name, extent, uri in m.ServiceArea.objects.filter(
        service_id__in=ids
    ).values_list("service_id", "name", "extent", "uri"):
        texts[service_id].append(name)
        for municipality in places.area(name, extent, uri):
            served[service_id].setdefault(municipality, m.ServiceMunicipality.Source.AREA)

    at_locations = list(
        m.ServiceAtLocation.objects.filter(service_id__in=ids).values_list(
            "pk", "service_id", "location_id", "location__name"
        )
    )
    services_at: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    sal_service: dict[uuid.UUID, uuid.UUID] = {}
    for sal, service_id, location_id, location_name in at_locations:
        services_at[location_id].add(service_id)
        sal_service[sal] = service_id
        texts[service_id].append(location_name)
    for location_id, city, province in m.Address.objects.filter(
        location_id__in=list(services_at)
    ).values_list("location_id", "city", "state_province"):
        for service_id in services_at[location_id]:
            texts[service_id].append(city)
            for municipality in places.city(city, province):
                served[service_id].setdefault(municipality, m.ServiceMunicipality.Source.LOCATION)

    # Opening spans: the service's own schedules and its services at locations'; the
    # locations' only for a service that has none of those.
    own: dict[uuid.UUID, list[Any]] = defaultdict(list)
    by_location: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for schedule in m.Schedule.objects.filter(
        Q(service_id__in=ids)
        | Q(service_at_location_id__in=list(sal_service))
        | Q(location_id__in=list(services_at))
    ).only(
        "service_id",
        "service_at_location_id",
        "location_id",
        "freq",
        "byday",
        "bymonthday",
        "interval",
        "dtstart",
        "until",
        "valid_from",
        "valid_to",
        "opens_at",
        "closes_at",
    ):
        owners = set()
        if schedule.service_id in services:
            owners.add(schedule.service_id)
        if schedule.service_at_location_id in sal_service:
            owners.add(sal_service[schedule.service_at_location_id])
        for service_id in owners:
            own[service_id].append(schedule)
        if not owners and schedule.location_id in services_at:
            by_location[schedule.location_id].append(schedule)
    openings = []
    location_schedules: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for location_id, schedules in by_location.items():
        for service_id in services_at[location_id]:
            location_schedules[service_id] += schedules
    for service_id in ids:
        schedules = own.get(service_id) or location_schedules.get(service_id, [])
        seen = set()
        for schedule in schedules:
            for span in spans_of(schedule):
                if span in seen:
                    continue
                seen.add(span)
                openings.append(
                    m.ServiceOpening(
                        service_id=service_id,
                        weekday=span.weekday,
                        nth=span.nth,
                        month_day=span.month_day,
                        every_weeks=span.every_weeks,
                        week_phase=span.week_phase,
                        starts_on=span.starts_on,
                        ends_on=span.ends_on,
                        opens=span.opens,
                        closes=span.closes,
                        after_midnight=span.after_midnight,
                    )
                )

    manual = set(
        m.ServiceMunicipality.objects.filter(
            service_id__in=ids, source=m.ServiceMunicipality.Source.MANUAL
        ).values_list("service_id", "municipality_id")
    )
    m.ServiceMunicipality.objects.filter(service_id__in=ids).exclude(
        source=m.ServiceMunicipality.Source.MANUAL
    ).delete()
    m.ServiceMunicipality.objects.bulk_create(
        [
            m.ServiceMunicipality(service_id=service_id, municipality_id=municipality, source=src)
            for service_id, found in served.items()
            for municipality, src in sorted(found.items())
            if (service_id, municipality) not in manual
        ],
        batch_size=5000,
    )

    documents = []
    for service_id in ids:
        name, alternate, description, eligibility, organization, organization_alt = services[
            service_id
        ]
        names = " ".join(t for t in (name, alternate) if t)
        body = "\n".join(
            t
            for t in dict.fromkeys(
                [description, eligibility, organization, organization_alt, *texts[service_id]]
            )
            if t
        )
        documents.append(
            m.ServiceSearch(
                service_id=service_id, name=names, body=body, stems=stems_of((names, body))
            )
        )
    m.ServiceSearch.objects.filter(service_id__in=ids).delete()
    m.ServiceSearch.objects.bulk_create(documents, batch_size=2000)
    m.ServiceOpening.objects.filter(service_id__in=ids).delete()
    m.ServiceOpening.objects.bulk_create(openings, batch_size=5000)


# --- which services a change touches --------------------------------------------------------


def services_touched(table: str, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The services whose search data may change when these records of an HSDS table
    (its name in the standard: "service", "schedule", "address"…) changed. Reads the
    records as stored now."""
    ids = list(ids)
    if not ids:
        return set()
    found: set[uuid.UUID] = set()
    locations: set[uuid.UUID] = set()
    organizations: set[uuid.UUID] = set()
    if table == "service":
        return set(ids)
    if table == "organization":
        organizations |= set(ids)
    elif table == "location":
        locations |= set(ids)
    elif table == "service_at_location":
        found |= set(
            m.ServiceAtLocation.objects.filter(pk__in=ids).values_list("service_id", flat=True)
        )
    elif table in ("schedule", "service_area", "language"):
        model = {"schedule": m.Schedule, "service_area": m.ServiceArea, "language": m.Language}
        fields = ["service_id"]
        if table == "schedule":
            fields += ["location_id", "service_at_location__service_id"]
        for row in model[table].objects.filter(pk__in=ids).values_list(*fields):
            found.add(row[0])
            if table == "schedule":
                locations.add(row[1])
                found.add(row[2])
    elif table == "address":
        locations |= set(m.Address.objects.filter(pk__in=ids).values_list("location_id", flat=True))
    elif table == "attribute":
        found |= set(
            m.Attribute.objects.filter(pk__in=ids, link_entity="service").values_list(
                "link_id", flat=True
            )
        )
    elif table == "taxonomy_term":
        found |= set(
            m.Attribute.objects.filter(taxonomy_term_id__in=ids, link_entity="service")
            .values_list("link_id", flat=True)
            .distinct()
        )
    locations.discard(None)
    if locations:
        found |= set(
            m.ServiceAtLocation.objects.filter(location_id__in=list(locations)).values_list(
                "service_id", flat=True
            )
        )
    if organizations:
        found |= set(
            m.Service.objects.filter(organization_id__in=list(organizations)).values_list(
                "pk", flat=True
            )
        )
    found.discard(None)
    return found
