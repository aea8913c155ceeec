"""`import_hsds`: what an import writes, keeps, infers and records."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied

from prossimo.directory.models import (
    Attribute,
    HsdsImport,
    Location,
    Organization,
    Program,
    Service,
    TaxonomyTerm,
)
from prossimo.directory.services import import_hsds
from prossimo.directory.tests.conftest import EXAMPLES

pytestmark = pytest.mark.django_db

ORG = "8d7c2c4e-8f2b-4a47-9a4f-1b2c3d4e5f60"
SERVICE = "5b3e2f7e-52f9-4d3c-a7c4-0c5c8e3d2a11"


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def organization(**fields) -> dict:
    return {"id": ORG, "name": "Comune di Lecco", "description": "Servizi sociali", **fields}


def test_every_official_example_imports(db):
    for name in [
        "service_full.json", "organization_full.json", "service_at_location_full.json",
        "service_list.json", "organization_list.json", "service_at_location_list.json",
        "location.json", "taxonomy.json", "taxonomy_list.json", "taxonomy_term.json",
        "taxonomy_term_list.json", "tabular.json", "csv",
    ]:  # fmt: skip
        report = import_hsds(EXAMPLES / name)
        assert report.ok, (name, [str(p) for p in report.problems])


def test_an_import_writes_every_table_of_the_example_with_its_ids(db):
    report = import_hsds(EXAMPLES / "service_full.json")

    assert set(report.created.values()) == {1}
    assert len(report.created) == 20  # every table but meta_table_description
    service = Service.objects.select_related("organization", "program").get()
    assert str(service.pk) == "ac148810-d857-441c-9679-408f346de14b"
    assert service.minimum_age == 12
    assert service.assured_date == dt.date(2005, 1, 1)
    assert service.last_modified == dt.datetime(2023, 3, 15, 10, 30, 45, 123000, tzinfo=dt.UTC)
    assert service.organization.name == "Example Organization Inc."
    assert service.program.organization == service.organization


def test_optional_links_to_records_we_dont_hold_are_kept_with_a_warning(db):
    report = import_hsds(EXAMPLES / "csv")

    location = Location.objects.get()
    assert location.organization_id == uuid.UUID("985e4a42-bd9f-4edc-911d-0243a4640aca")
    assert not Organization.objects.filter(pk=location.organization_id).exists()
    assert (
        "locations.csv: row 2: organization_id: no organization with id "
        "985e4a42-bd9f-4edc-911d-0243a4640aca in the file or in the directory: "
        "the link is kept as given"
    ) in [str(w) for w in report.warnings]


def test_a_field_the_input_leaves_out_keeps_its_value_an_empty_one_clears_it(tmp_path, db):
    import_hsds(write(tmp_path / "organizations.json", organization(email="a@b.it", tax_id="1")))

    assert import_hsds(write(tmp_path / "organizations.json", organization(email=""))).ok

    org = Organization.objects.get()
    assert (org.email, org.tax_id) == ("", "1")


def test_a_csv_column_left_out_keeps_its_values(tmp_path, db):
    import_hsds(write(tmp_path / "organizations.json", organization(tax_id="IT123")))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "organizations.csv").write_text(
        f"id,name,description\r\n{ORG},Comune di Lecco,Nuova descrizione\r\n", encoding="utf-8"
    )

    report = import_hsds(tmp_path / "pkg")

    assert report.updated == {"organization": 1}
    org = Organization.objects.get()
    assert (org.description, org.tax_id) == ("Nuova descrizione", "IT123")


def test_a_program_nested_in_a_service_belongs_to_the_services_organization(db):
    import_hsds(EXAMPLES / "service_list.json")

    assert Program.objects.get().organization == Service.objects.get().organization


def test_a_nested_attribute_links_to_its_record_and_names_its_table(tmp_path, db):
    term = {"id": str(uuid.uuid4()), "name": "Spesa", "description": "Consegna della spesa"}
    service = {
        "id": SERVICE,
        "name": "Spesa a domicilio",
        "status": "active",
        "organization": organization(),
        "attributes": [{"id": str(uuid.uuid4()), "taxonomy_term": term}],
    }

    assert import_hsds(write(tmp_path / "services.json", [service])).ok

    attribute = Attribute.objects.get()
    assert (str(attribute.link_id), attribute.link_entity) == (SERVICE, "service")
    assert attribute.taxonomy_term == TaxonomyTerm.objects.get()


def test_a_date_and_time_without_offset_is_read_in_local_time(tmp_path, db):
    service = {
        "id": SERVICE,
        "name": "Spesa",
        "status": "active",
        "last_modified": "2026-01-15T09:00:00",
        "organization": organization(),
    }

    import_hsds(write(tmp_path / "services.json", [service]))

    assert Service.objects.get().last_modified == dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)


def test_fields_outside_the_standard_are_ignored_with_one_warning_each(tmp_path, db):
    data = [organization(colour="blu"), {**organization(colour="rosso"), "id": str(uuid.uuid4())}]

    report = import_hsds(write(tmp_path / "organizations.json", data))

    assert report.ok
    assert [str(w) for w in report.warnings] == [
        "organizations.json: $[0]: colour: not a field of organization in HSDS 3.0: ignored"
    ]


def test_an_import_is_recorded_with_its_counts_and_audited(administrator):
    report = import_hsds(EXAMPLES / "organization_list.json", actor=administrator)

    record = HsdsImport.objects.get()
    assert record == report.record
    assert (record.source, record.imported_by, record.created) == (
        "organization_list.json",
        administrator,
        {"organization": 1},
    )
    entry = LogEntry.objects.get(object_pk=str(record.pk))
    assert entry.actor == administrator
    assert entry.additional_data["event"] == "directory.hsds.imported"


@pytest.mark.parametrize(
    "role",
    [
        "volunteer",
        "proximity_operator",
        "social_worker",
        "coordinator",
        "monitoring_officer",
        "outsider",
    ],
)
def test_only_administrators_import(cast, role):
    with pytest.raises(PermissionDenied):
        import_hsds(EXAMPLES / "organization_list.json", actor=cast[role])
    assert not Organization.objects.exists()


def test_an_import_takes_a_fixed_number_of_queries(django_assert_max_num_queries, db):
    with django_assert_max_num_queries(75):
        assert import_hsds(EXAMPLES / "service_full.json").ok


def test_an_imports_queries_dont_grow_with_its_records(tmp_path, django_assert_max_num_queries, db):
    services = [
        {
            "id": str(uuid.uuid4()),
            "name": f"Servizio {i}",
            "status": "active",
            "organization": organization(),
            "phones": [{"id": str(uuid.uuid4()), "number": f"0341 {i:06}"}],
            "schedules": [{"id": str(uuid.uuid4()), "freq": "WEEKLY", "byday": "MO"}],
        }
        for i in range(40)
    ]

    with django_assert_max_num_queries(50):
        assert import_hsds(write(tmp_path / "services.json", services)).ok
    assert Service.objects.count() == 40
