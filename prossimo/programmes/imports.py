"""Referrals from a spreadsheet (CSV or XLSX): read, preview row by row, then confirm.

A social worker uploads a file with one person a row (columns in `COLUMNS`, Italian headers).
`read_spreadsheet` turns it into rows of text; `preview_rows` checks every row with the rules
of the referral form (`people.services.clean_person_input`,
`programmes.services.clean_referral_input`) and says what confirming would do: create a
person and refer them, refer a person already registered (same codice fiscale), ask what to do
with a likely duplicate, or refuse the row and say why. Nothing is written while previewing.
`import_rows` runs the same checks again and writes each row in its own transaction through
`programmes.services.refer_person`, so a bad row never spoils the others. The page and the
API call these same functions.

Between preview and confirmation the rows wait on disk, encrypted with a key that only the
uploader's session holds (`store_pending`), for at most `PENDING_MAX_AGE`: confirming or
cancelling deletes them, `purge_stale_pending` deletes what was left behind, and a file
outlives its key at most until then.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import secrets
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prossimo.core.audit import acting_as, audit_event
from prossimo.core.permissions import Perm, permissions_of, user_can
from prossimo.core.text import fold
from prossimo.people.forms import resolve_municipality
from prossimo.people.models import CASEWORK_ROLES, Person
from prossimo.people.selectors import DuplicateMatch, likely_duplicates
from prossimo.people.selectors import _similar as similar_names
from prossimo.people.services import (
    LikelyDuplicate,
    PersonInput,
    PhoneInput,
    clean_person_input,
)
from prossimo.programmes.models import Enrolment, ImportJob, Programme
from prossimo.programmes.services import (
    ReferralInput,
    clean_referral_input,
    organisation_in_charge,
    refer_person,
)
from prossimo.territory.models import Municipality, Organisation
from prossimo.territory.selectors import (
    municipalities_by_istat_codes,
    municipalities_served_by,
    organisation_ids_with_roles,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
logger = logging.getLogger(__name__)

MAX_ROWS = 2000
# Columns read from a row: more than the template has, so that extra ones can be named.
MAX_COLUMNS = 40
PENDING_MAX_AGE = dt.timedelta(hours=2)


@dataclass(frozen=True)
class Column:
    name: str
    description: Any
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("nome", gettext_lazy("First name."), required=True),
    Column("cognome", gettext_lazy("Surname."), required=True),
    Column("codice_fiscale", gettext_lazy("Codice fiscale (optional, recommended).")),
    Column(
        "data_nascita",
        gettext_lazy("Date of birth: dd/mm/yyyy (e.g. 12/05/1940) or yyyy-mm-dd."),
    ),
    Column("sesso", gettext_lazy("Sex: M or F.")),
    Column(
        "comune",
        gettext_lazy("Municipality of residence: its name (e.g. Lecco) or its ISTAT code."),
        required=True,
    ),
    Column("indirizzo", gettext_lazy("Address.")),
    Column(
        "telefono",
        gettext_lazy("Phone number; separate two or more numbers with a slash (/)."),
    ),
    Column("motivo", gettext_lazy("Why the person is referred."), required=True),
    Column("note_fragilita", gettext_lazy("Fragility notes.")),
    Column("orari_preferiti", gettext_lazy("Preferred contact times (e.g. mornings).")),
    Column(
        "consenso",
        gettext_lazy(
            "Consent to be contacted: si (given), no (refused) or da_chiedere (to be asked "
            "at the first contact; also when empty)."
        ),
    ),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS = tuple(c.name for c in COLUMNS if c.required)
# Headers people write instead of ours, after folding (lower case, no accents, "_" for gaps).
HEADER_ALIASES = {
    "cf": "codice_fiscale",
    "data_di_nascita": "data_nascita",
    "nato_il": "data_nascita",
    "comune_di_residenza": "comune",
    "comune_residenza": "comune",
    "cellulare": "telefono",
    "motivo_segnalazione": "motivo",
    "motivo_della_segnalazione": "motivo",
    "note_di_fragilita": "note_fragilita",
    "fragilita": "note_fragilita",
    "orari": "orari_preferiti",
    "consenso_privacy": "consenso",
}

# Where each of the services' error keys shows in the file.
FIELD_COLUMNS = {
    "first_name": "nome",
    "last_name": "cognome",
    "fiscal_code": "codice_fiscale",
    "birth_date": "data_nascita",
    "sex": "sesso",
    "municipality": "comune",
    "address": "indirizzo",
    "reason": "motivo",
    "fragility_notes": "note_fragilita",
    "preferred_contact_times": "orari_preferiti",
    "consent": "consenso",
}

_YES = {"si", "s", "yes", "y", "1", "true", "vero", "dato"}
_NO = {"no", "n", "0", "false", "falso", "rifiutato", "negato"}
_TO_ASK = {"", "da_chiedere", "dachiedere", "chiedere", "da_richiedere"}
_SEX = {"m": "M", "maschio": "M", "uomo": "M", "f": "F", "femmina": "F", "donna": "F"}
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
_ISTAT_RE = re.compile(r"^\d{5,6}$")


# --- reading the file -------------------------------------------------------------------


@dataclass
class Sheet:
    """A spreadsheet read as text: one dict a row (our column names), `_row` its number in
    the file (the header is row 1)."""

    rows: list[dict[str, str]]
    ignored_columns: list[str] = field(default_factory=list)


def _header_key(text: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", fold(text or "")).strip("_")
    return HEADER_ALIASES.get(key, key)


def _cell_text(value: Any) -> str:
    """A cell as the person typed it: dates as dd/mm/yyyy, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "si" if value else "no"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _too_many_rows() -> ValidationError:
    return ValidationError(
        _("The file has more than %(max)s rows: split it into smaller files.")
        % {"max": f"{MAX_ROWS:,}".replace(",", ".")},
        code="too_many_rows",
    )


