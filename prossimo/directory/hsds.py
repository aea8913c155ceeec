"""HSDS 3.0 mapping: the tables, validation against the standard's schemas, reading HSDS JSON
and tabular data into records, and writing the directory back as HSDS JSON and tabular data.

Everything here is derived from the standard's own table schemas, shipped in
`data/hsds-3.0/schema/` (unchanged copies, CC BY-SA 4.0): the columns of each table with their
types, which are required, which link to which table, and how records nest in the JSON form.
Decision 0011 explains the choices (links, empty values, nesting, what an import may change).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from prossimo.directory import models as m
from prossimo.directory.indexing import refresh_services, services_touched

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "hsds-3.0" / "schema"

MODELS: dict[str, type[m.HsdsRecord]] = {
    "organization": m.Organization,
    "program": m.Program,
    "service": m.Service,
    "attribute": m.Attribute,
    "service_at_location": m.ServiceAtLocation,
    "location": m.Location,
    "phone": m.Phone,
    "contact": m.Contact,
    "address": m.Address,
    "schedule": m.Schedule,
    "funding": m.Funding,
    "service_area": m.ServiceArea,
    "required_document": m.RequiredDocument,
    "language": m.Language,
    "accessibility": m.Accessibility,
    "taxonomy_term": m.TaxonomyTerm,
    "metadata": m.Metadata,
    "meta_table_description": m.MetaTableDescription,
    "cost_option": m.CostOption,
    "organization_identifier": m.OrganizationIdentifier,
    "taxonomy": m.Taxonomy,
}

# Records are written in this order, so that a required link points at a row written before.
WRITE_ORDER = [
    "organization",
    "program",
    "taxonomy",
    "taxonomy_term",
    "service",
    "location",
    "service_at_location",
    "contact",
    "phone",
    "address",
    "schedule",
    "funding",
    "service_area",
    "required_document",
    "language",
    "accessibility",
    "cost_option",
    "organization_identifier",
    "attribute",
    "metadata",
    "meta_table_description",
]

# Link columns whose name doesn't say the table they point at; None: a record of any table.
_LINK_TARGETS: dict[tuple[str, str], str | None] = {
    ("organization", "parent_organization_id"): "organization",
    ("taxonomy_term", "parent_id"): "taxonomy_term",
    ("attribute", "link_id"): None,
    ("metadata", "resource_id"): None,
}
# The model attribute of a column, where it isn't the column's name.
_ATTNAMES = {("taxonomy_term", "taxonomy_id"): "taxonomy_detail_id"}
# Nesting used by the standard's examples beyond the table schemas: an organization with its
# services (organization_full.json) and a service_at_location with its service
# (service_at_location_full.json, service_at_location_list.json).
_EXTRA_NESTS = [
    ("organization", "services", "service", True),
    ("service_at_location", "service", "service", False),
]

# What `hsds import` can read from a JSON file: the records of one table (one, a list, or a
# page of the API's lists), or the tabular form as JSON.
KINDS = (
    "service",
    "organization",
    "service_at_location",
    "location",
    "taxonomy",
    "taxonomy_term",
    "tabular",
)
_KIND_PREFIXES = [
    ("service_at_location", "service_at_location"),
    ("service", "service"),
    ("organization", "organization"),
    ("location", "location"),
    ("taxonomy_term", "taxonomy_term"),
    ("taxonom", "taxonomy"),
    ("tabular", "tabular"),
]


@dataclass(frozen=True)
class Column:
    """A field of an HSDS table that holds a value (not a nested record)."""

    table: str
    name: str
    kind: str  # string, uuid, number, date, time, datetime
    required: bool  # by the JSON schema
    tabular_required: bool  # by the tabular form only
    attname: str
    schema: dict[str, Any] = field(compare=False, repr=False)
    is_link: bool = False
    target: str | None = None  # the table a link points at; None for any table

    @property
    def polymorphic(self) -> bool:
        return self.is_link and self.target is None


@dataclass(frozen=True)
class Nest:
    """Records nested under a key of a record in the JSON form, and the link column that ties
    them: on each nested record (`many`) or on the containing record (a single nested one)."""

    key: str
    table: str
    many: bool
    owner: str
    column: str

    def reverses(self, other: Nest | None) -> bool:
        return other is not None and (self.owner, self.column) == (other.owner, other.column)


@dataclass
class Table:
    name: str
    path: str
    order: int
    description: str
    model: type[m.HsdsRecord]
    columns: list[Column]
    nests: list[Nest]
    validator: Draft202012Validator

    @cached_property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @cached_property
    def links(self) -> list[Column]:
        return [c for c in self.columns if c.is_link]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.validator.schema["properties"])}

    def position(self, key: str) -> int:
        """Where a field comes in the standard's schema (problems are reported in this order)."""
        return self._positions.get(key, len(self._positions))


