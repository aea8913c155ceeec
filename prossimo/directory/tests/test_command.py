"""`prossimo hsds import PATH` and `prossimo hsds export DIR`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from prossimo.directory.models import HsdsImport, Service
from prossimo.directory.tests.conftest import EXAMPLES

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("hsds", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_says_what_it_wrote_and_warns_about_links_kept_as_given():
    out, err = run("import", str(EXAMPLES / "service_list.json"))

    assert out.splitlines() == [
        "service_list.json imported: 3 record(s) created, 0 updated.",
        "  organization: 1 created, 0 updated",
        "  program: 1 created, 0 updated",
        "  service: 1 created, 0 updated",
    ]
    assert err.splitlines() == [
        "warning: service_list.json: $.contents[0].organization: parent_organization_id: "
        "no organization with id cd09a387-91f4-4555-94ec-e799c35344cd in the file or in the "
        "directory: the link is kept as given"
    ]
    assert Service.objects.count() == 1


def test_import_of_a_malformed_file_fails_with_every_problem_and_writes_nothing(tmp_path):
    path = tmp_path / "services.json"
    path.write_text(json.dumps([{"id": "x", "status": "open"}]), encoding="utf-8")

    with pytest.raises(CommandError) as failure:
        run("import", str(path))

    assert str(failure.value).splitlines() == [
        "services.json: 3 problem(s), nothing imported:",
        'services.json: $[0]: id: "x" is not a UUID',
        'services.json: $[0]: status: "open" is not one of: '
        "active, inactive, defunct, temporarily closed",
        "services.json: $[0]: name: required field missing",
    ]
    assert not HsdsImport.objects.exists()


def test_import_as_a_user_who_may_not_is_refused(volunteer):
    with pytest.raises(CommandError, match="volunteer may not import"):
        run("import", str(EXAMPLES / "service_list.json"), "--as", "volunteer")


def test_import_as_an_administrator_records_who(administrator):
    run("import", str(EXAMPLES / "organization_list.json"), "--as", "administrator")

    assert HsdsImport.objects.get().imported_by == administrator


def test_import_with_a_kind_reads_a_file_of_any_name(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes((EXAMPLES / "organization_list.json").read_bytes())

    out, _err = run("import", str(path), "--kind", "organization")

    assert out.startswith("export.json imported: 1 record(s) created")


def test_export_writes_the_three_parts(tmp_path):
    run("import", str(EXAMPLES / "service_full.json"))

    out, _err = run("export", str(tmp_path / "hsds"))

    assert out == f"1 service(s) and 1 organization(s) written to {tmp_path / 'hsds'}.\n"
    assert sorted(p.name for p in (tmp_path / "hsds").iterdir()) == [
        "csv",
        "organizations.json",
        "services.json",
    ]
    assert len(list((tmp_path / "hsds" / "csv").glob("*.csv"))) == 21
    assert (tmp_path / "hsds" / "csv" / "datapackage.json").is_file()
