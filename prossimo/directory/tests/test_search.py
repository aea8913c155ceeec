"""`search_services`: text (accents, Italian stems), need, municipality, opening time,
language, paging and query counts; the search data kept current by imports, services and the
admin. The same tests run on SQLite (FTS5) and PostgreSQL (full text)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prossimo.directory.indexing import refresh_services
from prossimo.directory.models import (
    Address,
    Language,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceMunicipality,
    ServiceNeed,
)
from prossimo.directory.search import ServiceQuery, hits_for, search_services
from prossimo.directory.services import (
    import_hsds,
    set_service_municipalities,
    set_service_needs,
)
from prossimo.listening.models import NeedCategory
from prossimo.territory.models import Municipality

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ROME)


@pytest.fixture
def org(db) -> Organization:
    return Organization.objects.create(
        name="Associazione Auser Lecco", description="Volontariato per gli anziani"
    )


@pytest.fixture
def make(org):
    def make(name: str, description: str = "", *, status: str = "active", **fields) -> Service:
        return Service.objects.create(
            organization=org, name=name, description=description, status=status, **fields
        )

    return make


def schedule(service: Service, **fields) -> Schedule:
    return Schedule.objects.create(service=service, **fields)


def names(query: ServiceQuery, **kwargs) -> list[str]:
    return [hit.service.name for hit in search_services(query, **kwargs).hits]


# --- text -----------------------------------------------------------------------------------


def test_accompagnamento_finds_a_service_described_with_accompagnare(make):
    make("Trasporto sociale", "Volontari per accompagnare gli anziani alle visite mediche")
    make("Consegna pasti", "Pasti caldi a domicilio")
    refresh_services()

    assert names(ServiceQuery(text="accompagnamento")) == ["Trasporto sociale"]
    assert names(ServiceQuery(text="Accompagnamento visite")) == ["Trasporto sociale"]


@pytest.mark.parametrize("typed", ["caffè", "caffe", "CAFFÈ", "caffé"])
def test_accents_and_case_do_not_matter(make, typed):
    make("Caffè Alzheimer", "Incontri per famiglie")
    make("Un caffe insieme", "Socialità per chi vive solo")
    make("Sportello digitale", "Aiuto con lo SPID")
    refresh_services()

    assert sorted(names(ServiceQuery(text=typed))) == ["Caffè Alzheimer", "Un caffe insieme"]


def test_a_word_whose_stem_is_not_its_prefix_is_found(make):
    make("Sportello", "Assistenza domiciliare integrata")
    refresh_services()

    assert names(ServiceQuery(text="assistenze")) == ["Sportello"]
    assert names(ServiceQuery(text="assistenza")) == ["Sportello"]


def test_every_word_must_match_and_stop_words_are_ignored(make):
    make("Consegna pasti a domicilio", "Pranzo caldo")
    make("Consegna farmaci", "Dalla farmacia a casa")
    refresh_services()

    assert names(ServiceQuery(text="consegna dei pasti")) == ["Consegna pasti a domicilio"]
    assert names(ServiceQuery(text="consegna")) == [
        "Consegna farmaci",
        "Consegna pasti a domicilio",
    ]


def test_a_match_in_the_name_ranks_before_one_in_the_description(make):
    make("Aiuto compiti", "Doposcuola; anche spesa per le famiglie")
    make("Spesa a domicilio", "Volontari portano la spesa")
    refresh_services()

    assert names(ServiceQuery(text="spesa")) == ["Spesa a domicilio", "Aiuto compiti"]


def test_the_organization_and_the_needs_met_are_searched(make, administrator):
    service = make("Telefonata amica")
    set_service_needs(
        administrator, service=service, categories=[NeedCategory.objects.get(code="loneliness")]
    )

    assert names(ServiceQuery(text="auser")) == ["Telefonata amica"]
    assert names(ServiceQuery(text="solitudine")) == ["Telefonata amica"]
    assert names(ServiceQuery(text="loneliness")) == ["Telefonata amica"]


def test_empty_text_lists_active_services_by_name(make):
    make("Zeta")
    make("Alfa")
    make("Chiuso", status="inactive")
    refresh_services()

    assert names(ServiceQuery()) == ["Alfa", "Zeta"]
    assert names(ServiceQuery(text="  di la  ")) == ["Alfa", "Zeta"]
    assert names(ServiceQuery(text="chiuso")) == []


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=80), language=st.text(max_size=8))
def test_any_text_returns_a_page_never_an_error(make, text, language):
    page = search_services(ServiceQuery(text=text, language=language))

    assert page.hits == [] or page.hits
    assert not page.has_more or page.hits


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "'",
        "*",
        "accomp*",
        "NEAR(a b)",
        "a OR b",
        "-x",
        "col:umn",
        "(",
        "a & b | !c",
        "\\",
        "\x00",
    ],
)
def test_query_syntax_is_never_passed_through(make, text):
    make("Trasporto", "accompagnare")
    refresh_services()

    assert isinstance(search_services(ServiceQuery(text=text)).hits, list)


# --- need, municipality, language -----------------------------------------------------------


@pytest.fixture
def categories(db) -> dict[str, NeedCategory]:
    return {c.code: c for c in NeedCategory.objects.all()}


def test_a_need_finds_services_of_it_and_of_its_sub_categories(make, categories):
    transport = make("Trasporto")
    shopping = make("Spesa")
    make("Psicologo")
    ServiceNeed.objects.create(service=transport, category=categories["practical-transport"])
    ServiceNeed.objects.create(service=shopping, category=categories["practical-needs"])

    parent = ServiceQuery(need=categories["practical-needs"].pk)
    child = ServiceQuery(need=categories["practical-transport"].pk)
    assert names(parent) == ["Spesa", "Trasporto"]
    assert names(child) == ["Trasporto"]


def _at_location(service: Service, city: str, province: str = "") -> Location:
    location = Location.objects.create(location_type="physical", name=f"Sede di {city}")
    Address.objects.create(
        location=location,
        address_1="Via Roma 1",
        city=city,
        state_province=province,
        postal_code="23900",
        country="IT",
        address_type="physical",
    )
    ServiceAtLocation.objects.create(service=service, location=location)
    return location


def test_the_municipalities_served_come_from_areas_and_addresses(make, lecco, monza):
    by_area = make("Per area")
    ServiceArea.objects.create(service=by_area, name="Comune di Lecco")
    by_address = make("Per indirizzo")
    _at_location(by_address, "LECCO", "LC")
    by_code = make("Per codice")
    ServiceArea.objects.create(service=by_code, name="Zona nord", extent=lecco.istat_code)
    elsewhere = make("Altrove")
    ServiceArea.objects.create(service=elsewhere, name="Monza")
    refresh_services()

    assert names(ServiceQuery(municipality=lecco.pk)) == ["Per area", "Per codice", "Per indirizzo"]
    sources = dict(
        ServiceMunicipality.objects.filter(municipality=lecco).values_list(
            "service__name", "source"
        )
    )
    assert sources == {"Per area": "area", "Per indirizzo": "location", "Per codice": "area"}


def test_a_province_or_a_list_of_names_serves_each_municipality(make, lecco, monza):
    province = make("Provinciale")
    ServiceArea.objects.create(service=province, name="Provincia di Lecco")
    listed = make("Elenco")
    ServiceArea.objects.create(service=listed, name="Monza, Lecco")
    refresh_services()

    malgrate = Municipality.objects.get(name="Malgrate")
    assert names(ServiceQuery(municipality=malgrate.pk)) == ["Provinciale"]
    assert names(ServiceQuery(municipality=monza.pk)) == ["Elenco"]
    assert names(ServiceQuery(municipality=lecco.pk)) == ["Elenco", "Provinciale"]


def test_municipalities_set_by_hand_survive_a_recomputation(make, administrator, lecco, monza):
    service = make("Sportello")
    ServiceArea.objects.create(service=service, name="Lecco")
    refresh_services()

    set_service_municipalities(administrator, service=service, municipalities=[monza])
    ServiceArea.objects.filter(service=service).delete()
    refresh_services([service.pk])

    assert names(ServiceQuery(municipality=monza.pk)) == ["Sportello"]
    assert names(ServiceQuery(municipality=lecco.pk)) == []
    entry = LogEntry.objects.filter(object_pk=str(service.pk)).latest("timestamp")
    assert entry.additional_data["municipalities"] == [monza.istat_code]


def test_only_directory_editors_set_municipalities(make, volunteer, administrator, lecco):
    service = make("Sportello")
    with pytest.raises(PermissionDenied):
        set_service_municipalities(volunteer, service=service, municipalities=[lecco])
    lecco.is_active = False
    with pytest.raises(ValidationError):
        set_service_municipalities(administrator, service=service, municipalities=[lecco])


def test_language_is_matched_without_regard_to_case(make):
    english = make("English desk")
    Language.objects.create(service=english, name="English", code="EN")
    arabic = make("Mediazione")
    Language.objects.create(service=arabic, name="Arabic", code="ar")
    refresh_services()

    assert names(ServiceQuery(language="en")) == ["English desk"]
    assert names(ServiceQuery(language="AR")) == ["Mediazione"]
    assert names(ServiceQuery(language="%")) == []


# --- opening time ---------------------------------------------------------------------------


def test_open_at_follows_weekly_hours(make):
    office = make("Sportello")
    schedule(office, freq="WEEKLY", byday="MO,WE", opens_at=dt.time(9), closes_at=dt.time(12))
    make("Senza orari")  # no schedule: never "open now"
    refresh_services()

    assert names(ServiceQuery(open_at=at(2026, 6, 3, 10, 30))) == ["Sportello"]  # Wednesday
    assert names(ServiceQuery(open_at=at(2026, 6, 3, 12, 0))) == []  # closes at 12
    assert names(ServiceQuery(open_at=at(2026, 6, 4, 10, 30))) == []  # Thursday
    utc = dt.datetime(2026, 6, 3, 7, 30, tzinfo=dt.UTC)  # 09:30 in Rome (summer time)
    assert names(ServiceQuery(open_at=utc)) == ["Sportello"]


def test_an_overnight_schedule_is_open_after_midnight_of_the_next_day(make):
    night = make("Guardia medica")
    schedule(night, freq="WEEKLY", byday="TU", opens_at=dt.time(20), closes_at=dt.time(8))
    refresh_services()

    assert names(ServiceQuery(open_at=at(2026, 6, 9, 23, 0))) == ["Guardia medica"]  # Tuesday
    assert names(ServiceQuery(open_at=at(2026, 6, 10, 3, 0))) == ["Guardia medica"]  # Wednesday
    assert names(ServiceQuery(open_at=at(2026, 6, 10, 9, 0))) == []
    assert names(ServiceQuery(open_at=at(2026, 6, 9, 3, 0))) == []  # Monday night: no
    # 2 June (Festa della Repubblica) is a Tuesday in 2026: a holiday, so a Sunday.
    assert names(ServiceQuery(open_at=at(2026, 6, 2, 23, 0))) == []


def test_a_national_holiday_counts_as_a_sunday(make):
    weekdays = make("Feriale")
    schedule(weekdays, freq="WEEKLY", byday="MO,TU,WE,TH,FR,SA", opens_at=dt.time(8))
    sundays = make("Festivo")
    schedule(sundays, freq="WEEKLY", byday="SU", opens_at=dt.time(8), closes_at=dt.time(20))
    refresh_services()

    christmas = at(2025, 12, 25, 10, 0)  # a Thursday
    liberation = at(2026, 4, 25, 10, 0)  # a Saturday
    assert names(ServiceQuery(open_at=christmas)) == ["Festivo"]
    assert names(ServiceQuery(open_at=liberation)) == ["Festivo"]
    assert names(ServiceQuery(open_at=at(2025, 12, 23, 10, 0))) == ["Feriale"]


def test_validity_dates_are_honoured(make):
    summer = make("Centro estivo")
    schedule(
        summer,
        freq="WEEKLY",
        byday="MO,TU,WE,TH,FR",
        opens_at=dt.time(8),
        closes_at=dt.time(16),
        valid_from=dt.date(2026, 6, 15),
        valid_to=dt.date(2026, 8, 31),
    )
    refresh_services()

    assert names(ServiceQuery(open_at=at(2026, 6, 12, 10))) == []
    assert names(ServiceQuery(open_at=at(2026, 7, 1, 10))) == ["Centro estivo"]
    assert names(ServiceQuery(open_at=at(2026, 9, 1, 10))) == []


def test_monthly_rules_all_day_schedules_and_location_hours(make):
    monthly = make("Mercato solidale")
    schedule(monthly, freq="MONTHLY", byday="1MO", opens_at=dt.time(9), closes_at=dt.time(12))
    all_day = make("Numero verde")
    schedule(all_day, freq="WEEKLY", byday="MO,TU,WE,TH,FR,SA,SU")
    at_place = make("Biblioteca")
    location = _at_location(at_place, "Lecco")
    Schedule.objects.create(
        location=location, freq="WEEKLY", byday="MO", opens_at=dt.time(14), closes_at=dt.time(18)
    )
    refresh_services()

    first_monday = at(2026, 6, 1, 10)
    assert names(ServiceQuery(open_at=first_monday)) == ["Mercato solidale", "Numero verde"]
    assert names(ServiceQuery(open_at=at(2026, 6, 8, 10))) == ["Numero verde"]
    assert names(ServiceQuery(open_at=at(2026, 6, 8, 15))) == ["Biblioteca", "Numero verde"]


# --- together, paging, queries --------------------------------------------------------------


def test_filters_combine(make, categories, lecco):
    wanted = make("Trasporto Lecco", "accompagnare alle visite")
    others = [make("Trasporto Lecco sera", "accompagnare"), make("Trasporto Monza", "accompagnare")]
    for service in [wanted, *others]:
        ServiceNeed.objects.create(service=service, category=categories["practical-transport"])
        Language.objects.create(service=service, code="en")
    for service in (wanted, others[0]):
        ServiceArea.objects.create(service=service, name="Lecco")
    ServiceArea.objects.create(service=others[1], name="Monza")
    schedule(wanted, freq="WEEKLY", byday="MO", opens_at=dt.time(9), closes_at=dt.time(12))
    schedule(others[0], freq="WEEKLY", byday="MO", opens_at=dt.time(18), closes_at=dt.time(22))
    refresh_services()

    query = ServiceQuery(
        text="accompagnamento",
        need=categories["practical-needs"].pk,
        municipality=lecco.pk,
        open_at=at(2026, 6, 8, 10),
        language="EN",
    )
    page = search_services(query)
    assert [hit.service.name for hit in page.hits] == ["Trasporto Lecco"]
    assert page.hits[0].score > 0
    assert page.hits[0].needs == [categories["practical-transport"]]


def test_pages_say_whether_more_follow(make):
    for i in range(5):
        make(f"Servizio {i}")
    refresh_services()

    first = search_services(ServiceQuery(), limit=2)
    last = search_services(ServiceQuery(), limit=2, offset=4)
    assert [h.service.name for h in first.hits] == ["Servizio 0", "Servizio 1"]
    assert first.has_more
    assert [h.service.name for h in last.hits] == ["Servizio 4"]
    assert not last.has_more


def test_a_search_makes_a_fixed_number_of_queries(
    make, categories, lecco, django_assert_max_num_queries
):
    for i in range(30):
        service = make(f"Trasporto {i}", "accompagnare")
        ServiceNeed.objects.create(service=service, category=categories["practical-transport"])
        ServiceArea.objects.create(service=service, name="Lecco")
        Language.objects.create(service=service, code="it")
        schedule(service, freq="WEEKLY", byday="MO", opens_at=dt.time(9), closes_at=dt.time(12))
        _at_location(service, "Lecco")
    refresh_services()
    query = ServiceQuery(
        text="trasporto accompagnamento",
        need=categories["practical-needs"].pk,
        municipality=lecco.pk,
        open_at=at(2026, 6, 8, 10),
        language="it",
    )

    with django_assert_max_num_queries(7):
        page = search_services(query, limit=25)
    assert len(page.hits) == 25
    with django_assert_max_num_queries(5):
        hits_for([hit.service for hit in page.hits])


# --- the search data stay current -----------------------------------------------------------


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_import_updates_the_search_data(tmp_path, lecco):
    service_id = str(uuid.uuid4())
    record = {
        "id": service_id,
        "name": "Consegna pasti",
        "status": "active",
        "organization": {"id": str(uuid.uuid4()), "name": "Comune", "description": "Comune"},
        "service_areas": [{"id": str(uuid.uuid4()), "name": "Lecco"}],
        "schedules": [
            {"id": str(uuid.uuid4()), "freq": "WEEKLY", "byday": "MO", "opens_at": "11:00"}
        ],
    }
    assert import_hsds(_write(tmp_path / "services.json", [record])).ok
    assert names(ServiceQuery(text="pasti", municipality=lecco.pk)) == ["Consegna pasti"]
    assert names(ServiceQuery(open_at=at(2026, 6, 8, 12))) == ["Consegna pasti"]

    record["description"] = "Accompagnare a fare la spesa"
    record["service_areas"] = []
    assert import_hsds(_write(tmp_path / "services.json", [record])).ok
    assert names(ServiceQuery(text="accompagnamento")) == ["Consegna pasti"]


def test_set_service_needs_updates_the_search_data(make, administrator, categories):
    service = make("Sportello")
    refresh_services()
    assert names(ServiceQuery(text="spid")) == []

    set_service_needs(administrator, service=service, categories=[categories["digital-spid"]])

    assert names(ServiceQuery(text="spid")) == ["Sportello"]


def test_an_edit_in_the_admin_updates_the_search_data(client, make, lecco):
    from prossimo.territory.tests.factories import UserFactory

    service = make("Sportello")
    refresh_services()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    location = Location.objects.create(location_type="physical", name="Sede")
    ServiceAtLocation.objects.create(service=service, location=location)

    response = client.post(
        reverse("admin:directory_address_add"),
        {
            "location": str(location.pk),
            "address_1": "Piazza Garibaldi 4",
            "city": "Lecco",
            "state_province": "LC",
            "postal_code": "23900",
            "country": "IT",
            "address_type": "physical",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert names(ServiceQuery(municipality=lecco.pk)) == ["Sportello"]

    change = reverse("admin:directory_service_change", args=[service.pk])
    form = client.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "name": "Sportello amico",
            "description": "Accompagnare agli uffici",
            "organization": str(service.organization_id),
            "status": "active",
            "needs_met-TOTAL_FORMS": "0",
            "needs_met-INITIAL_FORMS": "0",
            "service_at_locations-TOTAL_FORMS": "1",
            "service_at_locations-INITIAL_FORMS": "1",
            "service_at_locations-0-id": str(ServiceAtLocation.objects.get().pk),
            "service_at_locations-0-service": str(service.pk),
            "service_at_locations-0-location": str(location.pk),
        }
    )
    data.pop("last_modified", None)
    data.pop("assured_date", None)
    response = client.post(change, data)
    assert response.status_code == 302, response.content[:3000]
    assert names(ServiceQuery(text="accompagnamento")) == ["Sportello amico"]
