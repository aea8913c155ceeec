"""The social telephone service's benchmarks: the floor makes the service's calls, the data
hold the bench volunteers' worklists, and the pipeline on a tiny scale (SQLite, ~30 s)."""

import datetime as dt
import io
import json
import random
import sqlite3

import pytest
from django.db import connection
from django.utils import timezone

from prossimo.bench import runner
from prossimo.bench.data import BulkLoader
from prossimo.bench.programmes import GENERATION_SAMPLES, floor_statement
from prossimo.bench.programmes_data import (
    CALLS_SCALES,
    CallRows,
    Plan,
    Worklist,
    bench_plans,
    working_day,
)
from prossimo.programmes.calls import generate_due_calls
from prossimo.programmes.models import PlannedCall, Programme
from prossimo.programmes.worklist import calls_for_today

DAY = dt.date(2026, 6, 3)  # a Wednesday


# --- the floor ----------------------------------------------------------------------------


@pytest.fixture
def world(db, org_a, lecco, volunteer, operator, coordinator):
    """CallRows writing into the test database, people of Lecco, org_a's callers."""
    from prossimo.people.tests.factories import PersonFactory

    loader = BulkLoader(tune=False)
    rows = CallRows(
        loader,
        random.Random(3),
        now=timezone.now(),
        history_ends=DAY - dt.timedelta(days=1),
    )
    people = [loader.uuid(PersonFactory(municipality=lecco).pk) for _ in range(40)]
    return rows, iter(people), org_a.pk, Programme.objects.get(code="telefonia-sociale").pk


def _plan(world, *, state="active", **fields):
    rows, people, org, programme = world
    person = next(people)
    enrolment = rows.enrolment(
        programme=programme, person=person, organisation=org, coordinator=None, state=state,
        since=DAY - dt.timedelta(days=60),
    )  # fmt: skip
    values = {
        "rhythm": "weekly", "weekdays": 1 << (DAY.isoweekday() - 1), "interval": None,
        "starts_on": DAY - dt.timedelta(days=30), "window": (dt.time(9), dt.time(12)),
        "priority": 2, "backup": None, **fields,
    }  # fmt: skip
    return rows.plan(Plan(enrolment=enrolment, person=person, organisation=org, **values))


def _made(day):
    return sorted(
        PlannedCall.objects.filter(due_on=day).values_list("plan_id", "assignee_id", "by_backup")
    )


def _floor(day) -> int:
    sql, params = floor_statement(connection.vendor, day, timezone.now())
    cursor = connection.connection.cursor()
    cursor.execute(sql, params)
    return cursor.rowcount


def test_the_floor_makes_the_very_calls_of_the_service(world, volunteer, operator, coordinator):
    rows = world[0]
    away = DAY - dt.timedelta(days=2), DAY + dt.timedelta(days=2)
    rows.absence(volunteer.pk, *away, None)
    due = [
        _plan(world, volunteer=operator.pk, backup=volunteer.pk),  # the volunteer
        _plan(world, volunteer=volunteer.pk, backup=operator.pk),  # away: the backup
        _plan(world, volunteer=volunteer.pk),  # away, no backup: stays
        _plan(world, rhythm="every_n_days", weekdays=0, interval=3, volunteer=operator.pk),
        _plan(world, rhythm="every_n_days", weekdays=0, interval=1, volunteer=operator.pk),
        _plan(world, starts_on=DAY, volunteer=coordinator.pk),  # first call today
        _plan(world, weekdays=0b1111111, volunteer=operator.pk),
    ]
    rows.absence(coordinator.pk, DAY, DAY, None)
    due.append(_plan(world, volunteer=volunteer.pk, backup=coordinator.pk))  # both away
    not_due = [
        _plan(world, weekdays=1 << (DAY.isoweekday() % 7), volunteer=operator.pk),  # next day
        _plan(
            world,
            rhythm="every_n_days",
            weekdays=0,
            interval=7,
            volunteer=operator.pk,
            starts_on=DAY - dt.timedelta(days=8),
        ),
        _plan(world, starts_on=DAY + dt.timedelta(days=1), volunteer=operator.pk),
        _plan(world, is_active=False, volunteer=operator.pk),
        _plan(world, state="suspended", volunteer=operator.pk),
    ]
    already = _plan(world, volunteer=operator.pk)
    rows.call(already, DAY, open_=True, closed_by=None)  # made by an earlier run
    rows.flush()

    created = generate_due_calls(DAY)
    by_service = _made(DAY)
    PlannedCall.objects.filter(due_on=DAY).exclude(plan_id=already.id).delete()
    made = _floor(DAY)

    assert created == made == len(due)
    assert _made(DAY) == by_service
    assigned = {plan: (assignee, backup) for plan, assignee, backup in by_service}
    assert assigned[due[1].id] == (operator.pk, True)
    assert assigned[due[2].id] == (volunteer.pk, False)
    assert assigned[due[-1].id] == (volunteer.pk, False)
    assert not {p.id for p in not_due} & set(assigned)


