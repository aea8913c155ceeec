"""The standard's examples import without loss: import → export → the same content.

The comparison normalises only what the standard says is not data, each normalisation here:
1. key order: records compare as dicts;
2. the order of records in a list: lists of records are compared sorted by id (HSDS has no
   order field; Prossimo writes nested records by id);
3. a time of day: "10:00" (location.json) and "10:00:00" (what Prossimo writes, the tabular
   form's time format) are the same time;
4. the list examples (`*_list.json`) hold brief records, as the standard's list endpoints give
   only one-to-one fields: each must be contained, field by field, in the full record Prossimo
   exports, which also nests what it knows (e.g. an organization's programs);
5. tabular rows compare as text, as CSV holds them: in tabular.json a number (12) is the cell
   "12", and a column the example leaves out is an empty cell.
Nothing else: no field may be dropped, renamed, retyped or changed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from prossimo.directory import hsds
from prossimo.directory.models import Organization, Phone, Service
from prossimo.directory.services import export_hsds, import_hsds
from prossimo.directory.tests.conftest import EXAMPLES, example

pytestmark = pytest.mark.django_db

_TIME = re.compile(r"^\d\d:\d\d$")


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalise(v) for v in value]
        if all(isinstance(i, dict) and "id" in i for i in items):
            items.sort(key=lambda i: i["id"])
        return items
    if isinstance(value, str) and _TIME.match(value):
        return dt.time.fromisoformat(value).isoformat()
    return value


def assert_contains(full: Any, brief: Any, path: str = "$") -> None:
    if isinstance(brief, dict):
        assert isinstance(full, dict), path
        for key, value in brief.items():
            assert key in full, f"{path}.{key} missing from the export"
            assert_contains(full[key], value, f"{path}.{key}")
    elif isinstance(brief, list):
        assert isinstance(full, list) and len(full) == len(brief), path
        for i, (a, b) in enumerate(zip(full, brief, strict=True)):
            assert_contains(a, b, f"{path}[{i}]")
    else:
        assert full == brief, f"{path}: {full!r} != {brief!r}"


def imported(name: str) -> hsds.Snapshot:
    report = import_hsds(EXAMPLES / name)
    assert report.ok, [str(p) for p in report.problems]
    return hsds.Snapshot()


def exported(tmp_path: Path, name: str) -> Any:
    return json.loads((tmp_path / name).read_text(encoding="utf-8"))


def test_service_full_comes_back_whole_in_services_json(tmp_path):
    imported("service_full.json")
    export_hsds(tmp_path)

    assert normalise(exported(tmp_path, "services.json")) == [
        normalise(example("service_full.json"))
    ]


def test_organization_full_comes_back_whole_in_organizations_json(tmp_path):
    imported("organization_full.json")
    export_hsds(tmp_path)

    assert normalise(exported(tmp_path, "organizations.json")) == [
        normalise(example("organization_full.json"))
    ]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("service_at_location_full.json", "service_at_location"),
        ("location.json", "location"),
        ("taxonomy.json", "taxonomy"),
        ("taxonomy_term.json", "taxonomy_term"),
    ],
)
def test_a_full_record_comes_back_whole(name, table):
    snapshot = imported(name)

    assert normalise(snapshot.top(table)) == [normalise(example(name))]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("service_list.json", "service"),
        ("organization_list.json", "organization"),
        ("service_at_location_list.json", "service_at_location"),
        ("taxonomy_list.json", "taxonomy"),
        ("taxonomy_term_list.json", "taxonomy_term"),
    ],
)
def test_a_list_example_is_contained_in_the_full_records(name, table):
    snapshot = imported(name)

    assert_contains(normalise(snapshot.top(table)), normalise(example(name)["contents"]))


def test_the_service_list_example_gains_only_the_program_of_its_organization(tmp_path):
    """What the full export adds to a brief record is what it knows, nothing invented."""
    imported("service_list.json")
    export_hsds(tmp_path)
    service = exported(tmp_path, "services.json")[0]
    brief = example("service_list.json")["contents"][0]

    assert service["organization"].pop("programs") == [brief["program"]]
    assert service == brief


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        rows = sorted(reader, key=lambda r: r["id"])
        return list(reader.fieldnames or []), rows


def test_the_csv_package_comes_back_file_by_file(tmp_path):
    imported("csv")
    export_hsds(tmp_path)

    originals = sorted((EXAMPLES / "csv").glob("*.csv"))
    assert len(originals) == len(hsds.tables())
    for original in originals:
        assert read_rows(tmp_path / "csv" / original.name) == read_rows(original), original.name


def test_the_csv_package_is_written_with_the_examples_bytes(tmp_path):
    """Same header order, quoting and CRLF line ends as the standard's files."""
    imported("csv")
    export_hsds(tmp_path)

    for original in (EXAMPLES / "csv").glob("*.csv"):
        assert (tmp_path / "csv" / original.name).read_bytes() == original.read_bytes()


def as_cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def test_the_tabular_json_example_comes_back_as_the_same_rows(tmp_path):
    imported("tabular.json")
    export_hsds(tmp_path)
    tabular = example("tabular.json")

    for spec in hsds.tables().values():
        _header, rows = read_rows(tmp_path / "csv" / spec.path)
        given = tabular.get(spec.path, [])
        expected = [
            {c.name: as_cell(row.get(c.name)) for c in spec.columns}
            for row in sorted(given, key=lambda r: r["id"])
        ]
        assert rows == expected, spec.path


@pytest.mark.parametrize("source", ["service_full.json", "organization_full.json", "csv"])
def test_importing_the_same_data_again_changes_nothing(source, tmp_path):
    first = import_hsds(EXAMPLES / source)
    export_hsds(tmp_path / "first")
    counts = {t: s.model.objects.count() for t, s in hsds.tables().items()}

    again = import_hsds(EXAMPLES / source)
    export_hsds(tmp_path / "again")

    assert again.ok
    assert sum(again.created.values()) == 0
    assert again.updated == {t: first.created[t] + first.updated[t] for t in first.created}
    assert {t: s.model.objects.count() for t, s in hsds.tables().items()} == counts
    for name in ("services.json", "organizations.json"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_the_examples_json_and_tabular_forms_merge_into_the_same_records():
    """The shared phone of service_full.json (nested under five records) is one row linked to
    all five, as in phones.csv."""
    imported("service_full.json")
    phone = Phone.objects.get()

    assert (phone.service.name, phone.organization.name) == (
        "Community Counselling",
        "Example Organization Inc.",
    )
    assert phone.location_id and phone.contact_id and phone.service_at_location_id


@pytest.mark.parametrize("form", ["json", "csv"])
def test_an_export_imports_back_into_an_empty_directory_unchanged(
    form, tmp_path, django_db_blocker
):
    imported("organization_full.json")
    imported("service_list.json")
    export_hsds(tmp_path / "first")
    from django.db import connection

    with connection.cursor():
        for name in hsds.WRITE_ORDER[::-1]:
            hsds.tables()[name].model.objects.all().delete()
    assert not Service.objects.exists() and not Organization.objects.exists()

    if form == "json":
        assert import_hsds(tmp_path / "first" / "organizations.json").ok
        assert import_hsds(tmp_path / "first" / "services.json").ok
    else:
        assert import_hsds(tmp_path / "first").ok
    export_hsds(tmp_path / "again")

    for name in ("services.json", "organizations.json"):
        assert exported(tmp_path / "again", name) == exported(tmp_path / "first", name), name
