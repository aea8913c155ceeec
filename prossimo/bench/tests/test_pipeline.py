"""The whole pipeline on a tiny scale, SQLite only, in a temporary directory (~20 s)."""

import io
import json
import sqlite3

import pytest

from prossimo.bench import runner
from prossimo.bench.data import FINGERPRINT_TABLE, SCALES, fingerprint
from prossimo.listening.selectors import TODAY_ROWS


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bench")
    report = runner.run(scale="tiny", backend="sqlite", n=60, out_dir=out_dir, out=io.StringIO())
    return out_dir, report


def test_results_file_has_one_row_per_benchmark_in_the_documented_format(first_run):
    out_dir, _report = first_run
    rows = json.loads((out_dir / "results.json").read_text())

    assert [r["benchmark"] for r in rows] == list(runner.discover())
    row = next(r for r in rows if r["benchmark"] == "caller_lookup_by_phone")
    assert tuple(row) == runner.RESULT_KEYS
    assert row["backend"] == "sqlite"
    assert row["scale"] == "tiny"
    assert row["params"]["people"] == SCALES["tiny"].people
    assert row["params"]["phones"] == SCALES["tiny"].phones
    assert row["unit"] == "us"
    assert row["n"] == 60
    assert 0 < row["median"] <= row["p95"] <= row["p99"]
    assert row["floor"] == "raw SQL through the driver"
    assert row["floor_median"] > 0
    assert row["ratio"] == round(row["median"] / row["floor_median"], 2)
    assert row["queries"] == 2
    assert row["goal"] == "p99 < 2000 us and ratio <= 3"


def test_the_worklist_page_is_timed_in_ms_beside_the_same_page_with_10_items(first_run):
    out_dir, _report = first_run
    rows = json.loads((out_dir / "results.json").read_text())
    row = next(r for r in rows if r["benchmark"] == "worklist_today")

    assert tuple(row) == runner.RESULT_KEYS
    assert row["unit"] == "ms"
    assert row["n"] == 60
    assert 0 < row["median"] <= row["p95"] <= row["p99"]
    assert row["floor"] == "the same page for a user with 10 open items"
    assert row["ratio"] == round(row["median"] / row["floor_median"], 2)
    params = row["params"]
    assert params["open_items"] == SCALES["tiny"].worklist_items
    assert params["floor_items"] == 10
    shown = {section: min(n, TODAY_ROWS) for section, n in params["items"].items()}
    assert params["rows_shown"] == shown  # the most urgent rows of each section
    assert params["totals_stated"] == [n for n in params["items"].values() if n > TODAY_ROWS]
    assert params["floor_rows_shown"] == {"follow_ups": 4, "alerts": 2, "desk_needs": 4}
    assert row["queries"] >= params["floor_queries"] > 5
    assert row["goal"] == "p95 < 50 ms, fixed queries"


def test_table_is_printed_with_a_line_per_result(first_run):
    _out_dir, report = first_run
    table = runner.markdown_table(report["rows"])

    assert table.splitlines()[0].startswith("| benchmark | backend |")
    assert len(table.splitlines()) == 2 + len(report["rows"])


def test_data_are_built_once_then_reused_until_the_fingerprint_changes(first_run):
    out_dir, report = first_run
    database = out_dir / runner.SQLITE_FILE
    assert report["rebuilt"] == {"sqlite": True}
    with sqlite3.connect(database) as conn:
        query = f"SELECT fingerprint FROM {FINGERPRINT_TABLE}"
        stored = conn.execute(query).fetchone()[0]
    assert stored == fingerprint(SCALES["tiny"])

    again = runner.run(scale="tiny", backend="sqlite", n=20, out_dir=out_dir, out=io.StringIO())
    assert again["rebuilt"] == {"sqlite": False}
    assert json.loads((out_dir / "results.json").read_text())[0]["n"] == 20

    with sqlite3.connect(database) as conn:
        conn.execute(f"UPDATE {FINGERPRINT_TABLE} SET fingerprint = 'older'")
    rebuilt = runner.run(scale="tiny", backend="sqlite", n=20, out_dir=out_dir, out=io.StringIO())
    assert rebuilt["rebuilt"] == {"sqlite": True}


def test_unknown_benchmark_is_refused_before_building_anything(tmp_path):
    with pytest.raises(ValueError, match="Unknown benchmark nope"):
        runner.run(scale="tiny", backend="sqlite", only=["nope"], out_dir=tmp_path)
    assert not (tmp_path / runner.SQLITE_FILE).exists()