def _kind(prop: dict[str, Any]) -> str:
    if prop.get("type") == "number":
        return "number"
    if prop.get("format") == "uuid":
        return "uuid"
    return {"date": "date", "time": "time", "datetime": "datetime"}.get(
        prop.get("datapackage_type", ""), "string"
    )


@cache
def tables() -> dict[str, Table]:
    """The HSDS tables, read from the standard's schemas (by table name, in the standard's
    order)."""
    raw = {}
    names_by_file = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        raw[schema["name"]] = schema
        names_by_file[path.name] = schema["name"]
    columns: dict[str, list[Column]] = {}
    nested: dict[str, list[tuple[str, str, bool]]] = {}
    props: dict[str, dict[str, Any]] = {}
    for name, schema in raw.items():
        required = set(schema.get("required", []))
        tabular = set(schema.get("tabular_required", []))
        columns[name], nested[name], props[name] = [], [], {}
        for key, prop in schema["properties"].items():
            ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
            if ref:
                many = prop.get("type") == "array"
                nested[name].append((key, names_by_file[ref], many))
                props[name][key] = (
                    {"type": "array", "items": {"type": "object"}} if many else {"type": "object"}
                )
                continue
            kind = _kind(prop)
            is_link = kind == "uuid" and key != "id"
            target = _LINK_TARGETS.get((name, key), key.removesuffix("_id")) if is_link else None
            columns[name].append(
                Column(
                    table=name,
                    name=key,
                    kind=kind,
                    required=key in required,
                    tabular_required=key in tabular,
                    attname=_ATTNAMES.get((name, key), key),
                    schema=prop,
                    is_link=is_link,
                    target=target,
                )
            )
            props[name][key] = {k: v for k, v in prop.items() if k in ("type", "format", "enum")}
    for owner, key, child, many in _EXTRA_NESTS:
        nested[owner].append((key, child, many))
        props[owner][key] = (
            {"type": "array", "items": {"type": "object"}} if many else {"type": "object"}
        )

    def link_column(holder: str, points_to: str) -> str:
        found = [c.name for c in columns[holder] if c.is_link and c.target == points_to]
        if not found:
            found = [c.name for c in columns[holder] if c.polymorphic]
        if len(found) != 1:
            raise LookupError(f"{holder} has no single link to {points_to}: {found}")
        return found[0]

    checker = FormatChecker(formats=["email"])
    result = {}
    for name, schema in sorted(
        raw.items(), key=lambda item: item[1]["datapackage_metadata"]["order"]
    ):
        nests = [
            Nest(key, child, True, child, link_column(child, name))
            if many
            else Nest(key, child, False, name, link_column(name, child))
            for key, child, many in nested[name]
        ]
        result[name] = Table(
            name=name,
            path=schema["path"],
            order=schema["datapackage_metadata"]["order"],
            description=schema.get("description", ""),
            model=MODELS[name],
            columns=columns[name],
            nests=nests,
            validator=Draft202012Validator(
                {"type": "object", "properties": props[name]}, format_checker=checker
            ),
        )
    return result


def table_for_path(path: str) -> str | None:
    """The table stored in a tabular file of this name (`services.csv` → service)."""
    return next((t.name for t in tables().values() if t.path == path), None)


# Reports ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something wrong (or, as a warning, worth knowing) about one field of one record."""

    file: str
    where: str  # a row ("row 3") or a JSON path ("$[0].phones[1]")
    field: str
    message: str

    def __str__(self) -> str:
        return ": ".join(p for p in (self.file, self.where, self.field, self.message) if p)


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _empty(value: Any) -> bool:
    return value is None or value == ""


# Values ----------------------------------------------------------------------------------------


def _parse(column: Column, text: str) -> Any:
    """A value of the column's type from its text (a CSV cell or a JSON string)."""
    value = text.strip()
    try:
        if column.kind == "uuid":
            return uuid.UUID(value)
        if column.kind == "number":
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if column.kind == "date":
            return dt.date.fromisoformat(value)
        if column.kind == "time":
            moment = dt.time.fromisoformat(value)
            if moment.tzinfo is not None:
                raise ValueError(value)
            return moment
        if column.kind == "datetime":
            stamp = dt.datetime.fromisoformat(value)
            if timezone.is_naive(stamp):
                stamp = timezone.make_aware(stamp)
            return stamp
    except ValueError:
        messages = {
            "uuid": _("%(value)s is not a UUID"),
            "number": _("%(value)s is not a number"),
            "date": _("%(value)s is not a date (YYYY-MM-DD)"),
            "time": _("%(value)s is not a time (HH:MM or HH:MM:SS)"),
            "datetime": _("%(value)s is not a date and time (ISO 8601)"),
        }
        raise Invalid(messages[column.kind] % {"value": _show(text)}) from None
    return text


