"""Reading the directory for the HSDS API: pages and single records as the standard's JSON.

`hsds.Snapshot` reads the whole directory (the export). The API reads only what a page or a
record shows: `Subset` loads the records of a page and, level by level of the HSDS nesting,
the records nested in them, one query per table and level — a number fixed by the standard's
nesting, whatever the number of rows — and serialises them with the export's own code, so the
API and the export give the same JSON. Only HSDS records are read: never informal resources.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from prossimo.directory import hsds
from prossimo.directory import models as m

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50


class Subset(hsds.Snapshot):
    """Some records of a table with everything nested in them (`full`), or only the records
    nested one to one (`full=False`: the standard's `*_list` shape)."""

    def __init__(self, table: str, queryset: QuerySet[Any], *, full: bool) -> None:
        specs = hsds.tables()
        self.full = full
        self.rows = {name: {} for name in specs}
        self._children = {}
        self._nested_links = {
            (n.owner, n.column) for t in specs.values() for n in t.nests if n.many
        }
        self.root_ids = [row["id"] for row in self._load(table, queryset)]
        # Nodes of the nesting tree at this level: (table, nested via, ids of its records).
        frontier: list[tuple[str, hsds.Nest | None, set[uuid.UUID]]] = [
            (table, None, set(self.root_ids))
        ]
        while frontier:
            wanted: dict[str, list[tuple[hsds.Nest, set[Any]]]] = defaultdict(list)
            for name, via, ids in frontier:
                for nest in specs[name].nests:
                    if nest.reverses(via) or (nest.many and not full):
                        continue
                    if nest.many:
                        keys = ids
                    else:
                        keys = {self.rows[name][i][nest.column] for i in ids} - {None}
                    if keys:
                        wanted[nest.table].append((nest, keys))
            frontier = []
            for child, nodes in wanted.items():
                spec = specs[child]
                condition = Q()
                for nest, keys in nodes:
                    if nest.many:
                        attname = spec.by_name[nest.column].attname
                        condition |= Q(**{f"{attname}__in": keys})
                    else:
                        condition |= Q(pk__in=keys)
                found = self._load(child, spec.model.objects.filter(condition))
                for nest, keys in nodes:
                    key = nest.column if nest.many else "id"
                    ids = {row["id"] for row in found if row[key] in keys}
                    if ids:
                        frontier.append((child, nest, ids))

    def _load(self, table: str, queryset: QuerySet[Any]) -> list[dict[str, Any]]:
        spec = hsds.tables()[table]
        names = [c.name for c in spec.columns]
        rows = [
            dict(zip(names, values, strict=True))
            for values in queryset.values_list(*[c.attname for c in spec.columns])
        ]
        for row in rows:
            self.rows[table].setdefault(row["id"], row)
        return rows

    def children(self, table: str, column: str, parent: uuid.UUID) -> list[dict[str, Any]]:
        if not self.full:
            return []
        return super().children(table, column, parent)

    def records(self, table: str) -> list[dict[str, Any]]:
        """The records asked for, in the order of the query, as HSDS JSON."""
        return [self.serialise(table, self.rows[table][i]) for i in self.root_ids]


@dataclass
class Page:
    total_items: int
    page_number: int
    size: int
    per_page: int
    contents: list[dict[str, Any]]

    def as_hsds(self) -> dict[str, Any]:
        """The standard's page: `{total_items, total_pages, page_number, size, first_page,
        last_page, empty, contents}`."""
        total_pages = max(1, math.ceil(self.total_items / self.per_page))
        return {
            "total_items": self.total_items,
            "total_pages": total_pages,
            "page_number": self.page_number,
            "size": self.size,
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= total_pages,
            "empty": self.total_items == 0,
            "contents": self.contents,
        }


def _ordered(table: str, queryset: QuerySet[Any]) -> QuerySet[Any]:
    fields = {c.name for c in hsds.tables()[table].columns}
    if "name" in fields:
        return queryset.order_by(Lower("name"), "id")
    return queryset.order_by("id")


def page(
    table: str,
    queryset: QuerySet[Any],
    *,
    page_number: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    full: bool = False,
) -> Page:
    """One page of a table's records (by name, then id), brief unless `full`: two queries
    for the page, then a fixed number for what is nested in its records."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page_number = max(1, page_number)
    total = queryset.count()
    start = (page_number - 1) * per_page
    if start >= total:
        return Page(total, page_number, 0, per_page, [])
    subset = Subset(table, _ordered(table, queryset)[start : start + per_page], full=full)
    contents = subset.records(table)
    return Page(total, page_number, len(contents), per_page, contents)


def record(table: str, record_id: str) -> dict[str, Any] | None:
    """One record, fully nested (`service_full`, `organization_full`…); None if there is no
    record with this id (or it is not an id)."""
    try:
        pk = uuid.UUID(str(record_id))
    except ValueError:
        return None
    model = hsds.MODELS[table]
    subset = Subset(table, model.objects.filter(pk=pk), full=True)
    found = subset.records(table)
    return found[0] if found else None


def services(
    *,
    search: str = "",
    taxonomy_term_id: uuid.UUID | None = None,
    taxonomy_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
) -> QuerySet[m.Service]:
    """Services matching the standard's filters: text in their name, alternate name or
    description; a taxonomy term (or any term of a taxonomy) given to them as an attribute;
    their organization."""
    queryset = m.Service.objects.all()
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(alternate_name__icontains=search)
            | Q(description__icontains=search)
        )
    if taxonomy_term_id is not None:
        queryset = queryset.filter(
            pk__in=m.Attribute.objects.filter(taxonomy_term_id=taxonomy_term_id).values("link_id")
        )
    if taxonomy_id is not None:
        queryset = queryset.filter(
            pk__in=m.Attribute.objects.filter(taxonomy_term__taxonomy_detail_id=taxonomy_id).values(
                "link_id"
            )
        )
    if organization_id is not None:
        queryset = queryset.filter(organization_id=organization_id)
    return queryset


def named(model: type[m.HsdsRecord], search: str = "") -> QuerySet[Any]:
    """The records of a table, those whose name holds `search` if given."""
    queryset = model.objects.all()
    if search:
        queryset = queryset.filter(Q(name__icontains=search))
    return queryset


def service_at_locations(
    *, search: str = "", organization_id: uuid.UUID | None = None
) -> QuerySet[m.ServiceAtLocation]:
    queryset = m.ServiceAtLocation.objects.all()
    if search:
        queryset = queryset.filter(
            Q(service__name__icontains=search)
            | Q(description__icontains=search)
            | Q(location__name__icontains=search)
        )
    if organization_id is not None:
        queryset = queryset.filter(service__organization_id=organization_id)
    return queryset