def _csv_records(content: bytes) -> Iterator[list[str]]:
    if b"\x00" in content[:4096]:
        raise ValidationError(_("The file is neither a CSV nor an XLSX spreadsheet."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Italian Windows is Windows-1252, not UTF-8.
        text = content.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise ValidationError(_("The file could not be read as CSV.")) from None


def _xlsx_records(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on a broken file
        raise ValidationError(
            _("The file could not be read as an XLSX spreadsheet: save it again from Excel.")
        ) from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        workbook.close()


def read_spreadsheet(content: bytes) -> Sheet:
    """Read an uploaded file: CSV (UTF-8 with or without BOM, comma, semicolon or tab) or XLSX
    (the first sheet). Raise ValidationError saying what is wrong with the file as a whole:
    too large, not a spreadsheet, no header, missing columns, no rows, too many rows."""
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB: split it into smaller files.")
            % {"mb": MAX_FILE_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            _("Old Excel files (.xls) cannot be read: save the file as .xlsx or as CSV.")
        )
    records = _xlsx_records(content) if content.startswith(b"PK\x03\x04") else _csv_records(content)
    header: list[str] | None = None
    header_row = 0
    rows: list[dict[str, str]] = []
    scanned = 0
    for number, record in enumerate(records, start=1):
        scanned += 1
        if scanned > MAX_ROWS * 5:  # a sheet of endless blank rows
            raise _too_many_rows()
        cells = [_cell_text(c) for c in record[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if header is None:
            header = [_header_key(c) for c in cells]
            header_row = number
            continue
        row = {name: "" for name in COLUMN_NAMES}
        for key, value in zip(header, cells, strict=False):
            if key in row and not row[key]:
                row[key] = value
        row["_row"] = str(number)
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise _too_many_rows()
    if header is None:
        raise ValidationError(_("The file is empty."), code="empty")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ValidationError(
            _(
                "Row %(row)s should name the columns, and these are missing: %(missing)s. "
                "Start from the template."
            )
            % {"row": header_row, "missing": ", ".join(missing)},
            code="missing_columns",
        )
    if not rows:
        raise ValidationError(_("The file has no rows under the column names."), code="no_rows")
    ignored = [key for key in dict.fromkeys(header) if key and key not in COLUMN_NAMES]
    return Sheet(rows=rows, ignored_columns=ignored)


# --- checking the rows ------------------------------------------------------------------


class RowStatus:
    NEW = "new"  # a new person, registered and referred
    EXISTING = "existing"  # a registered person (same codice fiscale), referred
    DUPLICATE = "duplicate"  # looks like a registered person: the user chooses
    ERROR = "error"  # nothing will be written


# The user's choice for a likely duplicate: skip it, register anyway, or a match's id.
SKIP = "skip"
CREATE = "create"


@dataclass
class RowPreview:
    """What confirming would do with one row, and why."""

    number: int
    values: dict[str, str]
    status: str = RowStatus.NEW
    #: messages by column name ("" for the row as a whole)
    errors: dict[str, list[str]] = field(default_factory=dict)
    person_input: PersonInput | None = None
    referral: ReferralInput | None = None
    existing: Person | None = None
    matches: list[DuplicateMatch] = field(default_factory=list)
    #: earlier rows of the file this one looks like (why, e.g. "same phone number as row 3")
    similar_rows: list[str] = field(default_factory=list)
    #: ids of the matches already referred to the programme (choosing them would fail)
    already_referred: set[Any] = field(default_factory=set)
    municipality: Municipality | None = None
    organisation: Organisation | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.values["cognome"], self.values["nome"]) if p)

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(str(message))
        self.status = RowStatus.ERROR

    def error_list(self) -> list[str]:
        """Every error of the row, each prefixed with its column."""
        return [
            f"{column}: {message}" if column else message
            for column, messages in self.errors.items()
            for message in messages
        ]


def _parse_date(text: str) -> dt.date:
    text = text.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", text):  # "1940-05-12 00:00:00" from some exports
        text = text[:10]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise ValueError(text)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(text or "")).strip("_")


class _Resolver:
    """Municipalities and organisations in charge, looked up once per distinct value."""

    def __init__(self, actor: Any, programme: Programme, rows: list[dict[str, str]]) -> None:
        self.programme = programme
        codes = [r["comune"].strip().zfill(6) for r in rows if _ISTAT_RE.match(r["comune"].strip())]
        self.by_istat = municipalities_by_istat_codes(codes)
        self.names: dict[str, Municipality | ValidationError] = {}
        self.organisations: dict[int, Organisation | None] = {}
        if Perm.PEOPLE_ALL_TERRITORIES in permissions_of(actor):
            self.served: set[int] | None = None
        else:
            org_ids = organisation_ids_with_roles(actor, CASEWORK_ROLES)
            self.served = set(municipalities_served_by(org_ids).values_list("pk", flat=True))

    def municipality(self, text: str) -> Municipality:
        text = text.strip()
        if _ISTAT_RE.match(text):
            found = self.by_istat.get(text.zfill(6))
            if found is None:
                raise ValidationError(
                    _("No municipality has the ISTAT code %(code)s.") % {"code": text}
                )
            return found
        if text not in self.names:
            try:
                self.names[text] = resolve_municipality(text)
            except ValidationError as exc:
                self.names[text] = exc
        result = self.names[text]
        if isinstance(result, ValidationError):
            raise result
        return result

    def within_reach(self, municipality: Municipality) -> bool:
        return self.served is None or municipality.pk in self.served

    def organisation(self, municipality: Municipality) -> Organisation | None:
        if municipality.pk not in self.organisations:
            self.organisations[municipality.pk] = organisation_in_charge(
                self.programme, Person(municipality=municipality)
            )
        return self.organisations[municipality.pk]


def _max_length(field_name: str) -> int:
    return int(getattr(Person._meta.get_field(field_name), "max_length", 0) or 0)


def _record_errors(row: RowPreview, exc: ValidationError) -> None:
    for key, messages in exc.message_dict.items():
        if key == "municipality" and "comune" in row.errors:
            continue  # the row already says why the municipality is not known
        column = "telefono" if key.startswith("phones.") else FIELD_COLUMNS.get(key, "")
        for message in messages:
            row.error(column, message)


def _person_and_referral(row: RowPreview, resolver: _Resolver) -> None:
    """Fill `person_input` and `referral` from the row's text, recording each error."""
    values = row.values
    for column, field_name in (
        ("nome", "first_name"),
        ("cognome", "last_name"),
        ("indirizzo", "address"),
    ):
        if len(values[column]) > _max_length(field_name):
            row.error(
                column,
                _("Keep it under %(n)d characters.") % {"n": _max_length(field_name)},
            )
    birth_date = None
    if values["data_nascita"]:
        try:
            birth_date = _parse_date(values["data_nascita"])
        except ValueError:
            row.error(
                "data_nascita",
                _("Write the date as dd/mm/yyyy (e.g. 12/05/1940) or yyyy-mm-dd."),
            )
    sex = ""
    if values["sesso"]:
        sex = _SEX.get(_key(values["sesso"]), "")
        if not sex:
            row.error("sesso", _("Write M or F, or leave it empty."))
    consent = Enrolment.Consent.TO_ASK
    consent_key = _key(values["consenso"])
    if consent_key in _YES:
        consent = Enrolment.Consent.GIVEN
    elif consent_key in _NO:
        consent = Enrolment.Consent.REFUSED
    elif consent_key not in _TO_ASK:
        row.error("consenso", _("Write si, no or da_chiedere."))
    municipality = None
    if values["comune"].strip():
        try:
            municipality = resolver.municipality(values["comune"])
        except ValidationError as exc:
            for message in exc.messages:
                row.error("comune", message)
    numbers = [n.strip() for n in values["telefono"].split("/") if n.strip()]
    person = PersonInput(
        first_name=values["nome"],
        last_name=values["cognome"],
        municipality=municipality,
        sex=sex,
        birth_date=birth_date,
        fiscal_code=values["codice_fiscale"] or None,
        address=values["indirizzo"].strip(),
        phones=[PhoneInput(number=n) for n in numbers],
    )
    referral = ReferralInput(
        reason=values["motivo"],
        fragility_notes=values["note_fragilita"],
        preferred_contact_times=values["orari_preferiti"],
        consent=consent,
    )
    try:
        person = clean_person_input(person)
    except ValidationError as exc:
        _record_errors(row, exc)
    try:
        referral = clean_referral_input(referral)
    except ValidationError as exc:
        _record_errors(row, exc)
    row.person_input = person
    row.referral = referral
    row.municipality = municipality
    if municipality is not None and not row.errors.get("comune"):
        if not resolver.within_reach(municipality):
            row.error(
                "comune",
                _("Your organisation does not serve %(municipality)s.")
                % {"municipality": municipality.label},
            )
        else:
            row.organisation = resolver.organisation(municipality)
            if row.organisation is None:
                row.error(
                    "comune",
                    _("No organisation of this programme serves %(municipality)s.")
                    % {"municipality": municipality.label},
                )


def _same_person_key(person: PersonInput) -> tuple[str, ...] | None:
    if person.fiscal_code:
        return ("cf", person.fiscal_code)
    if person.birth_date and person.last_name:
        return ("name", fold(person.last_name), fold(person.first_name), str(person.birth_date))
    return None


@dataclass
class _EarlierRows:
    """The new people of the rows before: by phone number and by date of birth."""

    phones: dict[str, int] = field(default_factory=dict)
    born: dict[tuple[dt.date, str], list[tuple[int, str, str]]] = field(default_factory=dict)


def _compare_with_earlier_rows(row: RowPreview, earlier: _EarlierRows) -> None:
    """Mark a row that looks like a new person of an earlier row (a couple sharing the home
    phone, a misspelt repetition) as a likely duplicate, as the registry would once the earlier
    row is saved; then remember this row's person."""
    person = row.person_input
    if person is None:  # only rows read without errors come here
        return
    reasons: dict[int, list[str]] = {}
    for phone in person.phones:
        if phone.number in earlier.phones:
            reasons.setdefault(earlier.phones[phone.number], []).append(_("same phone number"))
    if person.birth_date and person.last_name:
        last, first = fold(person.last_name), fold(person.first_name)
        # Similar surnames share their first letter (almost always): a bucket per date and
        # letter keeps a file of many people born the same day (a placeholder date) fast.
        bucket = earlier.born.setdefault((person.birth_date, last[:1]), [])
        for number, other_last, other_first in bucket:
            if similar_names(last, other_last) and (not first or similar_names(first, other_first)):
                reasons.setdefault(number, []).append(_("similar name and same date of birth"))
        bucket.append((row.number, last, first))
    for phone in person.phones:
        earlier.phones.setdefault(phone.number, row.number)
    for number, why in sorted(reasons.items()):
        row.similar_rows.append(
            _("Like row %(row)d: %(reasons)s.") % {"row": number, "reasons": ", ".join(why)}
        )
    if reasons:
        row.status = RowStatus.DUPLICATE


def preview_rows(
    actor: Any,
    *,
    programme: Programme,
    rows: list[dict[str, str]],
    registry_check: Callable[[int], bool] | None = None,
) -> list[RowPreview]:
    """What importing these rows would do, row by row; writes nothing.

    Rules, the referral form's and more: each row passes `clean_person_input` and
    `clean_referral_input`; the municipality must be one the actor serves and one where an
    organisation runs the programme; a codice fiscale registered and visible means that
    person is referred (unless already referred to the programme), registered but not
    visible is refused; people who look already registered (same phone, similar name and
    same birth date), or like the new person of an earlier row, wait for the user's choice; a
    person twice in the file (same codice fiscale, or same name and birth date) is refused
    the second time.

    `registry_check(row number)` limits the search for registered look-alikes to some rows
    (confirming needs it only where the user chose one of them: saving checks the others).
    """
    if not user_can(actor, Perm.PROGRAMMES_REFER) or not user_can(actor, Perm.PEOPLE_ADD):
        raise PermissionDenied
    if not programme.is_active:
        raise ValidationError(_("This programme is not taking referrals."))
    resolver = _Resolver(actor, programme, rows)
    previews = [
        RowPreview(number=int(values.get("_row") or i), values=values)
        for i, values in enumerate(rows, start=2)
    ]
    for row in previews:
        _person_and_referral(row, resolver)

    fiscal_codes = {r.person_input.fiscal_code for r in previews if r.person_input}
    fiscal_codes.discard(None)
    visible = {
        p.fiscal_code: p
        for p in Person.objects.visible_to(actor)
        .filter(fiscal_code__in=fiscal_codes)
        .select_related("municipality__province")
    }
    registered = set(
        Person.objects.filter(fiscal_code__in=fiscal_codes, merged_into__isnull=True).values_list(
            "fiscal_code", flat=True
        )
    )
    seen: dict[tuple[str, ...], int] = {}
    earlier = _EarlierRows()
    for row in previews:
        person = row.person_input
        if person is None:
            continue
        key = _same_person_key(person)
        if key is not None:
            if key in seen:
                row.error("", _("The same person as row %(row)d.") % {"row": seen[key]})
                continue
            seen[key] = row.number
        if row.status == RowStatus.ERROR:
            continue
        code = person.fiscal_code
        if code and code in visible:
            # The registered record is referred as it is: its municipality decides who
            # takes the person in charge, not the file's.
            row.existing = visible[code]
            row.status = RowStatus.EXISTING
            if row.existing.municipality is not None:
                row.organisation = resolver.organisation(row.existing.municipality)
            if row.organisation is None:
                row.error(
                    "",
                    _("No organisation of this programme serves %(municipality)s.")
                    % {"municipality": getattr(row.existing.municipality, "label", "—")},
                )
        elif code and code in registered:
            row.error(
                "codice_fiscale",
                _(
                    "A person with this codice fiscale is already registered by another "
                    "organisation. Ask your coordinator to have the record shared with you."
                ),
            )
        else:
            if registry_check is None or registry_check(row.number):
                report = likely_duplicates(
                    actor,
                    phones=[p.number for p in person.phones],
                    first_name=person.first_name,
                    last_name=person.last_name,
                    birth_date=person.birth_date,
                )
                if report.matches:
                    row.matches = report.matches
                    row.status = RowStatus.DUPLICATE
            _compare_with_earlier_rows(row, earlier)

    people = {r.existing.pk for r in previews if r.existing is not None}
    people |= {m.person.pk for r in previews for m in r.matches}
    referred = set(
        Enrolment.objects.open()
        .filter(programme=programme, person__in=people)
        .values_list("person_id", flat=True)
    )
    for row in previews:
        if row.existing is not None and row.existing.pk in referred:
            row.error(
                "",
                _("%(name)s is already referred to or in charge of this programme.")
                % {"name": row.existing.full_name},
            )
        row.already_referred = {m.person.pk for m in row.matches if m.person.pk in referred}
    return previews


def people_shown(previews: Iterable[RowPreview]) -> list[Person]:
    """The registered people a preview shows (to record that the user saw them)."""
    shown: dict[Any, Person] = {}
    for row in previews:
        if row.existing is not None:
            shown[row.existing.pk] = row.existing
        for match in row.matches:
            shown[match.person.pk] = match.person
    return list(shown.values())


def count_statuses(previews: Iterable[RowPreview]) -> dict[str, int]:
    counts = dict.fromkeys(
        (RowStatus.NEW, RowStatus.EXISTING, RowStatus.DUPLICATE, RowStatus.ERROR), 0
    )
    for row in previews:
        counts[row.status] += 1
    return counts


# --- writing ----------------------------------------------------------------------------


class Outcome:
    CREATED = "created"  # a new person registered and referred
    REFERRED = "referred"  # a registered person referred
    SKIPPED = "skipped"


@dataclass
class RowResult:
    number: int
    outcome: str
    message: str = ""
    enrolment_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "outcome": self.outcome,
            "message": self.message,
            "enrolment_id": self.enrolment_id,
        }


@dataclass
class ImportResult:
    rows: list[RowResult]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for messages in exc.message_dict.values() for m in messages)
    return " ".join(str(m) for m in exc.messages)