def _from_json(column: Column, value: Any) -> Any:
    """A value of the column's type from a JSON value that passed the schema's type check."""
    if value is None or value == "":
        return "" if column.kind == "string" else None
    if column.kind == "string":
        return value
    if column.kind == "number":
        return float(value)
    return _parse(column, value)


def _from_text(column: Column, text: str) -> Any:
    if text == "" or (column.kind != "string" and not text.strip()):
        return "" if column.kind == "string" else None
    if column.kind == "string":
        return text
    return _parse(column, text)


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _json_value(column: Column, value: Any) -> Any:
    if column.kind == "uuid":
        return str(value)
    if column.kind == "number":
        return _number(value)
    if column.kind == "datetime":
        stamp = value.astimezone(dt.UTC)
        spec = "milliseconds" if stamp.microsecond % 1000 == 0 else "microseconds"
        return stamp.isoformat(timespec=spec).replace("+00:00", "Z")
    if column.kind in ("date", "time"):
        return value.isoformat()
    return value


def _text_value(column: Column, value: Any) -> str:
    if _empty(value):
        return ""
    return str(_json_value(column, value))


def _schema_message(error: SchemaError) -> str:
    value = _show(error.instance)
    if error.validator == "type":
        names = {
            "string": _("text"),
            "number": _("a number"),
            "array": _("a list"),
            "object": _("an object"),
        }
        return _("%(value)s is not %(type)s") % {
            "value": value,
            "type": names.get(str(error.validator_value), error.validator_value),
        }
    if error.validator == "enum":
        return _("%(value)s is not one of: %(choices)s") % {
            "value": value,
            "choices": ", ".join(str(v) for v in error.validator_value),
        }
    if error.validator == "format" and error.validator_value == "email":
        return _("%(value)s is not an e-mail address") % {"value": value}
    return error.message


# Reading ---------------------------------------------------------------------------------------


@dataclass
class Incoming:
    """One record read from the input: the fields it gives (a cleared field is empty)."""

    table: str
    id: uuid.UUID
    values: dict[str, Any]
    file: str
    where: str
    origins: dict[str, str]


