"""The read-only HSDS API: the standard's paths and shapes, public behind a setting, formal
services only, a fixed number of queries per page; fuzzed by schemathesis."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zlib
from typing import Any

import pytest
import schemathesis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from prossimo.directory import hsds
from prossimo.directory import models as m
from prossimo.directory.services import import_hsds
from prossimo.directory.tests.conftest import EXAMPLES, errors, example
from prossimo.directory.tests.test_roundtrip import assert_contains, normalise
from prossimo.wsgi import application

pytestmark = pytest.mark.django_db

SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}
FULL_EXAMPLES = [
    "organization_full.json",
    "service_full.json",
    "service_at_location_full.json",
    "location.json",
    "taxonomy.json",
    "taxonomy_term.json",
]


def imported(*names: str) -> None:
    """Import the standard's examples by the directory's own import."""
    for name in names:
        report = import_hsds(EXAMPLES / name)
        assert report.ok, [str(p) for p in report.problems]


@pytest.fixture
def examples() -> None:
    """The standard's full examples (where they overlap, the last imported wins)."""
    imported(*FULL_EXAMPLES)


def get(client: Any, path: str, data: Any = None, **headers: str) -> Any:
    return client.get(path, data, headers=headers)


def test_the_root_describes_the_api(client, db):
    response = get(client, "/api/hsds/")

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "3.0"
    assert body["profile"].startswith("https://")
    assert body["openapi_url"].endswith("/api/openapi.json")


@pytest.mark.parametrize(
    ("path", "list_example", "schema"),
    [
        ("/api/hsds/services", "service_list.json", "service.json"),
        ("/api/hsds/organizations", "organization_list.json", "organization.json"),
        (
            "/api/hsds/service_at_locations",
            "service_at_location_list.json",
            "service_at_location.json",
        ),
        ("/api/hsds/taxonomies", "taxonomy_list.json", "taxonomy.json"),
        ("/api/hsds/taxonomy_terms", "taxonomy_term_list.json", "taxonomy_term.json"),
    ],
)
def test_a_list_is_a_page_of_the_standard_holding_its_list_example(
    client, db, path, list_example, schema
):
    imported(list_example)

    response = get(client, path)

    assert response.status_code == 200
    page = response.json()
    wanted = example(list_example)
    assert set(page) == set(wanted) == PAGE_KEYS
    assert page["page_number"] == 1 and page["first_page"] and page["last_page"]
    assert page["size"] == len(page["contents"]) == page["total_items"] >= 1
    assert not page["empty"]
    for record in page["contents"]:
        assert errors(schema, record) == []
    brief = wanted["contents"][0]
    [record] = [r for r in page["contents"] if r["id"] == brief["id"]]
    assert_contains(record, brief)
    # Brief records: only what the example's records show, no nested lists.
    assert set(record) <= set(brief) | {"organization", "program", "parent_id"}


@pytest.mark.parametrize(
    ("path", "name", "table", "schema"),
    [
        ("/api/hsds/services/", "service_full.json", "service", "service.json"),
        ("/api/hsds/organizations/", "organization_full.json", "organization", "organization.json"),
        (
            "/api/hsds/service_at_locations/",
            "service_at_location_full.json",
            "service_at_location",
            "service_at_location.json",
        ),
        ("/api/hsds/taxonomies/", "taxonomy.json", "taxonomy", "taxonomy.json"),
        ("/api/hsds/taxonomy_terms/", "taxonomy_term.json", "taxonomy_term", "taxonomy_term.json"),
    ],
)
def test_a_record_is_fully_nested_as_the_export_writes_it(client, db, path, name, table, schema):
    imported(name)
    record_id = example(name)["id"]

    response = get(client, path + record_id)

    assert response.status_code == 200
    body = response.json()
    assert errors(schema, body) == []
    snapshot = hsds.Snapshot()
    assert body == snapshot.serialise(table, snapshot.rows[table][uuid.UUID(record_id)])
    assert normalise(body) == normalise(example(name))