def _write_row(actor: Any, programme: Programme, row: RowPreview, choice: str) -> RowResult:
    """Write one previewed row as the user chose; each in its own transaction."""
    skipped = RowResult(row.number, Outcome.SKIPPED)
    if row.status == RowStatus.ERROR:
        skipped.message = " ".join(row.error_list())
        return skipped
    if row.referral is None or row.person_input is None:  # only rows with errors lack them
        return skipped
    kwargs: dict[str, Any] = {"programme": programme, "referral": row.referral}
    outcome = Outcome.CREATED
    chosen = {str(m.person.pk): m.person for m in row.matches}
    if row.status == RowStatus.EXISTING:
        kwargs["person"] = row.existing
        outcome = Outcome.REFERRED
    elif choice == CREATE:
        kwargs.update(new_person=row.person_input, confirm_not_duplicate=True)
    elif choice in chosen:
        kwargs["person"] = chosen[choice]
        outcome = Outcome.REFERRED
    elif choice or row.status == RowStatus.DUPLICATE:
        skipped.message = _("It looks like a person already registered: skipped, as chosen.")
        return skipped
    else:
        kwargs["new_person"] = row.person_input
    try:
        with transaction.atomic():
            enrolment = refer_person(actor, **kwargs)
    except LikelyDuplicate:
        # Registered since the preview, or like the new person of an earlier row.
        skipped.message = _(
            "It looks like a person already registered: skipped. Check, and refer them from "
            "the form."
        )
        return skipped
    except ValidationError as exc:
        skipped.message = _messages(exc)
        return skipped
    except (PermissionDenied, Http404):
        skipped.message = _("You may not refer this person.")
        return skipped
    except DatabaseError:
        skipped.message = _("The row could not be saved; nothing of it was written.")
        return skipped
    return RowResult(row.number, outcome, enrolment_id=str(enrolment.pk))


