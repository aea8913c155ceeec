"""Benchmarks of the social telephone service: the daily job, and "Chiamate di oggi".

The issue: "`daily_call_plan` generates the day's calls for 100,000 active enrolments — goal
under 10 s on SQLite and under 5 s on PostgreSQL, beside a single set-based SQL statement
doing the same work (the floor); `volunteer_worklist` renders one volunteer's list of 200
calls with a fixed number of queries, p95 under 50 ms."

Data: `prossimo.bench.programmes_data` (the `programmes` part): `CallsScale.enrolments` active
enrolments with their plans, two weeks of calls, volunteers, backups and absences; the
generation day `G` (the first Monday–Friday on or after the build), whose calls do not exist
yet; `BENCH_CALLER` with `CallsScale.worklist` open calls, `FLOOR_CALLER` with
`CallsScale.floor_worklist`.

`daily_call_plan` (unit ms). Every run starts from the data as built: the calls of `G` an
earlier run made are deleted, the older calls its carry-over closed are put back as they were
and, on PostgreSQL, the table is vacuumed; all outside the timing. The planner's statistics
stay those of the morning (no call of `G` yet): autovacuum is off for the calls table during
the benchmark (in production a day's calls are a sliver of the table and do not trigger an
analyze), and the table is analyzed at the end. A sample times
`calls.generate_due_calls(G)`, the real service, its transaction and commit included; right
after it, the second run, which finds everything done, is timed too (`params.second_run_ms`:
what the hourly repeats cost). The floor is timed the same way after the same reset: ONE
statement through the driver (`floor_statement`), written apart from the service's: the
active plans of active enrolments due on `G` by their rhythm, given to the volunteer or, when
they are away that day and the backup exists and is not, to the backup (outer joins on the
day's absences rather than the service's correlated EXISTS), ON CONFLICT DO NOTHING. It does
not end the carry-over (the service's second statement) nor write the audit event: the ratio
includes them. The first pair checks that the floor is honest: the very same calls (plan,
assignee, backup flag) as the service, else the benchmark fails; every sample asserts the
same count. Service and floor alternate which goes first. The goal is about every run: the
slowest sample (`params.slowest_ms`) under 10 s on SQLite and 5 s on PostgreSQL. `queries`
counts the statements of one service run that creates the calls.

`volunteer_worklist` (unit ms), as `worklist_today` does for "Oggi": the test client, logged
in once (`force_login`), asks for "Chiamate di oggi" as a browser does, for `BENCH_CALLER`:
every middleware, the view, the template, and the audit entries the page writes (one per
call shown, deleted after the run). The floor is the same page for `FLOOR_CALLER` (20 calls):
the ratio is what 180 more rows cost. The page must list exactly the volunteer's open calls,
else the benchmark fails. "Fixed queries" holds when both pages make the same number
(`queries`, `params.floor_queries`). The open calls are first moved to the day the benchmark
runs (one UPDATE, recorded in the cached info), so that they are today's.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from typing import Any

from prossimo.bench.programmes_data import BENCH_CALLER, FLOOR_CALLER
from prossimo.bench.runner import BenchContext, Measurement, benchmark, median, timed_pairs

# Runs of the daily job timed at each scale, after WARMUP_RUNS unkept ones (a full-scale run
# takes seconds, a small one milliseconds).
GENERATION_SAMPLES = {"tiny": 3, "small": 10, "full": 5}
WARMUP_RUNS = 1
GOAL_MS = {"sqlite": 10_000, "postgresql": 5_000}
# Pages timed (after at most PAGE_WARMUP unkept ones, alternating with the floor page): 200 as
# for "Oggi", but 100 at the small scale, which must run in under two minutes with the rest.
PAGE_SAMPLES = {"tiny": 200, "small": 100, "full": 200}
PAGE_WARMUP = 20
GOAL_P95_MS = 50


# --- daily_call_plan ------------------------------------------------------------------------


def floor_statement(vendor: str, day: dt.date, now: dt.datetime) -> tuple[str, list[Any]]:
    """The day's calls in one INSERT … SELECT, with its parameters, in the driver's style.

    Due: active plan of an active enrolment, first call on or before `day`, weekly on the
    day's bit or every N days on `starts_on + k·N`. Assignee: the backup when the volunteer
    is away that day and the backup exists and is not away; else the volunteer. Window,
    priority, person and organisation copied. Plans already holding their call of the day are
    left alone (ON CONFLICT on the unique plan and day)."""
    from django.db import connection

    from prossimo.programmes.models import Absence, CallPlan, Enrolment, PlannedCall

    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(vendor)
    params: list[Any] = []
    mark = "?" if vendor == "sqlite" else "%s"
    modulo = "%" if vendor == "sqlite" else "%%"

    def value(v: Any) -> str:
        """A placeholder for `v`; the statement is written in textual order."""
        params.append(v)
        return mark

    day_value = connection.ops.adapt_datefield_value(day)
    now_value = connection.ops.adapt_datetimefield_value(now)
    if vendor == "sqlite":
        new_id = (  # a version 4 UUID as Django stores them in SQLite: 32 hex digits
            "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2)"
            f" || substr('89ab', 1 + (abs(random()) {modulo} 4), 1)"
            " || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))"
        )
    else:
        new_id = "gen_random_uuid()"
    covered = "(va.user_id IS NOT NULL AND p.backup_id IS NOT NULL AND ba.user_id IS NULL)"
    # The WITH inside the INSERT: the sqlite3 module counts the rows of a statement that
    # starts with INSERT.
    sql = (
        f"INSERT INTO {PlannedCall._meta.db_table} ("
        "id, plan_id, enrolment_id, person_id, organisation_id, due_on, window_start,"
        " window_end, priority, assignee_id, by_backup, status, attempts, next_attempt_at,"
        " completed_at, version, created_at, updated_at)"
        f" WITH away AS (SELECT DISTINCT user_id FROM {Absence._meta.db_table}"
        f" WHERE starts_on <= {value(day_value)} AND ends_on >= {value(day_value)})"
        f" SELECT {new_id}, p.id, p.enrolment_id, e.person_id, e.organisation_id,"
        f" {value(day_value)}, p.window_start, p.window_end, p.priority,"
        f" CASE WHEN {covered} THEN p.backup_id ELSE p.volunteer_id END, {covered},"
        f" {value('due')}, 0, NULL, NULL, 1, {value(now_value)}, {value(now_value)}"
        f" FROM {CallPlan._meta.db_table} p"
        f" JOIN {Enrolment._meta.db_table} e ON e.id = p.enrolment_id"
        " LEFT JOIN away va ON va.user_id = p.volunteer_id"
        " LEFT JOIN away ba ON ba.user_id = p.backup_id"
        f" WHERE p.is_active AND e.state = {value('active')}"
        f" AND p.starts_on <= {value(day_value)}"
        f" AND ((p.rhythm = {value('weekly')}"
        f" AND (p.weekdays & {value(1 << (day.isoweekday() - 1))}) <> 0)"
        f" OR (p.rhythm = {value('every_n_days')} AND p.interval_days > 0 AND "
    )
    if vendor == "sqlite":
        sql += f"CAST(julianday({value(day_value)}) - julianday(p.starts_on) AS INTEGER)"
    else:
        sql += f"(CAST({value(day_value)} AS date) - p.starts_on)"
    sql += f" {modulo} p.interval_days = 0)) ON CONFLICT (plan_id, due_on) DO NOTHING"
    return sql, params


class Generation:
    """The generation day's calls: made by the service or the floor, and undone between runs."""

    def __init__(self, ctx: BenchContext) -> None:
        from django.db import connection

        self.vendor = connection.vendor
        self.day = dt.date.fromisoformat(ctx.dataset["calls_generation_day"])
        self.built_at = dt.datetime.fromisoformat(ctx.dataset["calls_built_at"])
        ops = connection.ops
        self.day_value = ops.adapt_datefield_value(self.day)
        self.built_value = ops.adapt_datetimefield_value(self.built_at)
        from prossimo.programmes.models import PlannedCall

        self.table = PlannedCall._meta.db_table
        if self.vendor == "postgresql":
            # Each sample inserts and deletes a day of calls: enough for autovacuum to
            # analyze the table midway and change the plans between samples. In production
            # a day's calls are a sliver of the table and never trigger it.
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {self.table} SET (autovacuum_enabled = off)")
        self.open_before: dict[Any, tuple] = {}
        self.reset()
        # The open calls of earlier days as built: what the service's carry-over may close.
        self.open_before = {
            row[0]: row[1:]
            for row in self._fetch(
                f"SELECT id, next_attempt_at, completed_at, version, updated_at FROM {self.table}"
                " WHERE status = 'due' AND due_on < %s",
                [self.day_value],
            )
        }

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def reset(self) -> tuple[int, int]:
        """Back to the data as built: delete the day's calls made after the build, reopen the
        calls a carry-over closed. Returns (deleted, reopened)."""
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {self.table} WHERE due_on = %s AND created_at > %s",
                [self.day_value, self.built_value],
            )
            deleted = cursor.rowcount
            cursor.execute(
                f"SELECT id FROM {self.table}"
                " WHERE status = 'not_reached' AND due_on < %s AND updated_at > %s",
                [self.day_value, self.built_value],
            )
            closed = [row[0] for row in cursor.fetchall()]
            known = [(*self.open_before[pk], pk) for pk in closed if pk in self.open_before]
            if known:
                cursor.executemany(
                    f"UPDATE {self.table} SET status = 'due', next_attempt_at = %s,"
                    " completed_at = %s, version = %s, updated_at = %s WHERE id = %s",
                    known,
                )
            # Closed by a run that could not undo it (killed) before the open calls were
            # noted: reopened as the carry-over found them, but for the time of a retry.
            unknown = [(pk,) for pk in closed if pk not in self.open_before]
            if unknown:
                cursor.executemany(
                    f"UPDATE {self.table} SET status = 'due', completed_at = NULL,"
                    " version = version - 1 WHERE id = %s",
                    unknown,
                )
        if self.vendor == "postgresql" and (deleted or closed):
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {self.table}")
        return deleted, len(closed)

    def close(self) -> None:
        """Back to the data as built, statistics included."""
        from django.db import connection

        self.reset()
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {self.table} RESET (autovacuum_enabled)")
                cursor.execute(f"VACUUM ANALYZE {self.table}")

    def service(self) -> int:
        from prossimo.programmes import calls

        return calls.generate_due_calls(self.day)

    def made(self) -> list[tuple]:
        """The day's calls made after the build: (plan, assignee, by the backup), sorted."""
        return sorted(
            (plan, assignee, bool(backup))
            for plan, assignee, backup in self._fetch(
                f"SELECT plan_id, assignee_id, by_backup FROM {self.table}"
                " WHERE due_on = %s AND created_at > %s",
                [self.day_value, self.built_value],
            )
        )

    def floor(self) -> Callable[[], int]:
        """The floor's statement, compiled now, executed on a raw DB-API cursor."""
        from django.db import connection
        from django.utils import timezone

        sql, params = floor_statement(self.vendor, self.day, timezone.now())
        connection.ensure_connection()
        raw = connection.connection

        def run() -> int:
            cursor = raw.cursor()
            try:
                cursor.execute(sql, params)
                return cursor.rowcount
            finally:
                cursor.close()

        return run


