"""The directory's pages: the search (list, informal resources, map data) and a service's page.

Assertions look at structure (ids, `data-` attributes, links) and at Django's own Italian
messages, not at the wording of the directory's new strings.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from prossimo.directory import views
from prossimo.directory.models import InformalResource, Language, Service
from prossimo.directory.search import search_services as real_search_services
from prossimo.directory.tests.factories import (
    AddressFactory,
    InformalResourceFactory,
    LocationFactory,
    OrganizationFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    service_in,
)
from prossimo.listening.models import NeedCategory
from prossimo.territory.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEARCH = "/risorse/"
ROME = ZoneInfo("Europe/Rome")


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    return unescape(html(response))


def service_ids(response) -> list[str]:
    return re.findall(r'data-service="([0-9a-f-]{36})"', html(response))


def informal_ids(response) -> list[str]:
    return re.findall(r'data-informal-resource="([0-9a-f-]{36})"', html(response))


def points(response) -> list[dict]:
    match = re.search(r'data-points="([^"]*)"', html(response))
    return json.loads(unescape(match.group(1))) if match else []


def need(code: str) -> NeedCategory:
    return NeedCategory.objects.get(code=code)


@pytest.fixture
def directory(lecco, monza):
    """A transport service in Lecco (weekdays), a meal delivery in Monza (with an English
    speaker), an inactive service in Lecco."""
    transport = service_in(
        lecco,
        name="Accompagnamento visite mediche",
        organization=OrganizationFactory(name="Auser Lecco"),
        needs=("practical-transport",),
        eligibility_description="Persone sole over 65",
        minimum_age=65,
    )
    meals = service_in(
        monza,
        name="Consegna pasti a domicilio",
        organization=OrganizationFactory(name="Caritas Monza"),
        needs=("practical-shopping",),
        latitude=45.5845,
        longitude=9.2744,
        schedule={"byday": "SA,SU", "opens_at": dt.time(11), "closes_at": dt.time(13)},
    )
    Language.objects.create(service=meals, name="English", code="en")
    closed = service_in(lecco, name="Accompagnamento chiuso", status=Service.Status.INACTIVE)
    return {"transport": transport, "meals": meals, "closed": closed}


# --- access ------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client, directory):
    for url in (SEARCH, reverse("directory:service", args=[directory["transport"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_a_user_without_a_role_cannot_open_the_directory(client, directory):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(SEARCH).status_code == 403


@pytest.mark.parametrize(
    "role",
    [
        "volunteer",
        "proximity_operator",
        "social_worker",
        "coordinator",
        "monitoring_officer",
        "administrator",
        "outsider",
    ],
)
def test_every_role_reads_the_formal_directory(client, cast, directory, role):
    client.force_login(cast[role])
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert str(directory["transport"].pk) in service_ids(response)
    page = client.get(reverse("directory:service", args=[directory["transport"].pk]))
    assert page.status_code == 200


def test_the_search_accepts_only_get(client, volunteer):
    client.force_login(volunteer)
    assert client.post(SEARCH).status_code == 405


# --- the search --------------------------------------------------------------------------


def test_an_empty_search_lists_the_active_services(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(SEARCH)
    found = service_ids(response)
    assert str(directory["transport"].pk) in found
    assert str(directory["meals"].pk) in found
    assert str(directory["closed"].pk) not in found


def test_search_by_words(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(SEARCH, {"q": "accompagnamento visite"})
    assert service_ids(response) == [str(directory["transport"].pk)]


def test_search_by_need_and_by_its_parent(client, volunteer, directory):
    client.force_login(volunteer)
    by_need = client.get(SEARCH, {"need": need("practical-transport").pk})
    assert service_ids(by_need) == [str(directory["transport"].pk)]
    by_parent = client.get(SEARCH, {"need": need("practical-needs").pk})
    assert set(service_ids(by_parent)) == {
        str(directory["transport"].pk),
        str(directory["meals"].pk),
    }


def test_search_by_municipality_typed_as_in_the_list(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(SEARCH, {"municipality": "Monza (MB)"})
    assert service_ids(response) == [str(directory["meals"].pk)]
    response = client.get(SEARCH, {"municipality": "lecco"})
    assert service_ids(response) == [str(directory["transport"].pk)]


def test_search_by_language(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(SEARCH, {"language": "en"})
    assert service_ids(response) == [str(directory["meals"].pk)]


@pytest.fixture
def asked(monkeypatch):
    """The `ServiceQuery`s the page asked the search for (the search itself still runs)."""
    queries = []

    def spy(query, **kwargs):
        queries.append(query)
        return real_search_services(query, **kwargs)

    monkeypatch.setattr(views, "search_services", spy)
    return queries


def test_open_now_asks_for_the_services_open_at_this_moment(client, volunteer, directory, asked):
    client.force_login(volunteer)
    moment = dt.datetime(2026, 3, 11, 10, 30, tzinfo=ROME)
    with time_machine.travel(moment, tick=False):
        assert client.get(SEARCH, {"open_now": "on"}).status_code == 200
    assert asked[-1].open_at == moment


def test_a_day_and_time_ask_for_that_moment_in_italian_time(client, volunteer, directory, asked):
    client.force_login(volunteer)
    client.get(SEARCH, {"open_date": "2026-07-04", "open_time": "21:15", "need": ""})
    assert asked[-1].open_at == dt.datetime(2026, 7, 4, 19, 15, tzinfo=dt.UTC)


def test_a_time_alone_means_today(client, volunteer, directory, asked):
    client.force_login(volunteer)
    with time_machine.travel(dt.datetime(2026, 3, 11, 8, tzinfo=ROME), tick=False):
        client.get(SEARCH, {"open_time": "20:00"})
    assert asked[-1].open_at == dt.datetime(2026, 3, 11, 20, tzinfo=ROME)


def test_every_filter_reaches_the_query(client, volunteer, directory, asked, lecco):
    client.force_login(volunteer)
    client.get(
        SEARCH,
        {
            "q": "  spesa   domicilio ",
            "need": need("practical-shopping").pk,
            "municipality": "Lecco (LC)",
            "language": "ar",
        },
    )
    query = asked[-1]
    assert (query.text, query.need, query.municipality, query.language, query.open_at) == (
        "spesa domicilio",
        need("practical-shopping").pk,
        lecco.pk,
        "ar",
        None,
    )


def test_nothing_found_says_so(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(SEARCH, {"q": "zzzzqqq"})
    assert response.status_code == 200
    assert service_ids(response) == []
    assert "data-empty" in html(response)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"need": "999999"}, "need", "Scegli un'opzione valida"),
        ({"need": "abc"}, "need", "Scegli un'opzione valida"),
        ({"open_time": "25:99"}, "open_time", "Inserisci un'ora valida"),
        ({"open_date": "2026-13-45", "open_time": "10:00"}, "open_date", "Inserisci una data"),
        ({"municipality": "Atlantide"}, "municipality", "Atlantide"),
    ],
)
def test_bad_input_is_explained_in_italian_not_a_server_error(
    client, volunteer, directory, params, field, message
):
    client.force_login(volunteer)
    response = client.get(SEARCH, params)
    content = html(response)
    assert response.status_code == 200
    assert "data-error-summary" in content
    assert f'href="#id_{field}"' in content
    assert f'id="id_{field}_error"' in content
    assert message in text(response)
    assert service_ids(response) == []


def test_a_day_without_a_time_is_refused(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(SEARCH, {"open_date": "2026-07-04"})
    assert 'id="id_open_time_error"' in html(response)


def test_results_come_a_page_at_a_time_with_a_link_to_the_next(
    client, volunteer, lecco, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [service_in(lecco, name=f"Servizio {n:02d}") for n in range(5)]
    client.force_login(volunteer)

    first = client.get(SEARCH, {"municipality": "Lecco (LC)"})
    assert service_ids(first) == [str(s.pk) for s in made[:2]]
    next_url = re.search(r'rel="next" href="([^"]+)"', html(first)).group(1).replace("&amp;", "&")
    assert "page=2" in next_url
    assert "municipality=Lecco+%28LC%29" in next_url

    second = client.get(next_url)
    assert service_ids(second) == [str(s.pk) for s in made[2:4]]
    assert 'rel="prev"' in html(second)
    last = client.get(SEARCH, {"municipality": "Lecco (LC)", "page": "3"})
    assert service_ids(last) == [str(made[4].pk)]
    assert 'rel="next"' not in html(last)


def test_a_broken_page_number_shows_the_first_page(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(SEARCH, {"page": "abc"})
    assert response.status_code == 200
    assert str(directory["transport"].pk) in service_ids(response)


def test_htmx_gets_the_results_only(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(SEARCH, {"q": "accompagnamento"}, headers={"HX-Request": "true"})
    content = html(response)
    assert content.lstrip().startswith('<div id="directory-search">')
    assert "<html" not in content
    assert 'id="directory-status"' in content and 'hx-swap-oob="true"' in content
    assert service_ids(response) == [str(directory["transport"].pk)]
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(
        SEARCH,
        {"q": "accompagnamento"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in html(response)


def test_the_form_works_without_javascript_and_keeps_what_was_asked(client, volunteer, directory):
    client.force_login(volunteer)
    content = html(client.get(SEARCH, {"q": "visite", "municipality": "Lecco (LC)"}))
    assert re.search(r'<form id="directory-form" method="get" action="/risorse/"', content)
    assert 'value="visite"' in content
    assert 'value="Lecco (LC)"' in content


def test_a_result_shows_what_a_volunteer_on_the_phone_needs(client, volunteer, directory):
    client.force_login(volunteer)
    with time_machine.travel(dt.datetime(2026, 3, 11, 10, tzinfo=ROME), tick=False):
        content = html(client.get(SEARCH, {"q": "accompagnamento visite"}))
    transport = directory["transport"]
    assert f'href="/risorse/servizi/{transport.pk}/"' in content
    assert "Auser Lecco" in content
    assert 'href="tel:+390341123456"' in content
    assert "data-today" in content
    assert "Lun–Ven 09:00–12:30" in content
    assert "Persone sole over 65" in content
    assert "Accompagnamento" in content
    assert "Via Roma" in content


# --- informal resources ------------------------------------------------------------------


@pytest.fixture
def informal(lecco, monza, administrator):
    return {
        "lecco": InformalResourceFactory(
            name="Giuseppina", municipality=lecco, recorded_by=administrator,
            needs=[need("practical-shopping")],
        ),
        "monza": InformalResourceFactory(
            name="Gruppo parrocchiale", kind=InformalResource.Kind.GROUP, municipality=monza,
            recorded_by=administrator,
        ),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("volunteer", {"lecco"}),
        ("coordinator", {"lecco"}),
        ("administrator", {"lecco", "monza"}),
        ("outsider", {"monza"}),
    ],
)
def test_staff_see_the_informal_resources_of_their_territory(
    client, cast, directory, informal, role, sees
):
    client.force_login(cast[role])
    response = client.get(SEARCH)
    assert "data-informal" in html(response)
    assert set(informal_ids(response)) == {str(informal[k].pk) for k in sees}


def test_monitoring_officers_never_see_informal_resources(client, monitoring, directory, informal):
    client.force_login(monitoring)
    content = html(client.get(SEARCH))
    assert "data-informal" not in content
    assert "Giuseppina" not in content
    assert "+393409998877" not in content


def test_informal_resources_follow_the_words_need_and_municipality(
    client, administrator, directory, informal
):
    client.force_login(administrator)
    by_need = client.get(SEARCH, {"need": need("practical-shopping").pk})
    assert informal_ids(by_need) == [str(informal["lecco"].pk)]
    by_place = client.get(SEARCH, {"municipality": "Monza (MB)"})
    assert informal_ids(by_place) == [str(informal["monza"].pk)]


def test_every_informal_resource_shown_is_recorded_in_the_audit_trail(
    client, administrator, directory, informal
):
    client.force_login(administrator)
    client.get(SEARCH)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(InformalResource),
        action=LogEntry.Action.ACCESS,
    )
    assert {e.object_pk for e in entries} == {str(r.pk) for r in informal.values()}
    assert {e.actor_id for e in entries} == {administrator.pk}
    assert all(e.additional_data["via"] == "directory_search" for e in entries)
    assert not any("Giuseppina" in (e.object_repr or "") for e in entries)


def test_formal_services_are_not_audited(client, volunteer, directory):
    client.force_login(volunteer)
    client.get(SEARCH)
    client.get(reverse("directory:service", args=[directory["transport"].pk]))
    assert not LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Service), action=LogEntry.Action.ACCESS
    ).exists()


def test_informal_resources_are_shown_on_the_first_page_only(
    client, administrator, directory, informal, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    client.force_login(administrator)
    assert informal_ids(client.get(SEARCH, {"page": "2"})) == []


# --- the map's data ----------------------------------------------------------------------


def test_the_map_gets_each_geolocated_place_and_the_tile_server(
    client, volunteer, directory, settings
):
    settings.PROSSIMO_MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.PROSSIMO_MAP_TILES_ATTRIBUTION = "&copy; Esempio"
    client.force_login(volunteer)
    response = client.get(SEARCH, {"q": "accompagnamento visite"})
    content = html(response)
    assert 'data-tiles-url="https://tiles.example.org/{z}/{x}/{y}.png"' in content
    assert 'data-tiles-attribution="&amp;copy; Esempio"' in content
    assert "vendor/leaflet/leaflet.js" in content
    assert "directory/map.js" in content
    transport = directory["transport"]
    (point,) = points(response)
    assert point["kind"] == "service"
    assert point["url"] == f"/risorse/servizi/{transport.pk}/"
    assert (point["lat"], point["lon"]) == (45.8566, 9.3977)
    assert f'data-map-point="{point["key"]}"' in content


def test_without_a_tile_server_there_is_no_map(client, volunteer, directory, settings):
    settings.PROSSIMO_MAP_TILES_URL = ""
    client.force_login(volunteer)
    content = html(client.get(SEARCH))
    assert "data-directory-map" not in content
    assert "leaflet" not in content
    assert "data-map-point" not in content
    assert str(directory["transport"].pk) in content


def test_a_place_without_coordinates_is_listed_not_mapped(client, volunteer, lecco):
    service = service_in(lecco, name="Sportello senza mappa", latitude=None, longitude=None)
    client.force_login(volunteer)
    response = client.get(SEARCH)
    assert service_ids(response) == [str(service.pk)]
    assert points(response) == []
    assert "data-directory-map" not in html(response)


def test_informal_resources_are_placed_at_their_municipality_never_at_an_address(
    client, administrator, directory, informal, lecco
):
    # Another place in Lecco: the municipality's point is the centre of the three there (the
    # transport service's, the closed service's, this one).
    other = LocationFactory(latitude=45.8600, longitude=9.4000)
    AddressFactory(location=other, city="LECCO")
    ServiceAtLocationFactory(service=ServiceFactory(), location=other)
    client.force_login(administrator)
    response = client.get(SEARCH)
    found = {p["key"]: p for p in points(response) if p["kind"] == "informal"}
    # Monza has a geolocated service too (the meals): both municipalities are placed.
    lecco_point = found[f"informal:{lecco.pk}"]
    assert lecco_point["lat"] == pytest.approx((2 * 45.8566 + 45.8600) / 3)
    assert lecco_point["lon"] == pytest.approx((2 * 9.3977 + 9.4000) / 3)
    assert lecco_point["items"] == [
        {"name": "Giuseppina", "anchor": f"#informal-{informal['lecco'].pk}"}
    ]
    assert "url" not in lecco_point and "address" not in lecco_point
    assert f'data-map-point="informal:{lecco.pk}"' in html(response)


def test_an_informal_resource_where_the_directory_has_no_place_is_not_mapped(
    client, administrator, territory
):
    from prossimo.territory.models import Municipality

    resource = InformalResourceFactory(
        municipality=Municipality.objects.get(name="Bellano"), recorded_by=administrator
    )
    client.force_login(administrator)
    response = client.get(SEARCH)
    assert informal_ids(response) == [str(resource.pk)]
    assert points(response) == []


# --- query counts ------------------------------------------------------------------------


def _count_queries(client, django_assert_max_num_queries, limit, **params):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(SEARCH, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_search_makes_the_same_number_of_queries_whatever_it_finds(
    client, administrator, lecco, monza, django_assert_max_num_queries
):
    client.force_login(administrator)
    service_in(lecco, name="Servizio iniziale")
    InformalResourceFactory(municipality=lecco, recorded_by=administrator)
    client.get(SEARCH)  # sessions, content types and the like, once
    few = _count_queries(client, django_assert_max_num_queries, 30)
    for n in range(12):
        service_in(lecco if n % 2 else monza, name=f"Servizio {n}", needs=("loneliness", "other"))
        InformalResourceFactory(
            municipality=lecco if n % 2 else monza,
            recorded_by=administrator,
            needs=[need("loneliness"), need("other")],
        )
    many = _count_queries(client, django_assert_max_num_queries, few)
    assert many == few


def test_the_service_page_makes_the_same_number_of_queries_whatever_it_shows(
    client, volunteer, lecco, django_assert_max_num_queries
):
    client.force_login(volunteer)
    small = service_in(lecco, name="Piccolo")
    client.get(reverse("directory:service", args=[small.pk]))
    with django_assert_max_num_queries(40) as captured:
        client.get(reverse("directory:service", args=[small.pk]))
    few = len(captured.captured_queries)
    big = service_in(lecco, name="Grande", needs=("loneliness", "other", "housing"))
    for n in range(4):
        location = LocationFactory(name=f"Altra sede {n}")
        AddressFactory(location=location)
        ServiceAtLocationFactory(service=big, location=location)
    with django_assert_max_num_queries(few):
        assert client.get(reverse("directory:service", args=[big.pk])).status_code == 200


# --- a service's page --------------------------------------------------------------------


def test_the_service_page_shows_what_the_directory_knows(client, volunteer, directory, settings):
    settings.PROSSIMO_MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    transport = directory["transport"]
    transport.url = "https://auser.example.org/accompagnamento"
    transport.email = "info@auser.example.org"
    transport.fees_description = "Offerta libera"
    transport.save(update_fields=["url", "email", "fees_description"])
    client.force_login(volunteer)
    response = client.get(reverse("directory:service", args=[transport.pk]))
    content = html(response)
    assert response.status_code == 200
    assert "<h1>Accompagnamento visite mediche</h1>" in content
    assert "Auser Lecco" in content
    assert 'href="tel:+390341123456"' in content
    assert 'href="mailto:info@auser.example.org"' in content
    assert 'href="https://auser.example.org/accompagnamento"' in content
    assert "Lun–Ven 09:00–12:30" in content
    assert "Offerta libera" in content
    assert "Persone sole over 65" in content
    assert "Lecco (LC)" in content  # municipalities served
    assert "data-directory-map" in content
    (point,) = points(response)
    assert point["url"] == f"/risorse/servizi/{transport.pk}/"


def test_the_service_page_never_links_a_javascript_address(client, volunteer, lecco):
    service = service_in(lecco, url="javascript:alert(1)")
    client.force_login(volunteer)
    content = html(client.get(reverse("directory:service", args=[service.pk])))
    assert 'href="javascript:' not in content


def test_the_service_page_has_the_slot_for_actions(client, volunteer, directory):
    client.force_login(volunteer)
    response = client.get(reverse("directory:service", args=[directory["transport"].pk]))
    assert "directory/_service_actions.html" in [t.name for t in response.templates]


def test_an_unknown_service_is_not_found(client, volunteer, directory):
    client.force_login(volunteer)
    assert client.get(reverse("directory:service", args=[uuid.uuid4()])).status_code == 404
    assert client.get("/risorse/servizi/not-a-uuid/").status_code == 404
