"""Loading and refreshing ISTAT's list of municipalities (service and command)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from prossimo.territory.models import Ambito, Municipality, Organisation, Province, Region
from prossimo.territory.services import (
    PACKAGED_ISTAT_FILE,
    TerritoryFileError,
    load_istat_municipalities,
)

pytestmark = pytest.mark.django_db

# Columns of ISTAT's "Elenco comuni italiani" used to build modified files.
ISTAT_CODE, NAME_ALL, NAME_IT, NUMERIC_CODE, CADASTRAL = 4, 5, 6, 15, 19


@functools.cache
def _packaged() -> tuple[list[str], dict[str, list[str]]]:
    with PACKAGED_ISTAT_FILE.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        header = next(reader)
        return header, {row[ISTAT_CODE]: row for row in reader if row}


def istat_row(istat_code: str, /, **changes: str) -> list[str]:
    """A copy of the packaged row of this ISTAT code, with some columns changed."""
    row = list(_packaged()[1][istat_code])
    columns = {"code": ISTAT_CODE, "cadastral": CADASTRAL, "numeric": NUMERIC_CODE}
    for key, value in changes.items():
        if key == "name":
            row[NAME_ALL] = row[NAME_IT] = value
        else:
            row[columns[key]] = value
    return row


def write_istat(
    path: Path, rows: list[list[str]], *, header: list[str] | None = None, encoding="utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(header or _packaged()[0])
        writer.writerows(rows)
    return path


def municipality(code: str) -> Municipality:
    return Municipality.objects.select_related("province__region").get(istat_code=code)


LECCO, MONZA, VIMERCATE = "097042", "108033", "108050"


@pytest.fixture
def empty_territory(territory):
    """No territory at all (inside the test's transaction, rolled back afterwards)."""
    Ambito.municipalities.through.objects.all().delete()
    Organisation.municipalities.through.objects.all().delete()
    Municipality.objects.all().delete()
    Province.objects.all().delete()
    Region.objects.all().delete()


def test_packaged_list_loads_20_regions_107_provinces_and_7896_municipalities(empty_territory):
    report = load_istat_municipalities()

    assert (Region.objects.count(), Province.objects.count(), Municipality.objects.count()) == (
        20,
        107,
        7896,
    )
    assert report.created == 7896
    assert not Municipality.objects.filter(is_active=False).exists()


@pytest.mark.parametrize(
    ("name", "istat_code", "cadastral_code", "province", "abbreviation"),
    [
        ("Lecco", "097042", "E507", "Lecco", "LC"),
        ("Monza", "108033", "F704", "Monza e della Brianza", "MB"),
        ("Vimercate", "108050", "M052", "Monza e della Brianza", "MB"),
        ("Forlì", "040012", "D704", "Forlì-Cesena", "FC"),
    ],
)
def test_known_municipalities_have_their_istat_and_cadastral_codes(
    territory, name, istat_code, cadastral_code, province, abbreviation
):
    m = Municipality.objects.select_related("province__region").get(name=name)

    assert (m.istat_code, m.cadastral_code) == (istat_code, cadastral_code)
    assert (m.province.name, m.province.abbreviation) == (province, abbreviation)
    assert m.province.region.name == "Lombardia" or abbreviation == "FC"
    assert m.label == f"{name} ({abbreviation})"


def test_reloading_the_same_list_changes_nothing(territory, django_assert_max_num_queries):
    before = list(Municipality.objects.order_by("pk").values_list())

    with django_assert_max_num_queries(10):
        report = load_istat_municipalities()

    assert (report.created, report.updated, report.deactivated) == (0, 0, 0)
    assert list(Municipality.objects.order_by("pk").values_list()) == before
    assert (Region.objects.count(), Province.objects.count()) == (20, 107)


def test_refresh_renames_a_municipality(territory, tmp_path):
    lecco_pk = municipality(LECCO).pk
    path = write_istat(
        tmp_path / "istat.csv", [istat_row(LECCO, name="Lecco sul Lario"), istat_row(MONZA)]
    )

    report = load_istat_municipalities(path)

    renamed = municipality(LECCO)
    assert (renamed.pk, renamed.name, renamed.name_search) == (
        lecco_pk,
        "Lecco sul Lario",
        "lecco sul lario",
    )
    assert report.updated == 1


def test_refresh_deactivates_a_missing_municipality_instead_of_deleting_it(territory, tmp_path):
    from prossimo.people.tests.factories import PersonFactory

    person = PersonFactory(municipality=municipality(VIMERCATE))
    path = write_istat(tmp_path / "istat.csv", [istat_row(LECCO), istat_row(MONZA)])

    load_istat_municipalities(path)

    vimercate = municipality(VIMERCATE)
    assert vimercate.is_active is False
    person.refresh_from_db()
    assert person.municipality_id == vimercate.pk
    assert municipality(LECCO).is_active and municipality(MONZA).is_active


def test_refresh_adds_a_new_municipality(territory, tmp_path):
    new = istat_row(LECCO, code="097099", numeric="97099", cadastral="M999", name="Nuovo Borgo")
    path = write_istat(tmp_path / "istat.csv", [istat_row(LECCO), new])

    report = load_istat_municipalities(path)

    added = municipality("097099")
    assert (added.name, added.cadastral_code, added.province.abbreviation) == (
        "Nuovo Borgo",
        "M999",
        "LC",
    )
    assert added.is_active
    assert report.created == 1


def test_municipality_back_in_the_list_is_reactivated(territory, tmp_path):
    load_istat_municipalities(write_istat(tmp_path / "a.csv", [istat_row(LECCO)]))
    assert municipality(MONZA).is_active is False

    load_istat_municipalities(write_istat(tmp_path / "b.csv", [istat_row(LECCO), istat_row(MONZA)]))

    assert municipality(MONZA).is_active is True


def test_renumbered_municipality_keeps_its_row_and_stays_active(territory, tmp_path):
    """ISTAT renumbers a municipality that changes province; its cadastral code stays."""
    old = municipality(LECCO)
    path = write_istat(tmp_path / "istat.csv", [istat_row(LECCO, code="097142")])

    load_istat_municipalities(path)

    renumbered = Municipality.objects.get(pk=old.pk)
    assert (renumbered.istat_code, renumbered.cadastral_code) == ("097142", "E507")
    assert renumbered.is_active is True
    assert not Municipality.objects.filter(istat_code=LECCO).exists()


def test_a_windows_1252_file_as_istat_publishes_it_is_read(territory, tmp_path):
    path = write_istat(
        tmp_path / "istat.csv", [istat_row(LECCO, name="Leccò di prova")], encoding="cp1252"
    )

    load_istat_municipalities(path)

    assert municipality(LECCO).name == "Leccò di prova"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "no municipalities"),
        ([["03", "097"]], "Line 5: too few columns"),
        ([istat_row(MONZA, code="10803")], "Line 5: bad ISTAT code '10803'"),
        ([istat_row(MONZA, cadastral="F70")], "Line 5: bad cadastral code 'F70'"),
        ([istat_row(MONZA, name="")], "Line 5: the municipality has no name"),
        ([istat_row(MONZA, code=LECCO)], "Line 5: ISTAT code 097042 already on line 4"),
        ([istat_row(MONZA, cadastral="E507")], "Line 5: cadastral code E507 already on line 4"),
    ],
    ids=[
        "header only",
        "short line",
        "bad ISTAT code",
        "bad cadastral code",
        "no name",
        "duplicate ISTAT code",
        "duplicate cadastral code",
    ],
)
def test_malformed_file_raises_a_clear_error_and_changes_nothing(
    territory, tmp_path, rows, message
):
    # The first row is valid: nothing of it may be applied when a later row is wrong.
    first = [] if not rows else [istat_row(LECCO, name="Lecco cambiato")]
    path = write_istat(tmp_path / "istat.csv", [*first, *rows])

    with pytest.raises(TerritoryFileError, match=message):
        load_istat_municipalities(path)

    assert municipality(LECCO).name == "Lecco"
    assert not Municipality.objects.filter(is_active=False).exists()