def import_rows(
    actor: Any,
    *,
    programme: Programme,
    rows: list[dict[str, str]],
    choices: dict[int, str] | None = None,
    progress: Callable[[list[RowResult]], None] | None = None,
) -> ImportResult:
    """Refer the people of the rows to `programme`, each row in its own transaction.

    The rows are checked again as in `preview_rows` (someone may have registered a person
    meanwhile). Rows with errors are skipped; likely duplicates follow `choices` (row number
    → `SKIP`, `CREATE` or the id of one of the registered look-alikes to refer instead) and
    are skipped without one; any other row whose person looks registered when it is saved is
    skipped too. A row that fails while being written leaves nothing behind and the others go
    on. `progress` is told the results so far after each row.
    """
    choices = choices or {}
    previews = preview_rows(
        actor,
        programme=programme,
        rows=rows,
        registry_check=lambda number: choices.get(number, "") not in ("", SKIP, CREATE),
    )
    results: list[RowResult] = []
    for row in previews:
        results.append(_write_row(actor, programme, row, choices.get(row.number, "")))
        if progress is not None:
            progress(results)
    return ImportResult(rows=results)


#: How often a running import says how far it is (rows).
PROGRESS_EVERY = 50
#: How long the outcome of a confirmed import stays readable.
JOB_KEEP = dt.timedelta(days=30)


