"""Writes of territory data: loading ISTAT's list of municipalities, editing ambiti."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, user_can
from prossimo.core.text import fold
from prossimo.territory.models import Ambito, Municipality, Province, Region

PACKAGED_ISTAT_FILE = Path(__file__).resolve().parent / "data" / "istat_comuni.csv"

# ISTAT's "Elenco comuni italiani" headers, matched by their (whitespace-folded) beginning.
_COLUMNS = {
    "region_code": "codice regione",
    "region_name": "denominazione regione",
    "province_code": "codice dell'unità territoriale sovracomunale",
    "province_name": "denominazione dell'unità territoriale sovracomunale",
    "province_abbr": "sigla automobilistica",
    "istat_code": "codice comune formato alfanumerico",
    "name": "denominazione in italiano",
    "cadastral_code": "codice catastale del comune",
    "nuts3": "codice nuts3 2024",
}


class TerritoryFileError(ValueError):
    """The file is not ISTAT's list of municipalities; the message says what is wrong."""


@dataclass(frozen=True)
class LoadReport:
    regions: int
    provinces: int
    municipalities: int
    created: int
    updated: int
    deactivated: int


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # ISTAT publishes the file in Windows-1252


def _column_index(header: list[str]) -> dict[str, int]:
    folded = [" ".join(h.lower().split()) for h in header]
    index: dict[str, int] = {}
    for key, prefix in _COLUMNS.items():
        for i, name in enumerate(folded):
            if name.startswith(prefix):
                index[key] = i
                break
        else:
            if key != "nuts3":
                raise TerritoryFileError(f"Column missing from the ISTAT file: {prefix!r}")
    return index


_FORMATS = {
    "region_code": (re.compile(r"\d{2}"), "region code"),
    "province_code": (re.compile(r"\d{3}"), "province code"),
    "province_abbr": (re.compile(r"[A-Z]{2}"), "province abbreviation"),
    "istat_code": (re.compile(r"\d{6}"), "ISTAT code"),
    "cadastral_code": (re.compile(r"[A-Z]\d{3}"), "cadastral code"),
}


def parse_istat_file(path: Path) -> list[dict[str, str]]:
    """Rows of ISTAT's CSV as dictionaries with our field names, validated.

    Every row must have well-formed codes and a name; no ISTAT or cadastral code may appear
    twice. The first problem found is raised as `TerritoryFileError`, naming the line.
    """
    reader = csv.reader(io.StringIO(_read_text(path)), delimiter=";")
    try:
        header = next(reader)
    except StopIteration:
        raise TerritoryFileError("The ISTAT file is empty.") from None
    idx = _column_index(header)
    rows = []
    seen_istat: dict[str, int] = {}
    seen_cadastral: dict[str, int] = {}
    # The header spans several physical lines (quoted line breaks): count from the reader.
    for values in reader:
        line_no = reader.line_num
        if not any(v.strip() for v in values):
            continue
        try:
            row = {key: values[i].strip() for key, i in idx.items()}
        except IndexError:
            raise TerritoryFileError(f"Line {line_no}: too few columns.") from None
        for key, (pattern, label) in _FORMATS.items():
            if not pattern.fullmatch(row[key]):
                raise TerritoryFileError(f"Line {line_no}: bad {label} {row[key]!r}.")
        if not row["name"]:
            raise TerritoryFileError(f"Line {line_no}: the municipality has no name.")
        for key, seen in (("istat_code", seen_istat), ("cadastral_code", seen_cadastral)):
            if row[key] in seen:
                raise TerritoryFileError(
                    f"Line {line_no}: {_FORMATS[key][1]} {row[key]} already on line "
                    f"{seen[row[key]]}."
                )
            seen[row[key]] = line_no
        rows.append(row)
    if not rows:
        raise TerritoryFileError("The ISTAT file has no municipalities.")
    return rows


def load_istat_municipalities(path: Path | None = None) -> LoadReport:
    """Create or update regions, provinces and municipalities from ISTAT's list.

    Municipalities missing from the new list (merged or suppressed) are kept, marked inactive,
    so that people and records pointing at them stay valid. All or nothing: a file that is
    malformed or clashes with the codes in the database changes nothing.
    """
    rows = parse_istat_file(path or PACKAGED_ISTAT_FILE)
    try:
        return _load_rows(rows)
    except IntegrityError as exc:
        raise TerritoryFileError(
            "The file's codes clash with municipalities already loaded (an ISTAT or cadastral "
            "code used by two municipalities); nothing was changed."
        ) from exc