def test_the_service_example_comes_back_whole(client, db):
    imported("service_full.json")
    body = get(client, f"/api/hsds/services/{SERVICE_ID}").json()

    assert normalise(body) == normalise(example("service_full.json"))
    assert body["phones"] and body["service_at_locations"] and body["organization"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/hsds/services/",
        "/api/hsds/organizations/",
        "/api/hsds/service_at_locations/",
        "/api/hsds/taxonomies/",
        "/api/hsds/taxonomy_terms/",
    ],
)
@pytest.mark.parametrize("record_id", [str(uuid.uuid4()), "not-an-id", SERVICE_ID[:-1] + "x"])
def test_an_unknown_id_is_a_structured_404(client, examples, path, record_id):
    response = get(client, path + record_id)

    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["errors"] == []


def _organization(name: str = "Comune di Lecco") -> m.Organization:
    return m.Organization.objects.create(name=name, description="Servizi sociali")


def _service(organization: m.Organization, name: str, **fields: Any) -> m.Service:
    service = m.Service.objects.create(
        organization=organization, name=name, status=m.Service.Status.ACTIVE, **fields
    )
    location = m.Location.objects.create(location_type=m.Location.Type.PHYSICAL, name=name)
    m.Address.objects.create(
        location=location,
        address_1="Via Roma 1",
        city="Lecco",
        state_province="LC",
        postal_code="23900",
        country="IT",
        address_type=m.Address.Type.PHYSICAL,
    )
    m.ServiceAtLocation.objects.create(service=service, location=location)
    m.Phone.objects.create(service=service, number="0341 123456")
    m.Phone.objects.create(location=location, number="0341 654321")
    m.Schedule.objects.create(service=service, opens_at=dt.time(9), closes_at=dt.time(12))
    return service


def test_pages_follow_page_and_per_page(client, db):
    organization = _organization()
    for i in range(5):
        _service(organization, f"Servizio {i}")

    first = get(client, "/api/hsds/services", {"per_page": 2}).json()
    last = get(client, "/api/hsds/services", {"per_page": 2, "page": 3}).json()
    beyond = get(client, "/api/hsds/services", {"per_page": 2, "page": 9}).json()

    assert [s["name"] for s in first["contents"]] == ["Servizio 0", "Servizio 1"]
    assert (first["total_items"], first["total_pages"], first["size"]) == (5, 3, 2)
    assert first["first_page"] and not first["last_page"]
    assert [s["name"] for s in last["contents"]] == ["Servizio 4"]
    assert last["last_page"] and not last["first_page"] and last["page_number"] == 3
    assert beyond["contents"] == [] and beyond["size"] == 0 and not beyond["empty"]


@pytest.mark.parametrize("params", [{"per_page": 101}, {"per_page": 0}, {"page": 0}])
def test_a_page_out_of_bounds_is_refused(client, db, params):
    response = get(client, "/api/hsds/services", params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] in {"per_page", "page"}


def test_an_empty_directory_is_an_empty_page(client, db):
    page = get(client, "/api/hsds/services").json()

    assert page["empty"] and page["contents"] == [] and page["total_items"] == 0
    assert page["first_page"] and page["last_page"] and page["total_pages"] == 1


def test_services_are_found_by_text_by_taxonomy_term_and_by_organization(client, examples):
    organization = _organization("Auser Lecco")
    _service(organization, "Spesa a domicilio", description="Consegna della spesa")
    term = example("taxonomy_term.json")

    by_text = get(client, "/api/hsds/services", {"search": "SPESA"}).json()
    by_term = get(client, "/api/hsds/services", {"taxonomy_term_id": term["id"]}).json()
    by_organization = get(
        client, "/api/hsds/services", {"organization_id": str(organization.pk)}
    ).json()
    none = get(client, "/api/hsds/services", {"taxonomy_term_id": str(uuid.uuid4())}).json()

    assert [s["name"] for s in by_text["contents"]] == ["Spesa a domicilio"]
    assert [s["id"] for s in by_term["contents"]] == [SERVICE_ID]
    assert [s["name"] for s in by_organization["contents"]] == ["Spesa a domicilio"]
    assert none["empty"]


def test_a_search_with_a_nul_character_is_refused_not_a_server_error(client, db):
    response = get(client, "/api/hsds/services", {"search": "a\x00b"})

    assert response.status_code == 422


@pytest.mark.parametrize(
    "path", ["/api/hsds/services", "/api/hsds/organizations", "/api/hsds/service_at_locations"]
)
def test_a_page_takes_the_same_queries_whatever_its_rows(
    client, db, path, django_assert_max_num_queries
):
    organization = _organization()
    _service(organization, "Servizio 0")
    with CaptureQueriesContext(connection) as one:
        assert get(client, path, {"full": "true"}).json()["size"] == 1
    for i in range(1, 12):
        _service(_organization(f"Ente {i}"), f"Servizio {i}")

    with django_assert_max_num_queries(len(one.captured_queries)):
        assert get(client, path, {"full": "true"}).json()["size"] >= 12


