"""`export_hsds`: services.json, organizations.json and csv/ valid against the standard."""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from prossimo.directory import hsds
from prossimo.directory.hsds import SCHEMA_DIR
from prossimo.directory.models import InformalResource, Organization, Program, Service
from prossimo.directory.services import export_hsds, import_hsds
from prossimo.directory.tests.conftest import EXAMPLES, errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(db):
    """The standard's examples, and a service of our own with only the required fields."""
    for name in ("organization_full.json", "service_full.json", "csv"):
        assert import_hsds(EXAMPLES / name).ok
    org = Organization.objects.create(name="Comune di Lecco", description="Servizi sociali")
    return Service.objects.create(organization=org, name="Telefonia sociale", status="active")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_services_json_validates_against_the_service_schema(directory, tmp_path):
    export_hsds(tmp_path)
    services = load(tmp_path / "services.json")

    assert [s["name"] for s in services] == ["Community Counselling", "Telefonia sociale"]
    for service in services:
        assert errors("service.json", service) == []


def test_services_json_validates_against_the_compiled_service_schema(directory, tmp_path):
    # The standard's compiled schema, shipped unchanged beside the per-table ones.
    export_hsds(tmp_path)
    schema = load(SCHEMA_DIR / "compiled" / "service_with_definitions.json")
    validator = Draft202012Validator(schema, format_checker=FormatChecker())

    for service in load(tmp_path / "services.json"):
        assert list(validator.iter_errors(service)) == []


def test_organizations_json_validates_with_its_services(directory, tmp_path):
    export_hsds(tmp_path)
    organizations = load(tmp_path / "organizations.json")

    assert [o["name"] for o in organizations] == ["Comune di Lecco", "Example Organization Inc."]
    for organization in organizations:
        assert errors("organization.json", organization) == []
        # "services" is the organization_full extension the schema doesn't describe.
        for service in organization.get("services", []):
            assert errors("service.json", service) == []
    assert [s["name"] for s in organizations[0]["services"]] == ["Telefonia sociale"]


def test_a_minimal_service_is_written_with_its_required_fields_only(directory, tmp_path):
    export_hsds(tmp_path)
    ours = next(s for s in load(tmp_path / "services.json") if s["name"] == "Telefonia sociale")

    assert ours == {
        "id": str(directory.pk),
        "name": "Telefonia sociale",
        "status": "active",
        "organization": {
            "id": str(directory.organization_id),
            "name": "Comune di Lecco",
            "description": "Servizi sociali",
        },
    }


def typed(spec, row: dict[str, str]) -> dict:
    """A CSV row as the JSON values the table's schema describes; empty cells are missing."""
    out = {}
    for column in spec.columns:
        cell = row[column.name]
        if cell != "":
            out[column.name] = float(cell) if column.kind == "number" else cell
    return out


def test_every_csv_row_validates_against_its_tables_schema(directory, tmp_path):
    export_hsds(tmp_path)

    for name, spec in hsds.tables().items():
        with (tmp_path / "csv" / spec.path).open(encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file))
        assert rows or name == "meta_table_description" or name == "taxonomy", name
        for row in rows:
            instance = typed(spec, row)
            assert errors(f"{name}.json", instance) == [], (name, row)
            for column in spec.columns:
                if column.tabular_required or column.required:
                    assert column.name in instance, (name, column.name)


def test_the_datapackage_describes_every_csv_file(directory, tmp_path):
    export_hsds(tmp_path)
    package = load(tmp_path / "csv" / "datapackage.json")

    assert package["profile"] == "tabular-data-package"
    assert [r["name"] for r in package["resources"]] == list(hsds.tables())
    for resource in package["resources"]:
        with (tmp_path / "csv" / resource["path"]).open(encoding="utf-8", newline="") as file:
            header = next(csv.reader(file))
        assert header == [f["name"] for f in resource["schema"]["fields"]]
    service = package["resources"][2]["schema"]
    assert service["primaryKey"] == ["id"]
    assert service["foreignKeys"] == [
        {"fields": ["organization_id"], "reference": {"resource": "organization", "fields": ["id"]}}
    ]
    status = next(f for f in service["fields"] if f["name"] == "status")
    assert status["constraints"] == {
        "required": True,
        "enum": ["active", "inactive", "defunct", "temporarily closed"],
    }


def test_the_exported_package_imports_again(directory, tmp_path):
    export_hsds(tmp_path)

    report = import_hsds(tmp_path / "csv" / "datapackage.json")

    assert report.ok, [str(p) for p in report.problems]
    assert sum(report.created.values()) == 0


def test_an_optional_link_to_a_record_we_dont_hold_is_written_as_an_id(db, tmp_path):
    org = Organization.objects.create(name="Comune di Lecco", description="Servizi sociali")
    elsewhere = uuid.uuid4()
    Service.objects.create(organization=org, name="Spesa", status="active", program_id=elsewhere)

    export_hsds(tmp_path)

    assert load(tmp_path / "services.json")[0]["program_id"] == str(elsewhere)
    assert not Program.objects.exists()


def test_times_are_written_to_the_millisecond_in_utc(db, tmp_path):
    org = Organization.objects.create(name="Comune di Lecco", description="Servizi sociali")
    Service.objects.create(
        organization=org,
        name="Spesa",
        status="active",
        last_modified=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    )

    export_hsds(tmp_path)

    assert load(tmp_path / "services.json")[0]["last_modified"] == "2026-03-01T09:00:00.000Z"


def test_informal_resources_are_never_exported(directory, administrator, lecco, tmp_path):
    InformalResource.objects.create(
        kind=InformalResource.Kind.PERSON,
        name="Giuseppina Vicina",
        phone="+393409998877",
        municipality=lecco,
        consent_to_be_listed=dt.date(2026, 1, 10),
        recorded_by=administrator,
    )

    export_hsds(tmp_path)

    for path in tmp_path.rglob("*.*"):
        text = path.read_text(encoding="utf-8")
        assert "Vicina" not in text and "3409998877" not in text, path.name


def test_an_empty_directory_exports_empty_lists_and_headers(db, tmp_path):
    report = export_hsds(tmp_path / "out")

    assert (report.services, report.organizations) == (0, 0)
    assert load(tmp_path / "out" / "services.json") == []
    assert (
        (tmp_path / "out" / "csv" / "services.csv")
        .read_text(encoding="utf-8")
        .startswith("id,organization_id,program_id,name,")
    )


def test_an_export_takes_one_query_per_table(directory, tmp_path, django_assert_num_queries):
    with django_assert_num_queries(len(hsds.tables())):
        export_hsds(tmp_path)
