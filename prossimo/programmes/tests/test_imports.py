"""Referrals from a spreadsheet: reading files, the row-by-row preview, confirming, the pages."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from prossimo.core.testing import italian
from prossimo.people.models import Person
from prossimo.people.tests.factories import PersonFactory, fiscal_code_for
from prossimo.programmes import imports
from prossimo.programmes.imports import RowStatus
from prossimo.programmes.models import Enrolment, Programme
from prossimo.territory.models import Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, logged in as `user`."""

    def login(user):
        client.force_login(user)
        return client

    return login


HEADER = list(imports.COLUMN_NAMES)
NOT_A_SPREADSHEET = "The file is neither a CSV nor an XLSX spreadsheet."
GONE = (
    "This import is no longer available: it was cancelled, or it waited too long. "
    "Upload the file again."
)


def text_of(response) -> str:
    """The page's text as a person reads it: no tags, entities decoded, spaces collapsed."""
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.PROSSIMO_IMPORT_DIR = tmp_path / "imports"
    return settings.PROSSIMO_IMPORT_DIR


def row(**values) -> dict[str, str]:
    """A row of the file for Giuseppe Verdi of Lecco, with `values` changed."""
    data = {
        "nome": "Giuseppe",
        "cognome": "Verdi",
        "codice_fiscale": "",
        "data_nascita": "12/05/1940",
        "sesso": "M",
        "comune": "Lecco",
        "indirizzo": "Via Roma 1",
        "telefono": "333 765 4321",
        "motivo": "Vive solo",
        "note_fragilita": "",
        "orari_preferiti": "mattina",
        "consenso": "si",
    }
    data.update(values)
    return data