def test_a_record_takes_the_same_queries_whatever_is_nested(
    client, db, django_assert_max_num_queries
):
    """One record of each kind nested, then many: no more queries."""
    small = _service(_organization(), "Piccolo")
    with CaptureQueriesContext(connection) as one:
        get(client, f"/api/hsds/services/{small.pk}")
    big = _service(_organization("Grande ente"), "Grande")
    for i in range(10):
        m.Phone.objects.create(service=big, number=f"0341 00000{i}")
        location = m.Location.objects.create(location_type="physical", name=f"Sede {i}")
        m.ServiceAtLocation.objects.create(service=big, location=location)
        m.Phone.objects.create(location=location, number=f"0341 11111{i}")

    with django_assert_max_num_queries(len(one.captured_queries)):
        body = get(client, f"/api/hsds/services/{big.pk}").json()

    assert len(body["phones"]) == 11 and len(body["service_at_locations"]) == 11


def test_informal_resources_are_never_served(client, examples, administrator, lecco):
    m.InformalResource.objects.create(
        kind=m.InformalResource.Kind.PERSON,
        name="Giuseppina Vicina",
        phone="+393409998877",
        municipality=lecco,
        consent_to_be_listed=dt.date(2026, 1, 10),
        recorded_by=administrator,
    )
    paths = [
        "/api/hsds/",
        "/api/hsds/services?full=true",
        "/api/hsds/organizations?full=true",
        "/api/hsds/service_at_locations?full=true",
        "/api/hsds/taxonomies",
        "/api/hsds/taxonomy_terms",
        "/api/hsds/services?search=Vicina",
    ]
    for path in paths:
        text = client.get(path).content.decode()
        assert "Vicina" not in text and "3409998877" not in text, path
    assert json.loads(client.get("/api/hsds/services?search=Vicina").content)["empty"]


@pytest.mark.parametrize(
    "path", ["/api/hsds/", "/api/hsds/services", f"/api/hsds/services/{SERVICE_ID}"]
)
def test_a_closed_api_needs_a_token(client, examples, volunteer, make_token, settings, path):
    settings.PROSSIMO_HSDS_API_PUBLIC = False

    anonymous = get(client, path)
    wrong = get(client, path, Authorization="Bearer prs_nonsense")
    with_token = get(client, path, Authorization=f"Bearer {make_token(volunteer)}")

    assert anonymous.status_code == 401 and set(anonymous.json()) == {"detail", "errors"}
    assert wrong.status_code == 401
    assert with_token.status_code == 200


def test_a_closed_api_serves_a_logged_in_user(client, examples, volunteer, settings):
    settings.PROSSIMO_HSDS_API_PUBLIC = False
    client.force_login(volunteer)

    assert get(client, "/api/hsds/services").status_code == 200


def test_an_open_api_serves_everyone(client, examples, settings):
    settings.PROSSIMO_HSDS_API_PUBLIC = True

    assert get(client, "/api/hsds/services").status_code == 200


# --- fuzzing -------------------------------------------------------------------------------

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": 25,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
    }
)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)

_REAL_IDS = {
    "/api/hsds/services/{id}": SERVICE_ID,
    "/api/hsds/organizations/{id}": example("organization_full.json")["id"],
    "/api/hsds/service_at_locations/{id}": example("service_at_location_full.json")["id"],
    "/api/hsds/taxonomies/{id}": example("taxonomy.json")["id"],
    "/api/hsds/taxonomy_terms/{id}": example("taxonomy_term.json")["id"],
}


@schema.include(path_regex="^/api/hsds").parametrize()
# One import of the examples per operation, shared by its examples: intended.
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hsds_endpoints_never_answer_with_a_server_error(case, examples):
    """Anonymous, as the open API is called; about half of the ids aimed at real records."""
    params = case.path_parameters or {}
    coin = zlib.crc32(repr(params).encode("utf-8", "surrogatepass")) % 2
    if "id" in params and coin:
        params["id"] = _REAL_IDS[case.operation.path]
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