# --- the bench volunteer's worklist ---------------------------------------------------------


def test_a_bench_volunteers_plans_make_exactly_their_worklist_and_none_is_due_next(
    world, volunteer, operator, coordinator
):
    rows, people, org, programme = world
    d0 = rows.history_ends
    rows.absence(coordinator.pk, d0 - dt.timedelta(days=2), d0 + dt.timedelta(days=5), None)
    generation_day = working_day(d0, 1)
    worklist = Worklist.of(30, backup=True)

    def enrol(person):
        enrolment = rows.enrolment(
            programme=programme, person=person, organisation=org, coordinator=None,
            state="active", since=DAY - dt.timedelta(days=200),
        )  # fmt: skip
        return person, org, enrolment

    bench_plans(
        rows, worklist, caller=volunteer.pk, colleague=coordinator.pk, backups=[operator.pk],
        people=people, enrol=enrol, generation_day=generation_day,
    )  # fmt: skip
    rows.flush()

    calls = calls_for_today(volunteer, d0)
    assert worklist.total == 30
    assert len(calls) == 30
    assert sum(c.is_overdue for c in calls) == worklist.overdue
    assert sum(c.by_backup for c in calls) == worklist.as_backup
    assert generate_due_calls(generation_day) == 0


# --- the pipeline ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bench")
    report = runner.run(
        scale="tiny",
        backend="sqlite",
        only=["daily_call_plan", "volunteer_worklist"],
        n=60,
        out_dir=out_dir,
        out=io.StringIO(),
    )
    return out_dir, report


def _row(out_dir, name):
    rows = json.loads((out_dir / "results.json").read_text())
    return next(r for r in rows if r["benchmark"] == name)


def test_daily_call_plan_times_the_service_beside_a_floor_making_the_same_calls(tiny_run):
    out_dir, _report = tiny_run
    row = _row(out_dir, "daily_call_plan")

    assert tuple(row) == runner.RESULT_KEYS
    assert row["unit"] == "ms"
    assert row["n"] == GENERATION_SAMPLES["tiny"]
    assert 0 < row["median"] <= row["p95"] <= row["p99"] <= row["params"]["slowest_ms"]
    assert row["floor"] == "one INSERT … SELECT … ON CONFLICT DO NOTHING through the driver"
    assert row["floor_median"] > 0
    assert row["ratio"] == round(row["median"] / row["floor_median"], 2)
    params = row["params"]
    assert params["active_enrolments"] == CALLS_SCALES["tiny"].enrolments
    assert params["created"] > 0
    assert params["floor_same_calls"] is True
    assert params["second_run_ms"] > 0
    assert row["queries"] >= 2
    assert row["goal"] == "slowest run < 10 s on sqlite, < 5 s on postgresql"


def test_the_generation_leaves_the_cached_data_as_built(tiny_run):
    out_dir, _report = tiny_run
    with sqlite3.connect(out_dir / runner.SQLITE_FILE) as conn:
        (info,) = conn.execute("SELECT info FROM bench_fingerprint").fetchone()
        info = json.loads(info)
        made = conn.execute(
            "SELECT COUNT(*) FROM programmes_plannedcall WHERE due_on = ?",
            [info["calls_generation_day"]],
        ).fetchone()[0]
        closed = conn.execute(
            "SELECT COUNT(*) FROM programmes_plannedcall WHERE updated_at > ?",
            [info["calls_built_at"].replace("T", " ")[:19]],
        ).fetchone()[0]

    # Only the bench volunteers' calls, moved to the day the page ran, can be on that day.
    assert made <= info["calls_worklist"] + info["calls_floor_worklist"]
    assert closed == 0


def test_volunteer_worklist_shows_every_call_with_as_many_queries_as_for_20(tiny_run):
    out_dir, _report = tiny_run
    row = _row(out_dir, "volunteer_worklist")
    scale = CALLS_SCALES["tiny"]

    assert tuple(row) == runner.RESULT_KEYS
    assert row["unit"] == "ms"
    assert row["n"] == 60
    assert 0 < row["median"] <= row["p95"] <= row["p99"]
    assert row["floor"] == f"the same page for a volunteer with {scale.floor_worklist} calls"
    params = row["params"]
    assert params["rows_shown"]["calls"] == params["calls"] == scale.worklist
    assert params["rows_shown"]["start_buttons"] == scale.worklist
    assert params["rows_shown"]["overdue"] == Worklist.of(scale.worklist, backup=True).overdue
    assert params["rows_shown"]["as_backup"] == Worklist.of(scale.worklist, backup=True).as_backup
    assert params["floor_rows_shown"]["calls"] == scale.floor_worklist
    assert row["queries"] == params["floor_queries"] > 3
    assert row["goal"] == "p95 < 50 ms, fixed queries"