def csv_bytes(rows, *, delimiter=";", bom=True, header=HEADER) -> bytes:
    lines = [delimiter.join(header)]
    lines += [delimiter.join(r.get(name, "") for name in header) for r in rows]
    text = "\r\n".join(lines) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def xlsx_bytes(rows, *, header=HEADER, cell=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.append(header)
    for r in rows:
        sheet.append(
            [(cell or (lambda name, value: value))(name, r.get(name, "")) for name in header]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- reading files ---------------------------------------------------------------------


def test_a_csv_with_semicolons_and_a_bom_is_read():
    sheet = imports.read_spreadsheet(csv_bytes([row(), row(nome="Anna")]))
    assert [r["nome"] for r in sheet.rows] == ["Giuseppe", "Anna"]
    assert [r["_row"] for r in sheet.rows] == ["2", "3"]
    assert sheet.ignored_columns == []


def test_a_csv_with_commas_and_no_bom_is_read():
    sheet = imports.read_spreadsheet(
        csv_bytes([row(motivo="Solo, senza figli")], delimiter=",", bom=False).replace(
            b"Solo, senza figli", b'"Solo, senza figli"'
        )
    )
    assert sheet.rows[0]["motivo"] == "Solo, senza figli"


def test_a_windows_1252_csv_from_italian_excel_is_read():
    content = csv_bytes([row(cognome="Nicolò")], bom=False).decode("utf-8").encode("cp1252")
    assert imports.read_spreadsheet(content).rows[0]["cognome"] == "Nicolò"


def test_headers_are_matched_loosely_and_unknown_columns_named():
    header = ["Nome", "Cognome", "Codice Fiscale", "Data di nascita", "Comune", "Motivo", "Età"]
    content = csv_bytes(
        [{"Nome": "Anna", "Cognome": "Neri", "Comune": "Lecco", "Motivo": "x", "Età": "80"}],
        header=header,
    )
    sheet = imports.read_spreadsheet(content)
    assert sheet.rows[0]["nome"] == "Anna"
    assert sheet.ignored_columns == ["eta"]


def test_an_xlsx_is_read_with_dates_and_numbers_as_typed():
    content = xlsx_bytes(
        [row(data_nascita=dt.date(1940, 5, 12), comune=97042, telefono=3337654321)]
    )
    (read,) = imports.read_spreadsheet(content).rows
    assert read["data_nascita"] == "12/05/1940"
    assert read["comune"] == "97042"
    assert read["telefono"] == "3337654321"


def test_blank_rows_are_skipped_and_row_numbers_kept():
    content = csv_bytes([row(), {}, row(nome="Anna")])
    assert [r["_row"] for r in imports.read_spreadsheet(content).rows] == ["2", "4"]


MISSING = (
    "Row %(row)s should name the columns, and these are missing: %(missing)s. "
    "Start from the template."
)


@pytest.mark.parametrize(
    ("content", "message", "params"),
    [
        (b"%PDF-1.4\x00\x01\x02 binary", NOT_A_SPREADSHEET, {}),
        (
            b"PK\x03\x04 not really a zip",
            "The file could not be read as an XLSX spreadsheet: save it again from Excel.",
            {},
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel",
            "Old Excel files (.xls) cannot be read: save the file as .xlsx or as CSV.",
            {},
        ),
        (b"", "The file is empty.", {}),
        (b"nome;cognome;comune\r\nAnna;Neri;Lecco\r\n", MISSING, {"row": 1, "missing": "motivo"}),
        (b"nome;cognome;comune;motivo\r\n", "The file has no rows under the column names.", {}),
    ],
)
def test_a_file_that_is_not_a_usable_spreadsheet_is_refused_with_a_clear_message(
    content, message, params
):
    with pytest.raises(ValidationError) as exc:
        imports.read_spreadsheet(content)
    assert exc.value.messages == [italian(message, **params)]


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    with pytest.raises(ValidationError) as exc:
        imports.read_spreadsheet(csv_bytes([row(nome=f"N{i}") for i in range(4)]))
    assert exc.value.messages == [
        italian("The file has more than %(max)s rows: split it into smaller files.", max="3")
    ]
    assert len(imports.read_spreadsheet(csv_bytes([row()] * 3)).rows) == 3


def test_a_file_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValidationError) as exc:
        imports.read_spreadsheet(csv_bytes([row()] * 5))
    assert exc.value.code == "too_large"


def test_the_templates_have_the_columns_and_no_rows():
    assert imports.template_csv().startswith("\ufeffnome;cognome;".encode())
    sheet = load_workbook(io.BytesIO(imports.template_xlsx())).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    with pytest.raises(ValidationError) as exc:
        imports.read_spreadsheet(imports.template_xlsx())
    assert exc.value.code == "no_rows"


# --- the preview -------------------------------------------------------------------------


def preview(actor, programme, rows):
    return imports.preview_rows(actor, programme=programme, rows=[dict(r) for r in rows])


def test_good_rows_and_rows_with_errors_side_by_side_and_nothing_is_written(
    social_worker, telefonia
):
    rows = [
        row(),
        row(nome="Anna", data_nascita="31/02/1940", sesso="X", telefono="12"),
        row(nome="Carla", comune="Lecchio"),
        row(nome="Dora", motivo="", consenso="forse"),
        row(nome="Elsa", comune="097042", consenso="da chiedere", telefono=""),
    ]
    previews = preview(social_worker, telefonia, rows)
    assert [p.status for p in previews] == [
        RowStatus.NEW,
        RowStatus.ERROR,
        RowStatus.ERROR,
        RowStatus.ERROR,
        RowStatus.NEW,
    ]
    assert set(previews[1].errors) == {"data_nascita", "sesso", "telefono"}
    assert "Lecchio" in previews[2].errors["comune"][0]
    assert set(previews[3].errors) == {"motivo", "consenso"}
    assert previews[4].municipality.name == "Lecco"
    assert previews[4].referral.consent == Enrolment.Consent.TO_ASK
    assert previews[0].organisation.name == "Cooperativa A"
    assert not Person.objects.filter(last_name="Verdi").exists()
    assert not Enrolment.objects.exists()


def test_a_wrong_fiscal_code_is_an_error_of_its_column(social_worker, telefonia):
    (p,) = preview(social_worker, telefonia, [row(codice_fiscale="RSSMRA40A01E507X")])
    assert p.status == RowStatus.ERROR
    assert "codice_fiscale" in p.errors


def test_a_registered_fiscal_code_refers_that_person(social_worker, telefonia, person_a):
    (p,) = preview(
        social_worker,
        telefonia,
        [
            row(
                nome=person_a.first_name,
                cognome=person_a.last_name,
                sesso="F",
                data_nascita=person_a.birth_date.strftime("%d/%m/%Y"),
                codice_fiscale=person_a.fiscal_code,
                telefono="",
            )
        ],
    )
    assert p.status == RowStatus.EXISTING
    assert p.existing == person_a


def test_a_person_already_in_the_programme_is_an_error(social_worker, referral, person_a):
    (p,) = preview(
        social_worker,
        referral.programme,
        [
            row(
                nome=person_a.first_name,
                cognome=person_a.last_name,
                sesso="F",
                data_nascita=person_a.birth_date.strftime("%d/%m/%Y"),
                codice_fiscale=person_a.fiscal_code,
                telefono="",
            )
        ],
    )
    assert p.status == RowStatus.ERROR
    assert p.error_list() == [
        italian(
            "%(name)s is already referred to or in charge of this programme.",
            name=person_a.full_name,
        )
    ]


def test_a_fiscal_code_registered_elsewhere_is_an_error(social_worker, telefonia, person_b):
    lecco = Municipality.objects.get(name="Lecco")
    code = person_b.fiscal_code
    (p,) = preview(
        social_worker,
        telefonia,
        [
            row(
                nome=person_b.first_name,
                cognome=person_b.last_name,
                sesso="F",
                data_nascita=person_b.birth_date.strftime("%d/%m/%Y"),
                codice_fiscale=code,
                comune=lecco.name,
                telefono="",
            )
        ],
    )
    assert p.status == RowStatus.ERROR
    assert p.errors["codice_fiscale"] == [
        italian(
            "A person with this codice fiscale is already registered by another "
            "organisation. Ask your coordinator to have the record shared with you."
        )
    ]


def test_someone_who_looks_registered_waits_for_a_choice(social_worker, telefonia, person_a):
    (p,) = preview(social_worker, telefonia, [row(telefono="+39 340 123 4567")])
    assert p.status == RowStatus.DUPLICATE
    assert [m.person for m in p.matches] == [person_a]


def test_the_same_person_twice_in_the_file_is_refused_the_second_time(social_worker, telefonia):
    previews = preview(social_worker, telefonia, [row(), row(telefono="")])
    assert [p.status for p in previews] == [RowStatus.NEW, RowStatus.ERROR]
    assert previews[1].error_list() == [italian("The same person as row %(row)d.", row=2)]


def test_a_municipality_outside_the_users_territory_is_an_error(social_worker, telefonia):
    (p,) = preview(social_worker, telefonia, [row(comune="Monza")])
    assert p.status == RowStatus.ERROR
    assert p.errors["comune"] == [
        italian("Your organisation does not serve %(municipality)s.", municipality="Monza (MB)")
    ]


def test_a_municipality_where_nobody_runs_the_programme_is_an_error(social_worker):
    programme = Programme.objects.get(code="servizi-prossimita")
    (p,) = preview(social_worker, programme, [row()])
    assert p.errors["comune"] == [
        italian(
            "No organisation of this programme serves %(municipality)s.",
            municipality="Lecco (LC)",
        )
    ]


def test_only_those_who_refer_may_import(volunteer, monitoring, telefonia):
    for user in (volunteer, monitoring):
        with pytest.raises(PermissionDenied):
            preview(user, telefonia, [row()])


# --- confirming ----------------------------------------------------------------------------


def test_confirming_writes_the_good_rows_and_skips_the_others(social_worker, telefonia, person_a):
    rows = [
        row(),
        row(nome="Anna", data_nascita="ieri"),
        row(nome=person_a.first_name, cognome=person_a.last_name, sesso="F",
            data_nascita=person_a.birth_date.strftime("%d/%m/%Y"),
            codice_fiscale=person_a.fiscal_code, telefono=""),
    ]  # fmt: skip
    result = imports.import_rows(social_worker, programme=telefonia, rows=rows)
    assert [r.outcome for r in result.rows] == ["created", "skipped", "referred"]
    assert "data_nascita" in result.rows[1].message
    giuseppe = Enrolment.objects.get(person__last_name="Verdi")
    assert (giuseppe.referred_by, giuseppe.reason, giuseppe.consent) == (
        social_worker,
        "Vive solo",
        Enrolment.Consent.GIVEN,
    )
    assert giuseppe.person.phones.get().number == "+393337654321"
    assert Enrolment.objects.filter(person=person_a).exists()


@pytest.mark.parametrize(
    ("choice", "outcome"),
    [(None, "skipped"), ("skip", "skipped"), ("create", "created"), ("match", "referred")],
)
def test_a_likely_duplicate_follows_the_users_choice(
    social_worker, telefonia, person_a, choice, outcome
):
    rows = [row(telefono="340 123 4567")]
    choices = {} if choice is None else {2: str(person_a.pk) if choice == "match" else choice}
    result = imports.import_rows(social_worker, programme=telefonia, rows=rows, choices=choices)
    assert result.rows[0].outcome == outcome
    assert Person.objects.filter(last_name="Verdi").exists() == (outcome == "created")
    assert Enrolment.objects.filter(person=person_a).exists() == (outcome == "referred")


def test_a_choice_naming_someone_else_is_not_followed(social_worker, telefonia, person_a, lecco):
    other = PersonFactory(municipality=lecco)
    rows = [row(telefono="340 123 4567")]
    result = imports.import_rows(
        social_worker, programme=telefonia, rows=rows, choices={2: str(other.pk)}
    )
    assert result.rows[0].outcome == "skipped"
    assert not Enrolment.objects.exists()


def test_a_row_that_fails_while_being_written_leaves_nothing_and_the_others_go_on(
    social_worker, telefonia, monkeypatch
):
    real = imports.refer_person

    def flaky(actor, **kwargs):
        enrolment = real(actor, **kwargs)
        if enrolment.person.first_name == "Anna":
            raise DatabaseError("disk full")
        return enrolment

    monkeypatch.setattr(imports, "refer_person", flaky)
    rows = [row(), row(nome="Anna", telefono="333 000 1111"), row(nome="Carla", telefono="")]
    result = imports.import_rows(social_worker, programme=telefonia, rows=rows)
    assert [r.outcome for r in result.rows] == ["created", "skipped", "created"]
    assert set(Person.objects.values_list("first_name", flat=True)) == {"Giuseppe", "Carla"}
    assert Enrolment.objects.count() == 2


def test_someone_registered_between_preview_and_confirmation_is_not_registered_twice(
    social_worker, telefonia, lecco
):
    rows = [row()]
    assert preview(social_worker, telefonia, rows)[0].status == RowStatus.NEW
    verdi = PersonFactory(
        first_name="Giuseppe", last_name="Verdi", birth_date=dt.date(1940, 5, 12),
        municipality=lecco, sex="M",
    )  # fmt: skip
    result = imports.import_rows(social_worker, programme=telefonia, rows=rows)
    assert result.rows[0].outcome == "skipped"
    assert Person.objects.filter(last_name="Verdi").get() == verdi


# --- rows waiting between preview and confirmation ---------------------------------------


def test_waiting_rows_are_encrypted_and_read_once(import_dir):
    token, key = imports.store_pending([row()])
    (path,) = list(import_dir.iterdir())
    assert b"Verdi" not in path.read_bytes()
    assert imports.load_pending(token, key)[0]["cognome"] == "Verdi"
    assert imports.load_pending(token, "wrong key") is None
    assert imports.claim_pending(token, key)[0]["cognome"] == "Verdi"
    assert imports.claim_pending(token, key) is None
    assert list(import_dir.iterdir()) == []


def test_stale_waiting_rows_are_purged(import_dir):
    import os
    import time

    imports.store_pending([row()])
    old = time.time() - imports.PENDING_MAX_AGE.total_seconds() - 60
    for path in import_dir.iterdir():
        os.utime(path, (old, old))
    assert imports.purge_stale_pending() == 1
    assert list(import_dir.iterdir()) == []


def test_a_made_up_token_reads_nothing():
    assert imports.load_pending("../../etc/passwd", "k") is None
    assert imports.claim_pending("../../etc/passwd", "k") is None


# --- the pages ----------------------------------------------------------------------------


def upload(client, content, name="segnalazioni.csv", programme="telefonia-sociale"):
    return client.post(
        reverse("programmes:import_upload"),
        {"programme": programme, "file": SimpleUploadedFile(name, content)},
    )


def test_upload_preview_confirm_and_result(
    client_of, social_worker, telefonia, person_a, import_dir
):
    client = client_of(social_worker)
    content = csv_bytes(
        [row(), row(nome="Anna", data_nascita="ieri"), row(nome="Bruna", telefono="340 123 4567")]
    )
    response = upload(client, content)
    assert response.status_code == 302
    preview_url = response.url
    page = client.get(preview_url)
    html = page.content.decode()
    assert 'data-row="2" data-status="new"' in html
    assert 'data-row="3" data-status="error"' in html
    assert 'data-row="4" data-status="duplicate"' in html
    assert f'name="row-4" id="row-4-1" value="{person_a.pk}"' in html
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, actor=social_worker, object_pk=str(person_a.pk)
    ).exists()
    assert not Enrolment.objects.exists()
    assert not Person.objects.filter(last_name="Verdi").exists()

    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    confirm = reverse("programmes:import_confirm", args=[token])
    response = client.post(confirm, {"row-4": "create"})
    assert response.status_code == 302
    assert response.url == reverse("programmes:import_result", args=[token])
    assert list(import_dir.iterdir()) == []
    assert set(Enrolment.objects.values_list("person__first_name", flat=True)) == {
        "Giuseppe",
        "Bruna",
    }
    result = client.get(response.url).content.decode()
    assert 'data-row="2" data-outcome="created"' in result
    assert 'data-row="3" data-outcome="skipped"' in result
    assert 'data-row="4" data-outcome="created"' in result

    # Confirming again (a second click, the back button) writes nothing twice.
    again = client.post(confirm, {"row-4": "create"}, follow=True)
    assert italian("This import is already confirmed: nothing was written twice.") in text_of(again)
    assert Enrolment.objects.count() == 2
    assert client.get(preview_url, follow=True).redirect_chain[-1][0] == response.url