def start_import(
    actor: Any, *, programme: Programme, token: str, key: str, choices: dict[int, str]
) -> ImportJob | None:
    """Hand the previewed rows to the worker: an `ImportJob` for the user who confirmed.

    The rows stay encrypted on disk, moved aside so that a second confirmation (a double
    click, the back button, another tab) finds nothing: None then, as when the rows were
    cancelled or have expired. Enqueue `tasks.run_referral_import(job.pk)` next."""
    rows = load_pending(token, key)
    if rows is None:
        return None
    try:
        _path(token).rename(_path(token, ".job"))  # atomic: of two confirmations, one wins
    except (OSError, ValueError):
        return None
    job = ImportJob.objects.create(
        token=token,
        created_by=actor,
        programme=programme,
        total=len(rows),
        choices={str(number): choice for number, choice in choices.items()},
        key=key,
    )
    audit_event(
        actor,
        "programmes.import.confirmed",
        obj=job,
        extra={"programme": programme.code, "rows": len(rows)},
    )
    return job


def _take_job_rows(job: ImportJob) -> list[dict[str, str]] | None:
    """The job's rows, deleted from disk as they are read (None if they expired)."""
    try:
        path = _path(job.token, ".job")
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    try:
        return _decrypt(data, job.key)
    finally:
        path.unlink(missing_ok=True)


