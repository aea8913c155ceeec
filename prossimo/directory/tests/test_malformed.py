"""A malformed input gets a report of each problem (file, row or JSON path, field) and nothing
of it is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prossimo.directory import hsds
from prossimo.directory.models import HsdsImport, Organization, Service
from prossimo.directory.services import import_hsds
from prossimo.directory.tests.conftest import EXAMPLES

pytestmark = pytest.mark.django_db

SERVICE = "5b3e2f7e-52f9-4d3c-a7c4-0c5c8e3d2a11"
ORG = "8d7c2c4e-8f2b-4a47-9a4f-1b2c3d4e5f60"
MISSING = "00000000-0000-4000-8000-000000000001"


def counts() -> dict[str, int]:
    return {name: spec.model.objects.count() for name, spec in hsds.tables().items()}


def lines(report) -> list[str]:
    return [str(p) for p in report.problems]


def write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def before(db):
    """Something already in the directory, which a failed import must leave as it was."""
    assert import_hsds(EXAMPLES / "service_list.json").ok
    return counts()


def test_wrong_types_and_values_are_reported_field_by_field(tmp_path, before):
    path = write(
        tmp_path / "services.json",
        [
            {
                "id": SERVICE,
                "status": "open",
                "minimum_age": "twelve",
                "assured_date": "yesterday",
                "email": "nobody",
                "organization": {"id": "not-a-uuid", "name": "Comune di Lecco"},
                "phones": {"id": "x"},
                "schedules": [
                    {"id": "0b3b8d0a-4f65-4d1c-9b1f-8f0b1b9a2c01", "opens_at": "25:00", "freq": 7}
                ],
            }
        ],
    )

    report = import_hsds(path)

    assert lines(report) == [
        'services.json: $[0]: email: "nobody" is not an e-mail address',
        'services.json: $[0]: status: "open" is not one of: '
        "active, inactive, defunct, temporarily closed",
        'services.json: $[0]: minimum_age: "twelve" is not a number',
        'services.json: $[0]: assured_date: "yesterday" is not a date (YYYY-MM-DD)',
        'services.json: $[0]: phones: {"id": "x"} is not a list',
        "services.json: $[0]: name: required field missing",
        "services.json: $[0].schedules[0]: freq: 7 is not text",
        'services.json: $[0].schedules[0]: opens_at: "25:00" is not a time (HH:MM or HH:MM:SS)',
        'services.json: $[0].organization: id: "not-a-uuid" is not a UUID',
        "services.json: $[0].organization: description: required field missing",
        "services.json: $[0]: organization_id: required field missing",
    ]
    assert counts() == before


def test_a_service_without_its_organization_is_refused(tmp_path, db):
    path = write(tmp_path / "services.json", [{"id": SERVICE, "name": "Spesa", "status": "active"}])

    report = import_hsds(path)

    assert lines(report) == ["services.json: $[0]: organization_id: required field missing"]
    assert not Service.objects.exists()


def test_the_same_record_given_twice_differently_is_reported(tmp_path, db):
    phone = {"id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e", "number": "0341 123456"}
    path = write(
        tmp_path / "organizations.json",
        {
            "id": ORG,
            "name": "Comune di Lecco",
            "description": "Servizi sociali",
            "phones": [phone],
            "contacts": [
                {
                    "id": "1e7efce3-639b-4880-940c-b95cd30cdb50",
                    "phones": [{**phone, "number": "0341 1"}],
                }
            ],
        },
    )

    report = import_hsds(path)

    # Nested records are read in the standard's order: an organization's contacts first.
    assert lines(report) == [
        "organizations.json: $.phones[0]: number: "
        "differs from the same phone at $.contacts[0].phones[0]"
    ]
    assert not Organization.objects.exists()


def test_broken_references_in_a_csv_package_are_reported_by_row(tmp_path, before):
    (tmp_path / "organizations.csv").write_text(
        f"id,name,description\r\n{ORG},Comune di Lecco,Servizi sociali\r\n", encoding="utf-8"
    )
    (tmp_path / "services.csv").write_text(
        "id,organization_id,name,status,minimum_age\r\n"
        f"1f0e8a4c-7b6d-4e5f-8a9b-0c1d2e3f4a5b,{MISSING},Telefonia sociale,active,\r\n"
        f"2f0e8a4c-7b6d-4e5f-8a9b-0c1d2e3f4a5b,{ORG},Spesa a domicilio,,65+\r\n"
        "3f0e8a4c-7b6d-4e5f-8a9b-0c1d2e3f4a5b,,Trasporto,active,\r\n",
        encoding="utf-8",
    )
    (tmp_path / "service_at_location.csv").write_text(
        "id,service_id,location_id\r\n"
        f"4f0e8a4c-7b6d-4e5f-8a9b-0c1d2e3f4a5b,{SERVICE},{MISSING}\r\n",
        encoding="utf-8",
    )

    report = import_hsds(tmp_path)

    assert lines(report) == [
        'services.csv: row 3: minimum_age: "65+" is not a number',
        "services.csv: row 3: status: required field missing",
        "services.csv: row 4: organization_id: required field missing",
        f"services.csv: row 2: organization_id: no organization with id {MISSING} "
        "in the file or in the directory",
        f"service_at_location.csv: row 2: service_id: no service with id {SERVICE} "
        "in the file or in the directory",
        f"service_at_location.csv: row 2: location_id: no location with id {MISSING} "
        "in the file or in the directory",
    ]
    assert counts() == before


def test_a_reference_to_a_record_already_in_the_directory_is_fine(tmp_path, before):
    organization = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"  # from service_list.json
    (tmp_path / "services.csv").write_text(
        f"id,organization_id,name,status\r\n{SERVICE},{organization},Telefonia sociale,active\r\n",
        encoding="utf-8",
    )

    report = import_hsds(tmp_path)

    assert report.ok
    assert Service.objects.get(pk=SERVICE).organization.name == "Example Organization Inc."


def test_a_csv_file_without_a_required_column_is_reported_once(tmp_path, db):
    (tmp_path / "organizations.csv").write_text(
        f"id,name,colour\r\n{ORG},Comune di Lecco,blu\r\n", encoding="utf-8"
    )

    report = import_hsds(tmp_path)

    assert lines(report) == ["organizations.csv: header: description: required column missing"]
    assert [str(w) for w in report.warnings] == [
        "organizations.csv: header: colour: not a column of organization in HSDS 3.0: ignored"
    ]


def test_a_csv_row_with_too_many_cells_is_reported(tmp_path, db):
    (tmp_path / "organizations.csv").write_text(
        f"id,name,description\r\n{ORG},Comune di Lecco,Servizi,sociali\r\n", encoding="utf-8"
    )

    report = import_hsds(tmp_path)

    assert lines(report) == ["organizations.csv: row 2: 4 cells, but the header has 3 columns"]


def test_the_same_id_twice_in_a_table_is_reported(tmp_path, db):
    row = f"{ORG},Comune di Lecco,Servizi sociali\r\n"
    (tmp_path / "organizations.csv").write_text(f"id,name,description\r\n{row}{row}")

    report = import_hsds(tmp_path)

    assert lines(report) == ["organizations.csv: row 3: id: the same id is also at row 2"]


def test_bad_json_is_reported_with_its_line_and_column(tmp_path, before):
    path = write(tmp_path / "services.json", '[{"id": "x",\n  "name": "Spesa"\n  "status": 1}]')

    report = import_hsds(path)

    assert lines(report) == [
        "services.json: line 3, column 3: not valid JSON: Expecting ',' delimiter"
    ]
    assert counts() == before


def test_a_file_that_is_not_utf8_is_reported(tmp_path, db):
    (tmp_path / "organizations.csv").write_bytes(b"id,name,description\r\n1,Citt\xe0,x\r\n")

    assert lines(import_hsds(tmp_path)) == ["organizations.csv: not UTF-8 text"]


def test_a_json_file_of_unknown_records_is_refused_unless_told_what_it_holds(tmp_path, db):
    path = write(tmp_path / "export-2026.json", [{"id": ORG, "name": "Lecco", "description": "-"}])

    assert lines(import_hsds(path)) == [
        "export-2026.json: cannot tell which HSDS records this file holds: name it after them "
        "(services.json, organizations.json, …) or give --kind"
    ]
    assert import_hsds(path, kind="organization").ok


def test_a_missing_path_is_reported(tmp_path, db):
    assert lines(import_hsds(tmp_path / "nothing.json")) == [
        f"{tmp_path / 'nothing.json'}: no such file or directory"
    ]


def test_a_datapackage_cannot_point_outside_itself(tmp_path, db):
    write(
        tmp_path / "datapackage.json",
        {"resources": [{"name": "organization", "path": "../../etc/organizations.csv"}]},
    )

    assert lines(import_hsds(tmp_path / "datapackage.json")) == [
        "datapackage.json: $.resources[0]: path: only files inside the package are read"
    ]


def test_nothing_is_written_when_any_problem_is_found(tmp_path, before):
    """One bad row among good records: none of the good ones is written either."""
    data = example_services()
    data[0]["schedules"][0]["count"] = "three"
    path = write(tmp_path / "services.json", data)

    report = import_hsds(path)

    assert lines(report) == ['services.json: $[0].schedules[0]: count: "three" is not a number']
    assert counts() == before
    assert not HsdsImport.objects.filter(source="services.json").exists()


def example_services() -> list:
    return [json.loads((EXAMPLES / "service_full.json").read_text(encoding="utf-8"))]