def test_an_xlsx_upload_is_previewed(client_of, social_worker, telefonia):
    client = client_of(social_worker)
    content = xlsx_bytes([row(data_nascita=dt.date(1940, 5, 12), comune=97042)])
    response = upload(client, content, name="segnalazioni.xlsx")
    assert response.status_code == 302
    html = client.get(response.url).content.decode()
    assert 'data-row="2" data-status="new"' in html
    assert "Lecco (LC)" in html


@pytest.mark.parametrize(
    ("content", "message", "params"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", NOT_A_SPREADSHEET, {}),
        (b"nome;cognome\r\nAnna;Neri\r\n", MISSING, {"row": 1, "missing": "comune, motivo"}),
    ],
)
def test_a_bad_file_is_refused_on_the_upload_page(
    client_of, social_worker, telefonia, content, message, params, import_dir
):
    response = upload(client_of(social_worker), content)
    assert response.status_code == 200
    assert italian(message, **params) in text_of(response)
    assert not import_dir.exists() or list(import_dir.iterdir()) == []


def test_a_file_too_large_is_refused_on_the_upload_page(
    client_of, social_worker, telefonia, monkeypatch
):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 50)
    response = upload(client_of(social_worker), csv_bytes([row()]))
    assert response.status_code == 200
    assert italian(
        "The file is larger than %(mb)s MB: split it into smaller files.", mb=0
    ) in text_of(response)