def _timed(operation: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter_ns()
    result = operation()
    return (time.perf_counter_ns() - started) / 1e6, result


def _daily_goal_met(row: dict[str, Any]) -> bool:
    limit = GOAL_MS.get(row["backend"])
    return limit is not None and row["params"].get("slowest_ms", float("inf")) < limit


@benchmark(
    "daily_call_plan",
    goal="slowest run < 10 s on sqlite, < 5 s on postgresql",
    goal_met=_daily_goal_met,
)
def daily_call_plan(ctx: BenchContext) -> Measurement:
    """`calls.generate_due_calls` for the generation day over every active plan; floor: one
    INSERT … SELECT through the driver making the same calls (module docstring)."""
    from auditlog.models import LogEntry
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    n = min(ctx.n, GENERATION_SAMPLES[ctx.scale.name])
    high_water = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    gen = Generation(ctx)
    samples: list[float] = []
    floors: list[float] = []
    second: list[float] = []
    created_counts: set[int] = set()
    carried_over = 0
    queries = 0
    try:
        for i in range(WARMUP_RUNS + n):
            first = i == 0
            order = ("service", "floor") if i % 2 == 0 else ("floor", "service")
            floor_run = gen.floor()  # `now` of this sample, compiled before timing
            gc.collect()
            for which in order:
                gen.reset()
                if which == "service":
                    if first:
                        with CaptureQueriesContext(connection) as captured:
                            ms, created = _timed(gen.service)
                        queries = len(captured.captured_queries)
                        service_rows = gen.made()
                    else:
                        ms, created = _timed(gen.service)
                    again_ms, again = _timed(gen.service)
                    if again:
                        raise RuntimeError(f"A second run created {again} calls.")
                    carried_over = gen.reset()[1]
                    created_counts.add(created)
                    if i >= WARMUP_RUNS:
                        samples.append(ms)
                        second.append(again_ms)
                else:
                    ms, made = _timed(floor_run)
                    if first:
                        floor_rows = gen.made()
                    created_counts.add(made)
                    if i >= WARMUP_RUNS:
                        floors.append(ms)
            if first and service_rows != floor_rows:
                raise RuntimeError(
                    "The floor does not make the service's calls: "
                    f"{len(service_rows)} against {len(floor_rows)}."
                )
            if len(created_counts) != 1:
                raise RuntimeError(f"Service and floor made different counts: {created_counts}.")
    finally:
        gen.close()
        LogEntry.objects.filter(pk__gt=high_water).delete()
    (created,) = created_counts
    by_backup = sum(1 for _, _, backup in service_rows if backup)
    return Measurement(
        params={
            "active_enrolments": ctx.dataset.get("calls_active_enrolments"),
            "plans": ctx.dataset.get("calls_rows", {}).get("plans"),
            "calls_in_table": ctx.dataset.get("calls_rows", {}).get("calls"),
            "volunteers": ctx.dataset.get("calls_volunteers"),
            "away": ctx.dataset.get("calls_away_on_generation_day"),
            "day": gen.day.isoformat(),
            "created": created,
            "by_backup": by_backup,
            "carry_over_closed": carried_over,
            "slowest_ms": round(max(samples), 1),
            "second_run_ms": round(median(second), 1),
            "floor_same_calls": True,
        },
        samples=samples,
        floor="one INSERT … SELECT … ON CONFLICT DO NOTHING through the driver",
        floor_samples=floors,
        queries=queries,
        unit="ms",
    )


# --- volunteer_worklist ---------------------------------------------------------------------


def shift_calls_to_today(ctx: BenchContext) -> int:
    """Move the bench volunteers' open calls by the days passed since they were last placed
    (each plan has one open call, its latest: no two calls of a plan meet); returns the days
    moved."""
    from django.db import connection, transaction
    from django.utils import timezone

    from prossimo.bench import data
    from prossimo.core.models import User
    from prossimo.programmes.models import PlannedCall

    placed = dt.date.fromisoformat(ctx.dataset["calls_worklist_day"])
    today = timezone.localdate()
    days = (today - placed).days
    if days <= 0:
        return 0
    users = list(
        User.objects.filter(username__in=[BENCH_CALLER, FLOOR_CALLER]).values_list("pk", flat=True)
    )
    table = PlannedCall._meta.db_table
    marks = ", ".join(["%s"] * len(users))
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            shifted = "date(due_on, %s)"
            step: Any = f"{days:+d} days"
        else:
            shifted = "due_on + %s"
            step = days
        cursor.execute(
            f"UPDATE {table} SET due_on = {shifted}"
            f" WHERE status = 'due' AND assignee_id IN ({marks})",
            [step, *users],
        )
        ctx.dataset.update(data.update_info(calls_worklist_day=today.isoformat()))
    return days


class Page:
    """The page "Chiamate di oggi" as a logged-in volunteer's browser asks for it."""

    def __init__(self, username: str) -> None:
        from django.test import Client
        from django.urls import reverse

        from prossimo.core.models import User

        self.user = User.objects.get(username=username)
        self.client = Client(HTTP_HOST="localhost")
        self.client.force_login(self.user)
        self.url = reverse("programmes:calls_today")

    def get(self, _: Any = None) -> bytes:
        response = self.client.get(self.url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {self.url} answered {response.status_code}.")
        return response.content

    def queries(self) -> tuple[int, bytes]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            content = self.get()
        return len(captured.captured_queries), content

    def close(self) -> None:
        self.client.logout()


def rows_shown(content: bytes) -> dict[str, int]:
    """Rows of a rendered "Chiamate di oggi": calls, overdue ones, as the backup, with needs."""
    return {
        "calls": content.count(b'<tr id="call-'),
        "overdue": content.count(b'<span class="badge bg-danger">'),
        "as_backup": content.count(b'<br><span class="small fw-normal">'),
        "start_buttons": content.count(b"?chiamata="),
    }


def _worklist_goal_met(row: dict[str, Any]) -> bool:
    return (
        row["p95"] < GOAL_P95_MS
        and row["queries"] is not None
        and row["queries"] == row["params"].get("floor_queries")
    )


@benchmark(
    "volunteer_worklist", goal=f"p95 < {GOAL_P95_MS} ms, fixed queries", goal_met=_worklist_goal_met
)
def volunteer_worklist(ctx: BenchContext) -> Measurement:
    """The page "Chiamate di oggi" (middleware, view, template, audit) for a volunteer with
    200 calls; floor: the same page for a volunteer with 20."""
    from auditlog.models import LogEntry

    moved = shift_calls_to_today(ctx)
    expected = ctx.dataset["calls_worklist"]
    floor_expected = ctx.dataset["calls_floor_worklist"]
    n = min(ctx.n, PAGE_SAMPLES[ctx.scale.name])
    warmup = min(ctx.warmup, PAGE_WARMUP, n // 10)
    high_water = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    page, floor = Page(BENCH_CALLER), Page(FLOOR_CALLER)
    try:
        for _ in range(5):  # templates compiled, translations loaded
            page.get(), floor.get()
        queries, content = page.queries()
        floor_queries, floor_content = floor.queries()
        shown, floor_shown = rows_shown(content), rows_shown(floor_content)
        if shown["calls"] != expected or floor_shown["calls"] != floor_expected:
            raise RuntimeError(
                f"The pages list {shown['calls']} and {floor_shown['calls']} calls, not "
                f"{expected} and {floor_expected}."
            )
        measured, floors = timed_pairs(
            page.get, floor.get, [(None, None)] * (warmup + n), warmup=warmup
        )
    finally:
        page.close()
        floor.close()
        LogEntry.objects.filter(pk__gt=high_water).delete()
    return Measurement(
        params={
            "calls": expected,
            "rows_shown": shown,
            "page_bytes": len(content),
            "floor_calls": floor_expected,
            "floor_rows_shown": floor_shown,
            "floor_queries": floor_queries,
            "days_moved": moved,
        },
        samples=[us / 1000 for us in measured],
        floor=f"the same page for a volunteer with {floor_expected} calls",
        floor_samples=[us / 1000 for us in floors],
        queries=queries,
        unit="ms",
    )