@transaction.atomic
def _load_rows(rows: list[dict[str, str]]) -> LoadReport:
    regions = {r.istat_code: r for r in Region.objects.all()}
    for row in rows:
        code = row["region_code"]
        if code not in regions:
            regions[code] = Region.objects.create(istat_code=code, name=row["region_name"])
        elif regions[code].name != row["region_name"]:
            regions[code].name = row["region_name"]
            regions[code].save(update_fields=["name"])

    provinces = {p.istat_code: p for p in Province.objects.all()}
    for row in rows:
        code = row["province_code"]
        wanted = {
            "name": row["province_name"],
            "abbreviation": row["province_abbr"],
            "region_id": regions[row["region_code"]].pk,
        }
        if code not in provinces:
            provinces[code] = Province.objects.create(istat_code=code, **wanted)
        else:
            p = provinces[code]
            changed = [k for k, v in wanted.items() if getattr(p, k) != v]
            if changed:
                for k in changed:
                    setattr(p, k, wanted[k])
                p.save(update_fields=[k.removesuffix("_id") for k in changed])

    existing = {m.istat_code: m for m in Municipality.objects.all()}
    by_cadastral = {m.cadastral_code: m for m in existing.values()}
    codes_in_file = {row["istat_code"] for row in rows}
    to_create: list[Municipality] = []
    to_update: list[Municipality] = []
    kept: set[int] = set()
    changed_fields: set[str] = set()
    for row in rows:
        code = row["istat_code"]
        values: dict[str, Any] = {
            "cadastral_code": row["cadastral_code"],
            "name": row["name"],
            "name_search": fold(row["name"]),
            "province_id": provinces[row["province_code"]].pk,
            "nuts3": row.get("nuts3", ""),
            "is_active": True,
        }
        m = existing.get(code)
        if m is None:
            # A renumbered municipality (e.g. moved to another province) keeps its cadastral
            # code: update it in place, unless its old code is still in the file.
            m = by_cadastral.get(row["cadastral_code"])
            if m is not None and m.istat_code in codes_in_file:
                m = None
        if m is None:
            to_create.append(Municipality(istat_code=code, **values))
            continue
        kept.add(m.pk)
        values["istat_code"] = code
        changed = [k for k, v in values.items() if getattr(m, k) != v]
        if changed:
            for k in changed:
                setattr(m, k, values[k])
            to_update.append(m)
            changed_fields.update(k.removesuffix("_id") for k in changed)
    stale = [m.pk for m in existing.values() if m.pk not in kept and m.is_active]
    for start in range(0, len(stale), 500):
        Municipality.objects.filter(pk__in=stale[start : start + 500]).update(is_active=False)
    if to_update:
        # Only the columns that changed: a CASE per column and row is slow on SQLite.
        Municipality.objects.bulk_update(to_update, sorted(changed_fields), batch_size=200)
    Municipality.objects.bulk_create(to_create, batch_size=1000)
    return LoadReport(
        regions=len(regions),
        provinces=len(provinces),
        municipalities=len(rows),
        created=len(to_create),
        updated=len(to_update),
        deactivated=len(stale),
    )


def ensure_territory_loaded() -> None:
    """Load the packaged ISTAT list if the database has no municipalities yet."""
    if not Municipality.objects.exists():
        load_istat_municipalities()


@transaction.atomic
def save_ambito(
    actor: Any, *, ambito: Ambito | None, name: str, code: str, municipality_ids: list[int]
) -> Ambito:
    """Create or edit an ambito: a named group of municipalities.

    Rules: only users with `territory.manage` (administrators) edit ambiti; the name is
    required and unique whatever its case; every municipality must exist. The organisations
    serving the ambito then serve exactly these municipalities.
    """
    if not user_can(actor, Perm.TERRITORY_MANAGE):
        raise PermissionDenied
    name = " ".join(name.split())
    code = code.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter the name of the ambito.")]
    else:
        same_name = Ambito.objects.filter(name__iexact=name)
        if ambito is not None:
            same_name = same_name.exclude(pk=ambito.pk)
        if same_name.exists():
            errors["name"] = [_("Another ambito already has this name.")]
    ids = sorted(set(municipality_ids))
    if Municipality.objects.filter(pk__in=ids).count() != len(ids):
        errors["municipalities"] = [_("Some of the municipalities chosen do not exist.")]
    if errors:
        raise ValidationError(errors)

    creating = ambito is None
    if ambito is None:
        ambito = Ambito.objects.create(name=name, code=code)
    else:
        changed = [f for f, v in (("name", name), ("code", code)) if getattr(ambito, f) != v]
        if changed:
            ambito.name, ambito.code = name, code
            ambito.save(update_fields=[*changed, "updated_at"])
    before = set(ambito.municipalities.values_list("pk", flat=True))
    ambito.municipalities.set(ids)
    audit_event(
        actor,
        "territory.ambito.created" if creating else "territory.ambito.updated",
        obj=ambito,
        extra={
            "municipalities": len(ids),
            "added": sorted(set(ids) - before),
            "removed": sorted(before - set(ids)),
        },
    )
    return ambito
