"""The directory search benchmark: its floor runs the search's own statement, and the
pipeline on a tiny scale (SQLite)."""

import io
import json

import pytest
from django.db import connection

from prossimo.bench import runner
from prossimo.bench.directory import _floor, _queries, driver_statement
from prossimo.bench.directory_data import DIRECTORY_SCALES, build_directory, digest
from prossimo.directory.search import search_services


@pytest.fixture
def directory(territory):
    return build_directory("tiny")


@pytest.mark.parametrize("kind", ["text", "need_municipality", "open_now"])
def test_the_floor_finds_the_services_the_search_finds(directory, kind):
    ctx = runner.BenchContext(
        scale=runner.SCALES["tiny"], backend=connection.vendor, n=10, warmup=0, dataset=directory
    )
    floor = _floor(connection.vendor)
    found_some = False
    for query in _queries(ctx, kind, 10):
        ids = [hit.service.pk for hit in search_services(query, limit=20).hits]
        assert floor(driver_statement(query, connection.vendor))[:20] == ids
        found_some = found_some or bool(ids)
    assert found_some


def test_the_directory_data_record_their_sizes_and_code(directory):
    assert directory["directory_rows"]["services"] == DIRECTORY_SCALES["tiny"].services
    assert directory["directory_digest"] == digest()


def test_the_benchmark_reports_each_query_kind(tmp_path):
    report = runner.run(
        scale="tiny",
        backend="sqlite",
        only=["directory_search"],
        n=40,
        out_dir=tmp_path,
        out=io.StringIO(),
    )

    [row] = json.loads((tmp_path / "results.json").read_text())
    assert row == report["rows"][0]
    assert tuple(row) == runner.RESULT_KEYS
    assert row["benchmark"] == "directory_search"
    assert row["unit"] == "ms"
    assert row["n"] == 3 * 40
    assert row["goal"] == "p95 < 100 ms for each query kind"
    kinds = row["params"]["kinds"]
    assert list(kinds) == ["text", "need_municipality", "open_now"]
    for kind in kinds.values():
        assert 0 < kind["median"] <= kind["p95"] <= kind["p99"]
        assert kind["floor_median"] > 0
        assert kind["queries"] <= 7
    assert row["params"]["services"] == DIRECTORY_SCALES["tiny"].services