def test_cancelling_deletes_the_waiting_rows(client_of, social_worker, telefonia, import_dir):
    client = client_of(social_worker)
    preview_url = upload(client, csv_bytes([row()])).url
    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    response = client.post(reverse("programmes:import_cancel", args=[token]))
    assert response.status_code == 302
    assert list(import_dir.iterdir()) == []
    response = client.post(reverse("programmes:import_confirm", args=[token]), follow=True)
    assert italian(GONE) in text_of(response)
    assert not Enrolment.objects.exists()


def test_another_users_import_is_not_reachable(client_of, social_worker, coordinator, telefonia):
    preview_url = upload(client_of(social_worker), csv_bytes([row()])).url
    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    client = client_of(coordinator)
    assert italian(GONE) in text_of(client.get(preview_url, follow=True))
    client.post(reverse("programmes:import_confirm", args=[token]))
    assert not Enrolment.objects.exists()


def test_the_templates_download(client_of, social_worker):
    client = client_of(social_worker)
    response = client.get(reverse("programmes:import_template", args=["csv"]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    response = client.get(reverse("programmes:import_template", args=["xlsx"]))
    assert load_workbook(io.BytesIO(response.content)).worksheets[0]["A1"].value == "nome"
    assert client.get(reverse("programmes:import_template", args=["pdf"])).status_code == 404


def test_the_upload_page_documents_the_columns(client_of, social_worker):
    html = client_of(social_worker).get(reverse("programmes:import_upload")).content.decode()
    for name in imports.COLUMN_NAMES:
        assert f"<code>{name}</code>" in html


@pytest.mark.parametrize("role", ["volunteer", "monitoring", "outsider"])
def test_only_those_who_refer_may_open_the_import_pages(client_of, role, request, telefonia):
    client = client_of(request.getfixturevalue(role))
    assert client.get(reverse("programmes:import_upload")).status_code == 403
    assert upload(client, csv_bytes([row()])).status_code == 403


def test_a_fiscal_code_in_the_file_matches_a_person_registered_from_the_form(
    client_of, social_worker, telefonia, lecco
):
    code = fiscal_code_for("Giuseppe", "Verdi", "M", dt.date(1940, 5, 12), lecco)
    client = client_of(social_worker)
    preview_url = upload(client, csv_bytes([row(codice_fiscale=code.lower())])).url
    html = client.get(preview_url).content.decode()
    assert 'data-status="new"' in html
    assert italian("Will register and refer") in html


def test_two_new_people_sharing_a_phone_wait_for_a_choice_and_can_both_be_created(
    social_worker, telefonia
):
    rows = [
        row(),
        row(nome="Teresa", sesso="F", data_nascita="03/03/1942", telefono="333 765 4321"),
    ]
    previews = preview(social_worker, telefonia, rows)
    assert [p.status for p in previews] == [RowStatus.NEW, RowStatus.DUPLICATE]
    assert previews[1].similar_rows == [
        italian("Like row %(row)d: %(reasons)s.", row=2, reasons=italian("same phone number"))
    ]
    result = imports.import_rows(
        social_worker, programme=telefonia, rows=rows, choices={3: imports.CREATE}
    )
    assert [r.outcome for r in result.rows] == ["created", "created"]
    result_skipped = imports.import_rows(
        social_worker,
        programme=telefonia,
        rows=[row(nome="Ugo", data_nascita="", telefono="333 765 4321")],
    )
    assert result_skipped.rows[0].outcome == "skipped"  # now a registered person's phone