class Batch:
    """Records read from one input, merged by table and id, with the problems found."""

    def __init__(self) -> None:
        self.records: dict[str, dict[uuid.UUID, Incoming]] = {t: {} for t in tables()}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self._unknown: set[tuple[str, str, str]] = set()
        self._missing_columns: set[tuple[str, str]] = set()

    def problem(self, file: str, where: str, field: str, message: str) -> None:
        self.problems.append(Problem(file, where, field, message))

    def warning(self, file: str, where: str, field: str, message: str) -> None:
        self.warnings.append(Problem(file, where, field, message))

    def _unknown_field(self, file: str, table: str, key: str, where: str) -> None:
        if (file, table, key) in self._unknown:
            return
        self._unknown.add((file, table, key))
        self.warning(
            file,
            where,
            key,
            _("not a field of %(table)s in HSDS 3.0: ignored") % {"table": table},
        )

    # Merging -----------------------------------------------------------------------------------

    def _add(
        self,
        table: str,
        record_id: uuid.UUID,
        values: dict[str, Any],
        file: str,
        where: str,
        *,
        row: bool = False,
    ) -> None:
        """Add a record; the same id met again (a phone nested under its service and under its
        location) must agree on every field both give."""
        seen = self.records[table].get(record_id)
        if seen is None:
            origins = dict.fromkeys(values, where)
            self.records[table][record_id] = Incoming(
                table, record_id, dict(values), file, where, origins
            )
            return
        if row:
            self.problem(
                file, where, "id", _("the same id is also at %(other)s") % {"other": seen.where}
            )
            return
        for key, value in values.items():
            if key in seen.values and seen.values[key] != value:
                self.problem(
                    file,
                    where,
                    key,
                    _("differs from the same %(table)s at %(other)s")
                    % {"table": table, "other": seen.origins[key]},
                )
            elif key not in seen.values:
                seen.values[key] = value
                seen.origins[key] = where

    def _set_link(
        self, values: dict[str, Any], column: str, target: uuid.UUID, file: str, where: str
    ) -> None:
        given = values.get(column)
        if given is not None and given != target:
            self.problem(
                file,
                where,
                column,
                _("is %(given)s, but the record is nested in %(nested)s")
                % {"given": given, "nested": target},
            )
        else:
            values[column] = target

    def _values(
        self, spec: Table, raw: dict[str, Any], file: str, where: str
    ) -> tuple[dict[str, Any], set[str]]:
        """The columns given in a JSON record, checked against the table's schema and typed."""
        bad: set[str] = set()
        found: list[tuple[int, str, str]] = []
        instance = {k: v for k, v in raw.items() if not _empty(v)}
        for error in spec.validator.iter_errors(instance):
            path = list(error.path)
            name = str(path[0]) if path else ""
            label = name + "".join(f"[{p}]" for p in path[1:])
            if label not in {f[1] for f in found}:  # one problem a field is enough
                found.append((spec.position(name), label, _schema_message(error)))
            bad.add(name)
        values: dict[str, Any] = {}
        for column in spec.columns:
            if column.name not in raw or column.name in bad:
                continue
            try:
                values[column.name] = _from_json(column, raw[column.name])
            except Invalid as exc:
                found.append((spec.position(column.name), column.name, exc.message))
                bad.add(column.name)
        for _position, label, message in sorted(found, key=lambda f: f[0]):
            self.problem(file, where, label, message)
        return values, bad

    def _check_required(
        self, spec: Table, values: dict[str, Any], bad: set[str], file: str, where: str
    ) -> None:
        """Fields every record must give (those the tabular form adds: see `resolve`)."""
        for column in spec.columns:
            if not column.required or column.name in bad:
                continue
            if (spec.name, column.name) in self._missing_columns:
                continue
            if _empty(values.get(column.name)):
                self.problem(file, where, column.name, _("required field missing"))

    # JSON --------------------------------------------------------------------------------------

    def read_json_file(self, path: Path, label: str, kind: str | None) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError:
            self.problem(label, "", "", _("not UTF-8 text"))
            return
        except json.JSONDecodeError as exc:
            where = _("line %(line)s, column %(column)s") % {
                "line": exc.lineno,
                "column": exc.colno,
            }
            self.problem(label, where, "", _("not valid JSON: %(error)s") % {"error": exc.msg})
            return
        self.read_json(data, label, kind or kind_of(path.name, data))

    def read_json(self, data: Any, label: str, kind: str | None) -> None:
        if kind is None:
            self.problem(
                label,
                "",
                "",
                _(
                    "cannot tell which HSDS records this file holds: name it after them "
                    "(services.json, organizations.json, …) or give --kind"
                ),
            )
            return
        if kind == "tabular":
            self.read_tabular_json(data, label)
            return
        if isinstance(data, list):
            items = [(f"$[{i}]", item) for i, item in enumerate(data)]
        elif isinstance(data, dict) and isinstance(data.get("contents"), list) and "id" not in data:
            items = [(f"$.contents[{i}]", item) for i, item in enumerate(data["contents"])]
        elif isinstance(data, dict):
            items = [("$", data)]
        else:
            self.problem(label, "$", "", _("expected an HSDS record or a list of records"))
            return
        for where, item in items:
            self._walk(kind, item, label, where, None)

    def _walk(
        self,
        table: str,
        obj: Any,
        file: str,
        where: str,
        link: tuple[Nest, uuid.UUID | None, str] | None,
    ) -> uuid.UUID | None:
        """Read a JSON record and those nested in it; its id, if it has a valid one."""
        if not isinstance(obj, dict):
            self.problem(file, where, "", _("expected an object"))
            return None
        spec = tables()[table]
        values, bad = self._values(spec, obj, file, where)
        self._check_required(spec, values, bad, file, where)
        known = {c.name for c in spec.columns} | {n.key for n in spec.nests}
        for key in obj:
            if key not in known:
                self._unknown_field(file, table, key, where)
        record_id = values.get("id")
        if link is not None:
            nest, parent_id, parent_table = link
            if parent_id is not None:
                self._set_link(values, nest.column, parent_id, file, where)
            # A record attached to "any table" says which one; nested, it's the container's.
            if spec.by_name[nest.column].polymorphic:
                entity = "link_entity" if table == "attribute" else "resource_type"
                if _empty(values.get(entity)) and entity not in bad:
                    values[entity] = parent_table
        for nest in spec.nests:
            if nest.key not in obj or nest.key in bad or obj[nest.key] is None:
                continue
            inner = f"{where}.{nest.key}"
            if nest.many:
                for i, item in enumerate(obj[nest.key]):
                    self._walk(nest.table, item, file, f"{inner}[{i}]", (nest, record_id, table))
            else:
                child_id = self._walk(nest.table, obj[nest.key], file, inner, None)
                if child_id is not None:
                    self._set_link(values, nest.column, child_id, file, where)
        if record_id is not None:
            self._add(table, record_id, values, file, where)
        return record_id

    def read_tabular_json(self, data: Any, label: str) -> None:
        """The tabular form as JSON (examples/tabular.json): rows of each table by its file
        name (`services.csv`) or its name (`service`)."""
        if not isinstance(data, dict):
            self.problem(label, "$", "", _("expected an object with a list of rows per table"))
            return
        for key, rows in data.items():
            table = key if key in tables() else table_for_path(key)
            where = f"$[{json.dumps(key)}]"
            if table is None:
                self.warning(label, where, "", _("not an HSDS 3.0 table: ignored"))
                continue
            if not isinstance(rows, list):
                self.problem(label, where, "", _("expected a list of rows"))
                continue
            spec = tables()[table]
            for i, row in enumerate(rows):
                row_where = f"{where}[{i}]"
                if not isinstance(row, dict):
                    self.problem(label, row_where, "", _("expected an object"))
                    continue
                values, bad = self._values(spec, _as_cells(spec, row), label, row_where)
                for key_ in row:
                    if key_ in {n.key for n in spec.nests}:
                        self.problem(
                            label, row_where, key_, _("nested records are not part of a table")
                        )
                    elif key_ not in spec.by_name:
                        self._unknown_field(label, table, key_, row_where)
                self._check_required(spec, values, bad, label, row_where)
                if isinstance(values.get("id"), uuid.UUID):
                    self._add(table, values["id"], values, label, row_where, row=True)

    # Tabular (CSV) -----------------------------------------------------------------------------

    def read_csv(self, path: Path, label: str, table: str) -> None:
        spec = tables()[table]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self.problem(label, "", "", _("not UTF-8 text"))
            return
        except OSError as exc:
            self.problem(label, "", "", _("cannot be read: %(error)s") % {"error": exc.strerror})
            return
        reader = csv.reader(io.StringIO(text, newline=""))
        # Rows are numbered as a spreadsheet shows them: the header is row 1.
        number = 1
        try:
            header = next(reader, None)
            if header is None:
                return
            columns = self._csv_header(spec, header, label)
            if columns is None:
                return
            for row in reader:
                number += 1
                if any(cell.strip() for cell in row):
                    self._csv_row(spec, columns, row, label, _("row %(n)s") % {"n": number})
        except csv.Error as exc:
            where = _("row %(n)s") % {"n": number + 1}
            self.problem(label, where, "", _("not valid CSV: %(error)s") % {"error": exc})

    def _csv_header(self, spec: Table, header: list[str], label: str) -> list[Column | None] | None:
        where = _("header")
        columns: list[Column | None] = []
        for name in header:
            column = spec.by_name.get(name)
            if column is None:
                self.warning(
                    label,
                    where,
                    name,
                    _("not a column of %(table)s in HSDS 3.0: ignored") % {"table": spec.name},
                )
            elif column in columns:
                self.problem(label, where, name, _("the column appears twice"))
                return None
            columns.append(column)
        given = {c.name for c in columns if c is not None}
        if "id" not in given:
            self.problem(label, where, "id", _("required column missing"))
            return None
        for column in spec.columns:
            if (column.required or column.tabular_required) and column.name not in given:
                self.problem(label, where, column.name, _("required column missing"))
                self._missing_columns.add((spec.name, column.name))
        return columns

    def _csv_row(
        self, spec: Table, columns: list[Column | None], row: list[str], label: str, where: str
    ) -> None:
        if len(row) != len(columns):
            self.problem(
                label,
                where,
                "",
                _("%(cells)s cells, but the header has %(columns)s columns")
                % {"cells": len(row), "columns": len(columns)},
            )
            return
        bad: set[str] = set()
        values: dict[str, Any] = {}
        instance: dict[str, Any] = {}
        for column, cell in zip(columns, row, strict=True):
            if column is None:
                continue
            try:
                values[column.name] = _from_text(column, cell)
            except Invalid as exc:
                self.problem(label, where, column.name, exc.message)
                bad.add(column.name)
                continue
            if not _empty(values[column.name]):
                instance[column.name] = values[column.name] if column.kind == "number" else cell
        found = []
        for error in spec.validator.iter_errors(instance):
            name = str(error.path[0]) if error.path else ""
            if name not in bad:  # one problem a field is enough
                found.append((spec.position(name), name, _schema_message(error)))
            bad.add(name)
        for _position, name, message in sorted(found, key=lambda f: f[0]):
            self.problem(label, where, name, message)
        self._check_required(spec, values, bad, label, where)
        if isinstance(values.get("id"), uuid.UUID):
            self._add(spec.name, values["id"], values, label, where, row=True)

    def read_datapackage(self, path: Path, label: str) -> None:
        """A tabular data package: its descriptor names the file of each table."""
        try:
            descriptor = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.problem(label, "", "", _("not valid JSON: %(error)s") % {"error": exc})
            return
        resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
        if not isinstance(resources, list):
            self.problem(label, "$", "resources", _("expected a list of resources"))
            return
        for i, resource in enumerate(resources):
            where = f"$.resources[{i}]"
            name = resource.get("name") if isinstance(resource, dict) else None
            if name not in tables():
                self.warning(label, where, "name", _("not an HSDS 3.0 table: ignored"))
                continue
            paths = resource.get("path")
            for file in paths if isinstance(paths, list) else [paths]:
                if not isinstance(file, str) or not _inside(file):
                    self.problem(label, where, "path", _("only files inside the package are read"))
                    continue
                target = path.parent / file
                if not target.is_file():
                    self.problem(label, where, "path", _("%(file)s: no such file") % {"file": file})
                    continue
                self.read_csv(target, file, name)

    # Checks against the directory ----------------------------------------------------------------

    def resolve(self) -> dict[str, set[uuid.UUID]]:
        """Check the links and what new records need; the ids of the records we already hold.

        A link that the tabular form requires must point at a record of the file or of the
        directory; an optional link that doesn't is kept as given, with a warning.
        """
        existing = {
            name: _existing_ids(tables()[name].model, recs) for name, recs in self.records.items()
        }
        self._infer_program_organizations(existing)
        for name, recs in self.records.items():
            required = [
                c
                for c in tables()[name].columns
                if c.tabular_required and (name, c.name) not in self._missing_columns
            ]
            for rec in recs.values():
                for column in required:
                    if not _empty(rec.values.get(column.name)):
                        continue
                    # A record we hold keeps the links an input leaves out.
                    if column.name not in rec.values and rec.id in existing[name]:
                        continue
                    self.problem(rec.file, rec.where, column.name, _("required field missing"))
        unresolved: list[tuple[Incoming, Column, uuid.UUID, list[str]]] = []
        wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
        for name, recs in self.records.items():
            for rec in recs.values():
                for column in tables()[name].links:
                    value = rec.values.get(column.name)
                    if not isinstance(value, uuid.UUID):
                        continue
                    targets = [column.target] if column.target else list(tables())
                    if any(value in self.records[t] for t in targets):
                        continue
                    unresolved.append((rec, column, value, targets))
                    for target in targets:
                        wanted[target].add(value)
        found = {t: _existing_ids(tables()[t].model, ids) for t, ids in wanted.items()}
        for rec, column, value, targets in unresolved:
            if any(value in found[t] for t in targets):
                continue
            if column.target is None:
                self.warning(
                    rec.file,
                    rec.where,
                    column.name,
                    _("no record with id %(id)s in the file or in the directory: kept as given")
                    % {"id": value},
                )
            elif column.tabular_required:
                self.problem(
                    rec.file,
                    rec.where,
                    column.name,
                    _("no %(table)s with id %(id)s in the file or in the directory")
                    % {"table": column.target, "id": value},
                )
            else:
                self.warning(
                    rec.file,
                    rec.where,
                    column.name,
                    _(
                        "no %(table)s with id %(id)s in the file or in the directory: "
                        "the link is kept as given"
                    )
                    % {"table": column.target, "id": value},
                )
        return existing

    def _infer_program_organizations(self, existing: dict[str, set[uuid.UUID]]) -> None:
        """A program nested in a service, without its organization, is one of the service's
        organization (the JSON form doesn't repeat it; the tabular form requires it)."""
        programs = self.records["program"]
        for service in self.records["service"].values():
            program = programs.get(service.values.get("program_id"))  # type: ignore[arg-type]
            organization = service.values.get("organization_id")
            if program is None or organization is None or program.id in existing["program"]:
                continue
            program.values.setdefault("organization_id", organization)
            program.origins.setdefault("organization_id", service.where)


