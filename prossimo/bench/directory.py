"""Benchmark of the resource directory's search.

The issue: "`directory_search` with 20,000 services and 100,000 schedule rows — p95 per query
kind (text, need + municipality, open now), on SQLite and PostgreSQL; goal p95 under 100 ms."

Data: `prossimo.bench.directory_data` (the `directory` part): the synthetic directory of
`directory.synthetic` over the municipalities of Lecco and Monza e della Brianza,
`DIRECTORY_SCALES[scale]` services with five schedules each on average (rebuilt alone when the
generator or the search data's code changed).

`directory_search` (unit ms) times `search.search_services` — the function the pages and the
API call — for a page of 20 hits, hits built (phones, schedules, places, needs), with three
kinds of query, each timed apart:
- `text`: words a volunteer types ("accompagnamento visite", "guardia medica", "caffè"…);
- `need_municipality`: a need of the taxonomy (or its parent, with its sub-categories) that
  some service meets in a municipality it serves;
- `open_now`: services open at a moment (weekdays, evenings, nights, a Sunday, a holiday).
The floor of each is the very statement `search_services` runs to pick the page
(`search.search_statement`), through the driver's own cursor: the ratio is what loading the
services and building their hits costs. The first query of each kind checks that the floor
finds the same services in the same order, else the benchmark fails. Service and floor
alternate which goes first. The row's figures are over all queries; `params.kinds` gives each
kind's median, p95, p99, floor median, ratio and queries. The goal holds when every kind's
p95 is under 100 ms.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from prossimo.bench.directory_data import ensure_directory
from prossimo.bench.runner import (
    BenchContext,
    Measurement,
    benchmark,
    median,
    summarise,
    timed_pairs,
)

SAMPLES = {"tiny": 40, "small": 150, "full": 400}
WARMUP = {"tiny": 10, "small": 20, "full": 40}
GOAL_P95_MS = 100
PAGE = 20
TEXTS = (
    "accompagnamento visite", "pasti a domicilio", "guardia medica", "farmacia di turno",
    "supporto psicologico", "prenotazione visite cup", "spid", "socializzazione",
    "pratiche isee", "spesa", "caffè alzheimer", "trasporto", "telefonata", "assistenza",
    "volontari lecco", "continuità assistenziale", "bollette", "fascicolo sanitario",
)  # fmt: skip
ROME = ZoneInfo("Europe/Rome")


def _queries(ctx: BenchContext, kind: str, count: int) -> list[Any]:
    from prossimo.directory.models import ServiceNeed
    from prossimo.directory.search import ServiceQuery

    rng = ctx.rng(f"directory:{kind}")
    if kind == "text":
        return [ServiceQuery(text=rng.choice(TEXTS)) for _ in range(count)]
    if kind == "need_municipality":
        # What a volunteer asks: a need some service meets in a municipality it serves —
        # the category itself or its parent (which takes in its sub-categories).
        pairs = sorted(
            ServiceNeed.objects.filter(service__municipalities_served__isnull=False)
            .values_list(
                "category_id", "category__parent_id", "service__municipalities_served__municipality"
            )
            .distinct()
        )
        queries = []
        for _ in range(count):
            category, parent, municipality = rng.choice(pairs)
            need = parent if parent is not None and rng.random() < 0.5 else category
            queries.append(ServiceQuery(need=need, municipality=municipality))
        return queries
    # Moments of two weeks of June 2026 (2 June is a national holiday), at any hour.
    start = dt.datetime(2026, 6, 1, tzinfo=ROME)
    return [
        ServiceQuery(
            open_at=start + dt.timedelta(days=rng.randrange(14), minutes=rng.randrange(1440))
        )
        for _ in range(count)
    ]


def _floor(vendor: str) -> Any:
    """Run a compiled statement on a raw DB-API cursor; returns the ids."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection

    def run(statement: tuple[str, list[Any]]) -> list[uuid.UUID]:
        sql, params = statement
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            return [r[0] if isinstance(r[0], uuid.UUID) else uuid.UUID(r[0]) for r in cursor]
        finally:
            cursor.close()

    return run


def driver_statement(query: Any, vendor: str) -> tuple[str, list[Any]]:
    """`search_statement` in the driver's own placeholder style."""
    from prossimo.directory.search import search_statement

    sql, params = search_statement(query, limit=PAGE + 1, offset=0, vendor=vendor)
    if vendor == "sqlite":
        sql = sql.replace("%s", "?").replace("%%", "%")
    return sql, params


def _goal_met(row: dict[str, Any]) -> bool:
    kinds = row["params"].get("kinds", {})
    return bool(kinds) and all(k["p95"] < GOAL_P95_MS for k in kinds.values())


@benchmark("directory_search", goal="p95 < 100 ms for each query kind", goal_met=_goal_met)
def directory_search(ctx: BenchContext) -> Measurement:
    """`search_services` by text, by need and municipality, open now (module docstring)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from prossimo.directory.search import search_services

    info = ensure_directory(ctx.scale.name, ctx.dataset)
    vendor = connection.vendor
    floor = _floor(vendor)
    count = min(ctx.n, SAMPLES[ctx.scale.name])
    warmup = WARMUP[ctx.scale.name]
    kinds: dict[str, Any] = {}
    all_samples: list[float] = []
    all_floors: list[float] = []
    queries = 0
    for kind in ("text", "need_municipality", "open_now"):
        inputs = [(q, driver_statement(q, vendor)) for q in _queries(ctx, kind, warmup + count)]
        with CaptureQueriesContext(connection) as captured:
            page = search_services(inputs[0][0], limit=PAGE)
        made = len(captured.captured_queries)
        ids = [hit.service.pk for hit in page.hits]
        if floor(inputs[0][1])[:PAGE] != ids:
            raise RuntimeError(f"The {kind} floor does not find the services the search finds.")
        samples, floors = timed_pairs(
            lambda q: search_services(q, limit=PAGE), floor, inputs, warmup=warmup
        )
        samples = [s / 1000 for s in samples]
        floors = [f / 1000 for f in floors]
        floor_median = round(median(floors), 2)
        stats = summarise(samples)
        kinds[kind] = {
            **stats,
            "n": len(samples),
            "floor_median": floor_median,
            "ratio": round(stats["median"] / floor_median, 2) if floor_median else None,
            "queries": made,
            "hits_first_page": len(ids),
        }
        all_samples += samples
        all_floors += floors
        queries = max(queries, made)
    rows = info.get("directory_rows", {})
    return Measurement(
        params={
            "services": rows.get("services"),
            "schedules": rows.get("schedules"),
            "page": PAGE,
            "kinds": kinds,
        },
        samples=all_samples,
        floor="the page's statement (search_statement) through the driver",
        floor_samples=all_floors,
        queries=queries,
        unit="ms",
    )