def run_import(job_id: Any) -> ImportJob | None:
    """Write the rows of a queued import (the worker's side of `start_import`); once only:
    a job already started, or unknown, is left alone (None). Whatever happens, the rows and
    their key are gone from disk and database afterwards; an unexpected error stops the job
    as failed, keeping the outcome of the rows written so far."""
    now = timezone.now()
    started = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).update(
        state=ImportJob.State.RUNNING, started_at=now, updated_at=now
    )
    if not started:
        return None
    job = ImportJob.objects.select_related("created_by", "programme").get(pk=job_id)
    rows = _take_job_rows(job)
    ImportJob.objects.filter(pk=job.pk).update(key="")
    if rows is None:
        job.state = ImportJob.State.FAILED
        job.error = ImportJob.Error.ROWS_EXPIRED
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "error", "finished_at", "updated_at"])
        return job

    written: list[RowResult] = []

    def progress(results: list[RowResult]) -> None:
        written[:] = results
        if len(results) % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(
                done=len(results),
                results=[r.as_dict() for r in results],
                updated_at=timezone.now(),
            )

    choices = {int(number): choice for number, choice in job.choices.items()}
    language = job.created_by.preferred_language or settings.LANGUAGE_CODE
    try:
        # The rows' messages in the language of the user who will read them.
        with acting_as(job.created_by), translation.override(language):
            import_rows(
                job.created_by,
                programme=job.programme,
                rows=rows,
                choices=choices,
                progress=progress,
            )
        job.state = ImportJob.State.DONE
    except Exception as exc:
        # Each row is written in its own transaction: those before the error stay written,
        # and the page says which. The log names the error and where, never its message
        # (a database error quotes the values of the row).
        logger.error(
            "referral import %s stopped after %d rows: %s\n%s",
            job.pk,
            len(written),
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        job.state = ImportJob.State.FAILED
        job.error = ImportJob.Error.STOPPED
    job.done = len(written)
    job.results = [r.as_dict() for r in written]
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "done", "results", "finished_at", "updated_at"])
    return job