def _as_cells(spec: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A row of the tabular form as JSON, with numbers given for text columns read as their
    text, as a CSV cell would be (the official tabular.json gives identifiers as numbers)."""
    cells = dict(row)
    for name, value in row.items():
        column = spec.by_name.get(name)
        if (
            column is not None
            and column.kind == "string"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            cells[name] = str(_number(float(value)) if isinstance(value, float) else value)
    return cells


def _existing_ids(model: type[m.HsdsRecord], ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = list(ids)
    found: set[uuid.UUID] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(model.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return found


def _inside(file: str) -> bool:
    path = PurePosixPath(file)
    return not (path.is_absolute() or ".." in path.parts or "://" in file or "\\" in file)


def kind_of(file_name: str, data: Any) -> str | None:
    """Which records a JSON file holds, from its name (`service_full.json`, `services.json`)
    or, for the tabular form, its content."""
    stem = file_name.lower()
    for prefix, kind in _KIND_PREFIXES:
        if stem.startswith(prefix):
            return kind
    if (
        isinstance(data, dict)
        and data
        and all(key in tables() or table_for_path(key) for key in data)
    ):
        return "tabular"
    return None


def _csv_files(directory: Path) -> list[tuple[Path, str]]:
    return [
        (directory / spec.path, spec.name)
        for spec in tables().values()
        if (directory / spec.path).is_file()
    ]


def read(path: Path, *, kind: str | None = None) -> Batch:
    """Read HSDS data: a JSON file, a tabular data package (its directory, its `csv/` folder,
    its datapackage.json) or one CSV table. Nothing is written."""
    batch = Batch()
    label = path.name or str(path)
    if path.is_dir():
        directory = path
        if not _csv_files(directory) and (path / "csv").is_dir():
            directory = path / "csv"
        files = _csv_files(directory)
        if not files:
            batch.problem(
                label,
                "",
                "",
                _("no HSDS tables here: expected files such as organizations.csv, services.csv"),
            )
        known = {file for file, _table in files}
        for other in sorted(directory.glob("*.csv")):
            if other not in known:
                batch.warning(
                    str(other.relative_to(path)), "", "", _("not an HSDS 3.0 table: ignored")
                )
        for file, table in files:
            batch.read_csv(file, str(file.relative_to(path)), table)
    elif not path.is_file():
        batch.problem(str(path), "", "", _("no such file or directory"))
    elif path.name == "datapackage.json":
        batch.read_datapackage(path, label)
    elif path.suffix.lower() == ".csv":
        single = table_for_path(path.name)
        if single is None:
            batch.problem(label, "", "", _("not an HSDS 3.0 table (such as services.csv)"))
        else:
            batch.read_csv(path, label, single)
    else:
        batch.read_json_file(path, label, kind)
    return batch


# Writing the directory -----------------------------------------------------------------------


def write(batch: Batch, existing: dict[str, set[uuid.UUID]]) -> tuple[dict[str, int], ...]:
    """Create or update the records read (in a transaction the caller holds). A record we hold
    changes only in the fields the input gives; the search data of the services touched are
    rebuilt (`indexing.refresh_services`). Returns the numbers created and updated by table."""
    created: dict[str, int] = {}
    updated: dict[str, int] = {}
    now = timezone.now()
    for name in WRITE_ORDER:
        records = batch.records[name]
        if not records:
            continue
        spec = tables()[name]
        new = [rec for rec in records.values() if rec.id not in existing[name]]
        spec.model.objects.bulk_create([_instance(spec, rec, rec.values) for rec in new])
        groups: dict[frozenset[str], list[Incoming]] = defaultdict(list)
        for rec in records.values():
            if rec.id in existing[name]:
                groups[frozenset(rec.values) - {"id"}].append(rec)
        for given, group in groups.items():
            objects = [_instance(spec, rec, rec.values) for rec in group]
            for obj in objects:
                obj.updated_at = now
            fields = [c.attname for c in spec.columns if c.name in given] + ["updated_at"]
            spec.model.objects.bulk_update(objects, fields)
        created[name] = len(new)
        updated[name] = len(records) - len(new)
    # What search reads (municipalities served, search documents, opening spans) follows.
    touched: set[uuid.UUID] = set()
    for name, records in batch.records.items():
        touched |= services_touched(name, records)
    refresh_services(touched)
    return created, updated


def _instance(spec: Table, rec: Incoming, values: dict[str, Any]) -> m.HsdsRecord:
    fields = {
        c.attname: "" if c.kind == "string" and values[c.name] is None else values[c.name]
        for c in spec.columns
        if c.name in values and c.name != "id"
    }
    return spec.model(id=rec.id, **fields)


# Serialising -----------------------------------------------------------------------------------


class Snapshot:
    """The whole directory, read with one query per HSDS table, to serialise."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[uuid.UUID, dict[str, Any]]] = {}
        for name, spec in tables().items():
            attnames = [c.attname for c in spec.columns]
            names = [c.name for c in spec.columns]
            self.rows[name] = {
                values[0]: dict(zip(names, values, strict=True))
                for values in spec.model.objects.values_list(*attnames)
            }
        self._children: dict[tuple[str, str], dict[Any, list[dict[str, Any]]]] = {}
        # Links the nesting carries: left out of the JSON records.
        self._nested_links = {
            (n.owner, n.column) for t in tables().values() for n in t.nests if n.many
        }

    def ordered(self, table: str) -> list[dict[str, Any]]:
        return sorted(self.rows[table].values(), key=lambda r: str(r["id"]))

    def children(self, table: str, column: str, parent: uuid.UUID) -> list[dict[str, Any]]:
        index = self._children.get((table, column))
        if index is None:
            index = defaultdict(list)
            for row in self.ordered(table):
                index[row[column]].append(row)
            self._children[(table, column)] = index
        return index.get(parent, [])

    def serialise(self, table: str, row: dict[str, Any], via: Nest | None = None) -> dict[str, Any]:
        """A record as HSDS JSON, with the records nested in it as in the standard's `*_full`
        examples; the record it is nested in (`via`) is not repeated inside it."""
        spec = tables()[table]
        single = {n.column: n for n in spec.nests if not n.many}
        out: dict[str, Any] = {}
        for column in spec.columns:
            value = row[column.name]
            if column.is_link:
                if (table, column.name) in self._nested_links:
                    continue
                nest = single.get(column.name)
                if nest is not None and (nest.reverses(via) or value in self.rows[nest.table]):
                    continue
            if _empty(value):
                if column.required and value == "":
                    out[column.name] = ""
                continue
            out[column.name] = _json_value(column, value)
        for nest in spec.nests:
            if nest.reverses(via):
                continue
            if nest.many:
                items = [
                    self.serialise(nest.table, child, nest)
                    for child in self.children(nest.table, nest.column, row["id"])
                ]
                if items:
                    out[nest.key] = items
            else:
                target = self.rows[nest.table].get(row[nest.column])
                if target is not None:
                    out[nest.key] = self.serialise(nest.table, target, nest)
        return out

    def top(self, table: str) -> list[dict[str, Any]]:
        """Every record of a table, fully nested, by name."""
        rows = sorted(
            self.rows[table].values(),
            key=lambda r: (str(r.get("name", "")).casefold(), str(r["id"])),
        )
        return [self.serialise(table, row) for row in rows]

    def tabular_rows(self, table: str) -> Iterator[list[str]]:
        spec = tables()[table]
        yield [c.name for c in spec.columns]
        for row in self.ordered(table):
            yield [_text_value(c, row[c.name]) for c in spec.columns]


def datapackage() -> dict[str, Any]:
    """The tabular data package descriptor (Frictionless) of HSDS 3.0, from its schemas."""
    types = {"uuid": "string", "string": "string"}
    resources = []
    for spec in tables().values():
        fields = []
        for column in spec.columns:
            entry: dict[str, Any] = {
                "name": column.name,
                "type": types.get(column.kind, column.kind),
            }
            if column.kind == "uuid":
                entry["format"] = "uuid"
            elif column.schema.get("format") in ("email", "uri"):
                entry["format"] = column.schema["format"]
            for key in ("title", "description"):
                if column.schema.get(key):
                    entry[key] = column.schema[key]
            constraints: dict[str, Any] = {}
            if column.required or column.tabular_required:
                constraints["required"] = True
            if column.name == "id":
                constraints["unique"] = True
            if column.schema.get("enum"):
                constraints["enum"] = column.schema["enum"]
            if constraints:
                entry["constraints"] = constraints
            fields.append(entry)
        schema: dict[str, Any] = {"fields": fields, "primaryKey": ["id"]}
        foreign = [
            {"fields": [c.name], "reference": {"resource": c.target, "fields": ["id"]}}
            for c in spec.links
            if c.tabular_required and c.target
        ]
        if foreign:
            schema["foreignKeys"] = foreign
        resources.append(
            {
                "name": spec.name,
                "path": spec.path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": spec.description,
                "schema": schema,
            }
        )
    return {
        "name": "hsds",
        "title": "Human Services Data Specification 3.0",
        "profile": "tabular-data-package",
        "resources": resources,
    }


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_tabular(snapshot: Snapshot, directory: Path) -> dict[str, int]:
    """The tabular package: one CSV file per table (every table, even empty) and its
    datapackage.json. Values are written as they are: this is a data interchange format."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for spec in tables().values():
        with (directory / spec.path).open("w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(snapshot.tabular_rows(spec.name))
        counts[spec.name] = len(snapshot.rows[spec.name])
    write_json(directory / "datapackage.json", datapackage())
    return counts