def test_empty_file_is_refused(territory, tmp_path):
    path = tmp_path / "istat.csv"
    path.write_text("")

    with pytest.raises(TerritoryFileError, match="The ISTAT file is empty"):
        load_istat_municipalities(path)


def test_file_without_an_expected_column_is_refused(territory, tmp_path):
    header = [h.replace("Codice Catastale del comune", "Catasto") for h in _packaged()[0]]
    path = write_istat(tmp_path / "istat.csv", [istat_row(LECCO)], header=header)

    with pytest.raises(TerritoryFileError, match=r"Column missing.*codice catastale del comune"):
        load_istat_municipalities(path)


def test_file_whose_codes_clash_with_loaded_municipalities_changes_nothing(territory, tmp_path):
    """Vimercate may not take Monza's cadastral code while Monza (now inactive) holds it."""
    path = write_istat(
        tmp_path / "istat.csv",
        [istat_row(LECCO, name="Lecco cambiato"), istat_row(VIMERCATE, cadastral="F704")],
    )

    with pytest.raises(TerritoryFileError, match="clash with municipalities already loaded"):
        load_istat_municipalities(path)

    assert municipality(LECCO).name == "Lecco"
    assert municipality(VIMERCATE).cadastral_code == "M052"
    assert municipality(MONZA).is_active is True


# --- the command ---------------------------------------------------------------------------


def test_command_loads_a_newer_file_given_with_file(territory, tmp_path, capsys):
    path = write_istat(tmp_path / "istat.csv", [istat_row(LECCO, name="Lecco sul Lario")])

    call_command("load_territory", "--file", str(path))

    assert municipality(LECCO).name == "Lecco sul Lario"
    assert "1 updated" in capsys.readouterr().out


def test_command_with_if_empty_leaves_a_loaded_territory_alone(territory, tmp_path, capsys):
    path = write_istat(tmp_path / "istat.csv", [istat_row(LECCO, name="Lecco sul Lario")])

    call_command("load_territory", "--if-empty", "--file", str(path))

    assert municipality(LECCO).name == "Lecco"
    assert "already loaded" in capsys.readouterr().out


def test_command_with_if_empty_loads_an_empty_territory(empty_territory, tmp_path):
    path = write_istat(tmp_path / "istat.csv", [istat_row(LECCO), istat_row(MONZA)])

    call_command("load_territory", "--if-empty", "--file", str(path))

    assert set(Municipality.objects.values_list("name", flat=True)) == {"Lecco", "Monza"}


def test_command_reports_a_missing_file(territory, tmp_path):
    with pytest.raises(CommandError, match="File not found"):
        call_command("load_territory", "--file", str(tmp_path / "nope.csv"))


def test_command_reports_a_malformed_file(territory, tmp_path):
    path = write_istat(tmp_path / "istat.csv", [istat_row(LECCO, cadastral="5507")])

    with pytest.raises(CommandError, match="bad cadastral code '5507'"):
        call_command("load_territory", "--file", str(path))