#: A running import that has said nothing for this long has lost its worker (it says how far
#: it is every `PROGRESS_EVERY` rows, a few seconds).
STALL_AFTER = dt.timedelta(minutes=30)


def fail_stalled_jobs(now: dt.datetime | None = None) -> int:
    """Say what became of imports the worker will never finish, so that their page stops
    waiting: a running one silent for `STALL_AFTER` (the worker was stopped mid-way: the rows
    listed are written, as after an error), a queued one older than its rows (they expired:
    nothing was written). Every 15 minutes."""
    now = now or timezone.now()
    gone = {"state": ImportJob.State.FAILED, "finished_at": now, "updated_at": now, "key": ""}
    stalled = ImportJob.objects.filter(
        state=ImportJob.State.RUNNING, updated_at__lt=now - STALL_AFTER
    ).update(error=ImportJob.Error.STOPPED, **gone)
    expired = ImportJob.objects.filter(
        state=ImportJob.State.QUEUED, created_at__lt=now - PENDING_MAX_AGE
    ).update(error=ImportJob.Error.ROWS_EXPIRED, **gone)
    return stalled + expired


def purge_old_jobs(keep: dt.timedelta = JOB_KEEP) -> int:
    """Delete the outcome of imports finished longer than `keep` ago (nightly)."""
    deleted, _counts = ImportJob.objects.filter(finished_at__lt=timezone.now() - keep).delete()
    return deleted


