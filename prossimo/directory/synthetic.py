"""A synthetic resource directory: realistic Italian services (none real), for the demo and
the benchmark.

`build_synthetic_directory` writes organizations (associations, cooperatives, ASST/ATS,
municipalities, pharmacies, parishes), their services (transport to medical visits, meals at
home, the digital help desk for booking visits, psychological support, the guardia medica open
at night and on weekends and holidays, the pharmacy on duty, social activities, help with
paperwork…), with phones, weekly, overnight, monthly and seasonal schedules, a location with
an address and coordinates in the Lecco/Monza area, service areas naming municipalities,
languages and the needs they meet; in bulk, then one rebuild of the search data.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from prossimo.directory import models as m
from prossimo.directory.indexing import refresh_services
from prossimo.listening.models import NeedCategory
from prossimo.territory.models import Municipality, Province

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")
BATCH = 5000


@dataclass(frozen=True)
class Kind:
    """A kind of service: names, what it says, who runs it, needs met, opening hours."""

    names: tuple[str, ...]
    description: str
    organization: str  # key of ORGANIZATIONS
    needs: tuple[str, ...]
    # (days, opens, closes); days as HSDS byday; None times: all day.
    hours: tuple[tuple[str, str | None, str | None], ...]
    eligibility: str = ""
    weight: int = 10
    languages: tuple[str, ...] = ()


KINDS = (
    Kind(
        ("Trasporto e accompagnamento a visite mediche", "Trasporto sociale", "Accompagnamento"),
        "Volontari con auto attrezzata accompagnano anziani e persone fragili a visite mediche,"
        " esami, terapie e dialisi presso ospedali e ambulatori; prenotazione almeno due giorni"
        " prima.",
        "association",
        ("practical-transport",),
        (("MO,TU,WE,TH,FR", "08:00", "12:30"), ("MO,TU,WE,TH,FR", "14:00", "18:00")),
        "Persone over 65 o con invalidità senza familiari disponibili.",
        weight=16,
    ),
    Kind(
        ("Consegna pasti a domicilio", "Pasti caldi a casa"),
        "Consegna a domicilio del pranzo, anche per diete speciali, a chi non può cucinare.",
        "municipality",
        ("practical-needs", "practical-shopping"),
        (("MO,TU,WE,TH,FR,SA", "11:00", "13:30"),),
        "Residenti anziani o non autosufficienti, con valutazione dei servizi sociali.",
        weight=12,
    ),
    Kind(
        ("Sportello digitale", "Aiuto prenotazione visite (CUP)", "Facilitatore digitale"),
        "Aiuto a prenotare visite ed esami al CUP, a usare il Fascicolo sanitario elettronico,"
        " a ottenere lo SPID e a fare videochiamate con i familiari.",
        "municipality",
        ("digital-booking", "digital-fse", "digital-spid", "digital-video-calls"),
        (("TU,TH", "09:00", "12:00"), ("WE", "15:00", "18:00")),
        weight=12,
        languages=("en", "ar", "uk"),
    ),
    Kind(
        ("Supporto psicologico", "Sportello di ascolto psicologico"),
        "Colloqui gratuiti con psicologi per chi vive un momento di solitudine, lutto, ansia o"
        " stanchezza nell'assistere un familiare.",
        "asst",
        ("psychological-distress", "loneliness", "caregiver-support"),
        (("MO,WE,FR", "09:00", "17:00"),),
        weight=8,
        languages=("en", "fr", "es"),
    ),
    Kind(
        ("Guardia medica (continuità assistenziale)", "Continuità assistenziale"),
        "Medici per le urgenze non gravi quando il medico di famiglia non c'è: notti, fine"
        " settimana e festivi. Chiamare il 116117.",
        "ats",
        ("health-information",),
        (("MO,TU,WE,TH,FR", "20:00", "08:00"), ("SA", "08:00", "08:00"), ("SU", "08:00", "08:00")),
        weight=4,
        languages=("en",),
    ),
    Kind(
        ("Farmacia di turno", "Farmacia"),
        "Farmaci, consegna a domicilio per chi non può uscire, misurazione della pressione;"
        " di turno la notte secondo il calendario.",
        "pharmacy",
        ("practical-medicines", "health-information"),
        (("MO,TU,WE,TH,FR,SA", "08:30", "12:30"), ("MO,TU,WE,TH,FR", "15:00", "19:30")),
        weight=10,
    ),
    Kind(
        ("Attività di socializzazione", "Centro anziani", "Caffè Alzheimer", "Gruppo di cammino"),
        "Incontri, tombolate, gite, laboratori e merende per chi vive solo e vuole compagnia.",
        "parish",
        ("loneliness",),
        (("TU,TH", "14:30", "18:00"),),
        weight=12,
    ),
    Kind(
        ("Disbrigo pratiche", "Aiuto pratiche e commissioni", "Patronato"),
        "Aiuto con bollette, ISEE, domande di invalidità, pensioni e commissioni in posta.",
        "cooperative",
        ("practical-paperwork", "economic-hardship"),
        (("WE", "09:00", "12:00"), ("FR", "09:00", "12:00")),
        weight=10,
        languages=("ro", "ar"),
    ),
    Kind(
        ("Spesa a domicilio", "Spesa sospesa"),
        "Volontari fanno la spesa e la portano a casa a chi non può uscire.",
        "association",
        ("practical-shopping",),
        (("MO,TH", "09:00", "12:00"),),
        weight=8,
    ),
    Kind(
        ("Telefonata amica", "Telefonia sociale"),
        "Una telefonata ogni settimana per fare due chiacchiere e sapere come va.",
        "association",
        ("loneliness",),
        (("MO,TU,WE,TH,FR", "10:00", "12:00"),),
        weight=8,
        languages=("en", "es", "zh"),
    ),
)

ORGANIZATIONS = {
    "association": ("Associazione {} Volontari {}", ("Auser", "Anteas", "Amici", "Il Ponte")),
    "cooperative": (
        "Cooperativa sociale {} di {}",
        ("La Vela", "Il Sole", "Insieme", "Arcobaleno"),
    ),
    "municipality": ("Comune di {1}", ("",)),
    "asst": ("ASST {1}", ("",)),
    "ats": ("ATS Brianza – {1}", ("",)),
    "pharmacy": ("Farmacia {} di {}", ("Centrale", "San Giorgio", "Comunale", "Alla Stazione")),
    "parish": (
        "Parrocchia {} di {}",
        ("San Martino", "Sant'Ambrogio", "San Giovanni", "Santa Maria"),
    ),
}
STREETS = (
    "Via Roma", "Via Garibaldi", "Via Mazzini", "Piazza Cavour", "Via Manzoni", "Via Dante",
    "Corso Matteotti", "Via XXV Aprile", "Via Volta", "Piazza della Chiesa", "Via Verdi",
)  # fmt: skip
PREFIXES = {"LC": "0341", "MB": "039", "MI": "02", "CO": "031", "BG": "035"}
POSTAL = {"LC": "239", "MB": "208", "MI": "201", "CO": "221", "BG": "241"}
LANGUAGES = {
    "it": "Italiano", "en": "English", "fr": "Français", "es": "Español", "ar": "العربية",
    "uk": "Українська", "ro": "Română", "zh": "中文",
}  # fmt: skip


def _minute(text: str | None) -> dt.time | None:
    return None if text is None else dt.time.fromisoformat(text)


def _schedule_rows(kind: Kind, wanted: int, rng: random.Random) -> list[dict[str, Any]]:
    """The kind's hours as schedules, one per (days, times), split into one per day until
    about `wanted` rows; some parish activities pause in summer, pharmacies add a night on duty."""
    rows: list[dict[str, Any]] = [
        {"byday": d, "opens_at": _minute(o), "closes_at": _minute(c)} for d, o, c in kind.hours
    ]
    while len(rows) < wanted:
        widest = max(
            rows, key=lambda r: len(r["byday"].split(",")) if r.get("freq") != "MONTHLY" else 0
        )
        days = widest["byday"].split(",")
        if len(days) < 2 or widest.get("freq") == "MONTHLY":
            break
        widest["byday"] = ",".join(days[:-1])
        rows.append({**widest, "byday": days[-1]})
    for row in rows:
        row.setdefault("freq", "WEEKLY")
    # Still short: summer hours (July and August, earlier), as many services publish.
    for row in list(rows)[: max(0, wanted - len(rows))]:
        opens = row["opens_at"]
        summer = dt.time(max(0, opens.hour - 1), opens.minute) if opens else None
        rows.append(
            {
                **row,
                "opens_at": summer,
                "valid_from": dt.date(2026, 7, 1),
                "valid_to": dt.date(2026, 8, 31),
            }
        )
    if kind.organization == "pharmacy":
        nth = rng.randint(1, 4)
        rows.append(
            {
                "freq": "MONTHLY",
                "byday": f"{nth}{rng.choice(WEEKDAYS)}",
                "opens_at": dt.time(19, 30),
                "closes_at": dt.time(8, 30),
            }
        )
    elif kind.organization == "parish" and rng.random() < 0.3:
        for row in rows:
            row["valid_from"], row["valid_to"] = dt.date(2026, 9, 1), dt.date(2027, 7, 31)
    return rows


def build_synthetic_directory(
    *,
    services: int,
    schedules_per_service: float,
    municipalities: Sequence[Municipality],
    categories: Sequence[NeedCategory],
    seed: int,
) -> dict[str, Any]:
    """Write `services` synthetic services with about `schedules_per_service` schedules each
    in `municipalities`, meeting needs among `categories`; returns the counts written."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    places = list(municipalities)
    if not places:
        raise ValueError("A synthetic directory needs municipalities.")
    provinces = dict(
        Province.objects.filter(pk__in={p.province_id for p in places}).values_list(
            "pk", "abbreviation"
        )
    )
    by_code = {c.code: c for c in categories}
    weights = [k.weight for k in KINDS]
    # A few big municipalities hold most services, as in reality.
    place_weights = [1 / (i + 1) ** 0.6 for i in range(len(places))]

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    organizations: dict[tuple[str, int, int], m.Organization] = {}
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "services", "locations", "addresses", "at_locations", "phones", "schedules", "areas",
            "languages", "needs",
        )
    }  # fmt: skip
    target = round(services * schedules_per_service)
    for i in range(services):
        kind = rng.choices(KINDS, weights=weights)[0]
        place = rng.choices(places, weights=place_weights)[0]
        province = provinces[place.province_id]
        pattern, variants = ORGANIZATIONS[kind.organization]
        variant = rng.randrange(len(variants))
        key = (kind.organization, place.pk, variant)
        org = organizations.get(key)
        if org is None:
            org_name = pattern.format(variants[variant], place.name)
            org = organizations[key] = m.Organization(
                id=new_id(),
                name=org_name,
                description=f"{org_name}: servizi per la comunità.",
                email=f"info{len(organizations)}@esempio.invalid",
            )
        name = rng.choice(kind.names)
        service = m.Service(
            id=new_id(),
            organization=org,
            name=f"{name} – {place.name}",
            description=kind.description,
            eligibility_description=kind.eligibility,
            status=m.Service.Status.ACTIVE if rng.random() < 0.95 else m.Service.Status.INACTIVE,
            fees_description="Gratuito" if rng.random() < 0.7 else "Contributo secondo l'ISEE",
        )
        rows["services"].append(service)
        location = m.Location(
            id=new_id(),
            location_type=m.Location.Type.PHYSICAL,
            organization=org,
            name=f"Sede {org.name}",
            latitude=round(rng.uniform(45.5, 45.95), 6),
            longitude=round(rng.uniform(9.1, 9.5), 6),
        )
        rows["locations"].append(location)
        rows["addresses"].append(
            m.Address(
                id=new_id(),
                location=location,
                address_1=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                city=place.name,
                state_province=province,
                postal_code=f"{POSTAL.get(province, '200')}{rng.randint(0, 99):02d}",
                country="IT",
                address_type=m.Address.Type.PHYSICAL,
            )
        )
        at_location = m.ServiceAtLocation(id=new_id(), service=service, location=location)
        rows["at_locations"].append(at_location)
        prefix = PREFIXES.get(province, "02")
        rows["phones"].append(
            m.Phone(id=new_id(), service=service, number=f"{prefix} {rng.randint(100000, 999999)}")
        )
        if rng.random() < 0.3:
            rows["phones"].append(
                m.Phone(
                    id=new_id(),
                    service=service,
                    number=f"3{rng.randint(20, 93)} {rng.randint(1000000, 9999999)}",
                    type="cell",
                )
            )
        left = services - i
        wanted = max(1, round((target - len(rows["schedules"])) / left))
        for values in _schedule_rows(kind, wanted, rng):
            owner = (
                {"service_at_location": at_location} if rng.random() < 0.1 else {"service": service}
            )
            rows["schedules"].append(m.Schedule(id=new_id(), **owner, **values))
        roll = rng.random()
        if kind.organization in ("ats", "asst") and roll < 0.5:
            area = f"Provincia di {province}"
        elif roll < 0.55:
            area = place.name
        elif roll < 0.7:
            area = f"Comune di {place.name}"
        elif roll < 0.9:
            others = rng.sample(places, k=min(3, len(places)))
            area = ", ".join(dict.fromkeys([place.name, *(p.name for p in others)]))
        else:
            area = ""
        if area:
            rows["areas"].append(m.ServiceArea(id=new_id(), service=service, name=area))
        else:
            rows["areas"].append(
                m.ServiceArea(id=new_id(), service=service, name="Zona", extent=place.istat_code)
            )
        codes = ["it"] + [c for c in kind.languages if rng.random() < 0.35]
        if rng.random() < 0.15:
            codes.append("en")
        for code in dict.fromkeys(codes):
            rows["languages"].append(
                m.Language(id=new_id(), service=service, code=code, name=LANGUAGES[code])
            )
        needs = [by_code[c] for c in kind.needs if c in by_code] or (
            [rng.choice(list(categories))] if categories else []
        )
        for category in needs:
            rows["needs"].append(m.ServiceNeed(service=service, category=category))

    with transaction.atomic():
        m.Organization.objects.bulk_create(organizations.values(), batch_size=BATCH)
        for table, model in (
            ("services", m.Service),
            ("locations", m.Location),
            ("addresses", m.Address),
            ("at_locations", m.ServiceAtLocation),
            ("phones", m.Phone),
            ("schedules", m.Schedule),
            ("areas", m.ServiceArea),
            ("languages", m.Language),
            ("needs", m.ServiceNeed),
        ):
            model.objects.bulk_create(rows[table], batch_size=BATCH)
        refresh_services([s.id for s in rows["services"]])
    return {
        "organizations": len(organizations),
        **{key: len(values) for key, values in rows.items()},
    }
