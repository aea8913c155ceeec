"""Writes of territory data: loading ISTAT's list of municipalities, editing ambiti."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from prossimo.core.audit import audit_event
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


def parse_istat_file(path: Path) -> list[dict[str, str]]:
    """Rows of ISTAT's CSV as dictionaries with our field names, validated."""
    reader = csv.reader(io.StringIO(_read_text(path)), delimiter=";")
    try:
        header = next(reader)
    except StopIteration:
        raise TerritoryFileError("The ISTAT file is empty.") from None
    idx = _column_index(header)
    rows = []
    for line_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        try:
            row = {key: values[i].strip() for key, i in idx.items()}
        except IndexError:
            raise TerritoryFileError(f"Line {line_no}: too few columns.") from None
        if len(row["istat_code"]) != 6 or len(row["cadastral_code"]) != 4:
            raise TerritoryFileError(f"Line {line_no}: bad ISTAT or cadastral code.")
        rows.append(row)
    if not rows:
        raise TerritoryFileError("The ISTAT file has no municipalities.")
    return rows


@transaction.atomic
def load_istat_municipalities(path: Path | None = None) -> LoadReport:
    """Create or update regions, provinces and municipalities from ISTAT's list.

    Municipalities missing from the new list (merged or suppressed) are kept, marked inactive,
    so that people and records pointing at them stay valid.
    """
    rows = parse_istat_file(path or PACKAGED_ISTAT_FILE)

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
            "region": regions[row["region_code"]],
        }
        if code not in provinces:
            provinces[code] = Province.objects.create(istat_code=code, **wanted)
        else:
            p = provinces[code]
            changed = [k for k, v in wanted.items() if getattr(p, k) != v]
            if changed:
                for k in changed:
                    setattr(p, k, wanted[k])
                p.save(update_fields=changed)

    existing = {m.istat_code: m for m in Municipality.objects.all()}
    by_cadastral = {m.cadastral_code: m for m in existing.values()}
    to_create: list[Municipality] = []
    to_update: list[Municipality] = []
    seen: set[str] = set()
    for row in rows:
        code = row["istat_code"]
        seen.add(code)
        values: dict[str, Any] = {
            "cadastral_code": row["cadastral_code"],
            "name": row["name"],
            "name_search": fold(row["name"]),
            "province": provinces[row["province_code"]],
            "nuts3": row.get("nuts3", ""),
            "is_active": True,
        }
        m = existing.get(code)
        if m is None:
            # A renumbered municipality keeps its cadastral code: update it in place.
            m = by_cadastral.get(row["cadastral_code"])
            if m is not None:
                m.istat_code = code
        if m is None:
            to_create.append(Municipality(istat_code=code, **values))
            continue
        if m.istat_code != code or any(getattr(m, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(m, k, v)
            to_update.append(m)
    stale = [m for c, m in existing.items() if c not in seen and m.is_active]
    for m in stale:
        m.is_active = False
    Municipality.objects.bulk_create(to_create, batch_size=1000)
    Municipality.objects.bulk_update(
        to_update + stale,
        ["istat_code", "cadastral_code", "name", "name_search", "province", "nuts3", "is_active"],
        batch_size=500,
    )
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
    """Create or edit an ambito: a named group of municipalities. Names are unique."""
    creating = ambito is None
    if ambito is None:
        ambito = Ambito.objects.create(name=name, code=code)
    else:
        ambito.name = name
        ambito.code = code
        ambito.save(update_fields=["name", "code", "updated_at"])
    ambito.municipalities.set(municipality_ids)
    audit_event(
        actor,
        "territory.ambito.created" if creating else "territory.ambito.updated",
        obj=ambito,
        extra={"municipalities": len(municipality_ids)},
    )
    return ambito