# --- rows waiting between preview and confirmation -------------------------------------

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def pending_directory() -> Path:
    """Where uploaded rows wait, encrypted (`PROSSIMO_IMPORT_DIR`, default var/imports)."""
    directory = Path(getattr(settings, "PROSSIMO_IMPORT_DIR", settings.VAR_DIR / "imports"))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _path(token: str, suffix: str = ".bin") -> Path:
    if not _TOKEN_RE.match(token or ""):
        raise ValueError("bad token")
    return pending_directory() / f"{token}{suffix}"


def store_pending(rows: list[dict[str, str]]) -> tuple[str, str]:
    """Keep the rows until confirmation: encrypted on disk, under a random name. Returns the
    token naming them and the key to read them (keep the key in the user's session only)."""
    purge_stale_pending()
    token = secrets.token_urlsafe(24)
    key = Fernet.generate_key()
    data = Fernet(key).encrypt(json.dumps(rows, ensure_ascii=False).encode())
    path = _path(token)
    path.write_bytes(data)
    path.chmod(0o600)
    return token, key.decode()


def _decrypt(data: bytes, key: str) -> list[dict[str, str]] | None:
    try:
        plain = Fernet(key.encode()).decrypt(data, ttl=int(PENDING_MAX_AGE.total_seconds()))
    except (InvalidToken, ValueError, TypeError):
        return None
    rows: list[dict[str, str]] = json.loads(plain)
    return rows


def load_pending(token: str, key: str) -> list[dict[str, str]] | None:
    """The waiting rows, or None if they are gone (confirmed, cancelled, expired)."""
    try:
        data = _path(token).read_bytes()
    except (OSError, ValueError):
        return None
    return _decrypt(data, key)


def claim_pending(token: str, key: str) -> list[dict[str, str]] | None:
    """Take the waiting rows to write them, deleting them from disk; only one caller ever gets
    them (a second confirmation, even at the same moment, gets None)."""
    try:
        source = _path(token)
        claimed = _path(token, f".{uuid.uuid4().hex}.claimed")
        source.rename(claimed)  # atomic: of two confirmations, one wins
    except (OSError, ValueError):
        return None
    try:
        return _decrypt(claimed.read_bytes(), key)
    finally:
        claimed.unlink(missing_ok=True)


def discard_pending(token: str) -> None:
    """Delete the waiting rows (the user cancelled)."""
    try:
        _path(token).unlink(missing_ok=True)
    except ValueError:
        return


def purge_stale_pending(max_age: dt.timedelta = PENDING_MAX_AGE) -> int:
    """Delete rows left waiting longer than `max_age` (run at every upload and daily)."""
    limit = time.time() - max_age.total_seconds()
    removed = 0
    for path in pending_directory().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


# --- templates to download ----------------------------------------------------------------


def template_csv() -> bytes:
    """The empty template as CSV: UTF-8 with BOM and semicolons, as Italian Excel expects."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(COLUMN_NAMES)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """The empty template as XLSX: the header row, bold and frozen, cells as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = "segnalazioni"
    sheet.append(list(COLUMN_NAMES))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(COLUMN_NAMES, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(14, len(name) + 4)
        # Text cells keep the leading zeros of ISTAT codes and phone numbers.
        for row in range(2, 201):
            sheet.cell(row=row, column=index).number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
