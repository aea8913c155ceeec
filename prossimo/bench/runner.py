"""Run the benchmarks: one worker process per database backend, statistics, the results file.

`prossimo bench` (the parent) decides which databases answer, then starts itself once per
backend as a *worker* whose `DATABASE_URL` points at that backend's bench database (settings
bind one database at start-up). A worker builds or reuses the synthetic data, runs the
benchmarks and writes its rows to a partial file; the parent merges them into
`var/bench/results.json` (this run's rows only) and prints a Markdown table.
"""

from __future__ import annotations

import fcntl
import gc
import importlib
import json
import math
import os
import pkgutil
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from prossimo.bench.data import SCALES, Scale

BACKENDS = ("sqlite", "postgresql")
POSTGRES_DATABASE = "prossimo_bench"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/"
SQLITE_FILE = "bench.sqlite3"
RESULTS_FILE = "results.json"
RESULT_KEYS = (
    "benchmark", "backend", "scale", "params", "unit", "n", "median", "p95", "p99",
    "floor", "floor_median", "ratio", "queries", "goal",
)  # fmt: skip
# Modules of this package that are machinery, not benchmarks; and data parts' modules, named
# `<area>_data`, are imported by the benchmarks using them.
_INFRASTRUCTURE = {
    "runner", "data", "management", "tests", "listening_data", "programmes_data", "directory_data",
}  # fmt: skip


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...
    def flush(self) -> Any: ...


# --- statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), interpolating linearly between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0 and 100, not {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def summarise(samples: Sequence[float]) -> dict[str, float]:
    return {
        "median": round(median(samples), 1),
        "p95": round(percentile(samples, 95), 1),
        "p99": round(percentile(samples, 99), 1),
    }


def timed_pairs(
    operation: Callable[[Any], Any],
    floor: Callable[[Any], Any],
    inputs: Sequence[tuple[Any, Any]],
    *,
    warmup: int,
) -> tuple[list[float], list[float]]:
    """Time `operation(a)` and `floor(b)` for each (a, b) of `inputs`, in microseconds.

    The two alternate, each going first every other time, so that neither always finds the
    pages the other has just read; the first `warmup` inputs are run but not kept.
    """
    gc.collect()
    measured: list[float] = []
    floors: list[float] = []
    clock = time.perf_counter_ns
    for i, (arg, floor_arg) in enumerate(inputs):
        if i % 2:
            t0 = clock()
            floor(floor_arg)
            t1 = clock()
            operation(arg)
            t2 = clock()
            op_ns, floor_ns = t2 - t1, t1 - t0
        else:
            t0 = clock()
            operation(arg)
            t1 = clock()
            floor(floor_arg)
            t2 = clock()
            op_ns, floor_ns = t1 - t0, t2 - t1
        if i >= warmup:
            measured.append(op_ns / 1000)
            floors.append(floor_ns / 1000)
    return measured, floors


# --- benchmarks ----------------------------------------------------------------------------


@dataclass
class BenchContext:
    """What a benchmark gets: the scale, the backend, how many operations to time."""

    scale: Scale
    backend: str
    n: int
    warmup: int
    dataset: dict[str, Any]

    def rng(self, name: str) -> random.Random:
        return random.Random(f"bench:{name}")


@dataclass
class Measurement:
    """What a benchmark returns: raw samples (the runner computes the statistics)."""

    params: dict[str, Any]
    samples: list[float]
    floor: str
    floor_samples: list[float] | None
    queries: int | None
    unit: str = "us"


@dataclass(frozen=True)
class Benchmark:
    name: str
    goal: str
    goal_met: Callable[[dict[str, Any]], bool]
    run: Callable[[BenchContext], Measurement]


_BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(
    name: str, *, goal: str, goal_met: Callable[[dict[str, Any]], bool]
) -> Callable[[Callable[[BenchContext], Measurement]], Callable[[BenchContext], Measurement]]:
    """Register a benchmark; `goal_met(row)` tells whether a result row meets `goal`."""

    def register(run: Callable[[BenchContext], Measurement]) -> Callable[..., Measurement]:
        if name in _BENCHMARKS and _BENCHMARKS[name].run is not run:
            raise ValueError(f"Two benchmarks named {name!r}.")
        _BENCHMARKS[name] = Benchmark(name, goal, goal_met, run)
        return run

    return register


def discover() -> dict[str, Benchmark]:
    """Import every benchmark module of this package; each registers its benchmarks.

    By name: the same order in every process, whichever modules it imported first."""
    import prossimo.bench as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _INFRASTRUCTURE and not module.name.endswith("_data"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(sorted(_BENCHMARKS.items()))


def select(only: Sequence[str] | None) -> list[Benchmark]:
    available = discover()
    if not only:
        return list(available.values())
    unknown = [name for name in only if name not in available]
    if unknown:
        raise ValueError(
            f"Unknown benchmark {', '.join(unknown)}; known: {', '.join(sorted(available))}."
        )
    return [available[name] for name in only]


def result_row(bench: Benchmark, ctx: BenchContext, m: Measurement) -> dict[str, Any]:
    """One object of the results file, keys in the documented order."""
    stats = summarise(m.samples)
    floor_median = round(median(m.floor_samples), 1) if m.floor_samples else None
    ratio = round(stats["median"] / floor_median, 2) if floor_median else None
    row = {
        "benchmark": bench.name,
        "backend": ctx.backend,
        "scale": ctx.scale.name,
        "params": m.params,
        "unit": m.unit,
        "n": len(m.samples),
        **stats,
        "floor": m.floor,
        "floor_median": floor_median,
        "ratio": ratio,
        "queries": m.queries,
        "goal": bench.goal,
    }
    if tuple(row) != RESULT_KEYS:
        raise RuntimeError("A result row drifted from the documented format.")
    return row


# --- the worker: one backend, in its own process -------------------------------------------


def run_worker(
    *, scale: str, only: Sequence[str] | None, n: int, partial: Path, log: Callable[[str], None]
) -> None:
    """Build or reuse the data in this process's database, run the benchmarks, write rows."""
    from django.db import connection

    from prossimo.bench import data

    backend = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    data.assert_bench_database()
    chosen = select(only)  # registers the benchmarks' data parts before the fingerprint

    def say(message: str) -> None:
        log(f"[{backend}] {message}")

    with taking_turns(backend, say):
        started = time.perf_counter()
        rebuilt, info = data.ensure_dataset(SCALES[scale], say)
        if not rebuilt:
            say(f"reusing cached {scale} data ({time.perf_counter() - started:.1f} s)")
        rows = []
        for bench in chosen:
            ctx = BenchContext(
                scale=SCALES[scale], backend=backend, n=n, warmup=max(50, n // 10), dataset=info
            )
            say(f"running {bench.name} (n={n})...")
            bench_started = time.perf_counter()
            rows.append(result_row(bench, ctx, bench.run(ctx)))
            say(f"  {bench.name}: {time.perf_counter() - bench_started:.1f} s")
    partial.write_text(json.dumps({"rebuilt": rebuilt, "dataset": info, "results": rows}))


# A key of PostgreSQL's advisory locks, for the bench database ("prossimo" in ASCII).
_TURNS_LOCK = 0x70726F7373696D6F


@contextmanager
def taking_turns(backend: str, say: Callable[[str], None]) -> Iterator[None]:
    """Let one run at a time use this worker's bench database, for the whole run.

    PostgreSQL's `prossimo_bench` serves every checkout on the machine, and a SQLite bench
    file may be shared by two commands: a run rebuilding the data would drop them under
    another's feet, and two runs would time each other. PostgreSQL: an advisory lock held by a
    connection of its own (Django's may be closed and reopened between a benchmark's requests);
    SQLite: a lock on a file beside the database.
    """
    from django.db import connection

    if backend == "sqlite":
        lock_file = Path(f"{connection.settings_dict['NAME']}.lock")
        with lock_file.open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                say("waiting for another bench run on this database...")
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        return
    holder = connection.get_new_connection(connection.get_connection_params())
    holder.autocommit = True
    try:
        got = holder.execute("SELECT pg_try_advisory_lock(%s)", [_TURNS_LOCK]).fetchone()
        if not got or not got[0]:
            say("waiting for another bench run on this database...")
            holder.execute("SELECT pg_advisory_lock(%s)", [_TURNS_LOCK])
        yield
    finally:
        holder.close()  # the lock goes with the session


# --- the parent: which databases, one worker each, the results -----------------------------


@dataclass(frozen=True)
class Target:
    backend: str
    database_url: str


def postgres_target(timeout: int = 3) -> Target | None:
    """The bench database on the PostgreSQL server of DATABASE_URL (or 127.0.0.1:5432).

    Created if missing; None when no server answers.
    """
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
        url = DEFAULT_POSTGRES_URL
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    try:
        with psycopg.connect(admin, connect_timeout=timeout, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [POSTGRES_DATABASE]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    except psycopg.OperationalError:
        return None
    return Target("postgresql", urlunsplit(parts._replace(path=f"/{POSTGRES_DATABASE}")))


def targets(backend: str, out_dir: Path) -> tuple[list[Target], list[str]]:
    """The databases to run on, and notes about those left out."""
    chosen: list[Target] = []
    notes: list[str] = []
    if backend in {"sqlite", "all"}:
        chosen.append(Target("sqlite", f"sqlite:///{(out_dir / SQLITE_FILE).resolve()}"))
    if backend in {"postgresql", "all"}:
        target = postgres_target()
        if target is not None:
            chosen.append(target)
        elif backend == "postgresql":
            raise RuntimeError("No PostgreSQL server answers (DATABASE_URL or 127.0.0.1:5432).")
        else:
            notes.append("PostgreSQL: no server answers; benchmarks ran on SQLite only.")
    return chosen, notes


def worker_environment(target: Target, out_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": target.database_url,
            "PROSSIMO_ENV": "development",
            # As in production: no query log kept in memory by the debug cursor.
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PROSSIMO_VAR_DIR": str(out_dir / "var"),
            "HUEY_IMMEDIATE": "true",
            "HUEY_CREATE_TABLES": "false",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "prossimo.settings",
        }
    )
    return env


def run(
    *,
    scale: str,
    backend: str = "all",
    only: Sequence[str] | None = None,
    n: int = 2000,
    out_dir: Path,
    out: Writer = sys.stdout,
) -> dict[str, Any]:
    """Run the benchmarks on each backend; write `results.json`; return what happened."""
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}; known: {', '.join(SCALES)}.")
    select(only)  # fail on an unknown name before building anything
    out_dir.mkdir(parents=True, exist_ok=True)
    # The workers' STATIC_ROOT: pages are served by benchmarks, WhiteNoise wants it to exist.
    (out_dir / "var" / "static").mkdir(parents=True, exist_ok=True)
    chosen, notes = targets(backend, out_dir)
    rows: list[dict[str, Any]] = []
    rebuilt: dict[str, bool] = {}
    for target in chosen:
        partial = out_dir / f"partial-{target.backend}.json"
        partial.unlink(missing_ok=True)
        command = [sys.executable, "-m", "prossimo.cli", "bench", "--worker-output", str(partial)]
        command += ["--scale", scale, "--n", str(n)]
        for name in only or ():
            command += ["--only", name]
        out.flush()
        done = subprocess.run(  # noqa: S603 - our own interpreter and command
            command, env=worker_environment(target, out_dir), check=False
        )
        if done.returncode != 0 or not partial.exists():
            raise RuntimeError(f"The {target.backend} benchmarks failed (see above).")
        report = json.loads(partial.read_text())
        partial.unlink()
        rows += report["results"]
        rebuilt[target.backend] = report["rebuilt"]
    (out_dir / RESULTS_FILE).write_text(json.dumps(rows, indent=2) + "\n")
    out.write(markdown_table(rows) + "\n")
    for note in notes:
        out.write(note + "\n")
    out.write(f"Results written to {out_dir / RESULTS_FILE}\n")
    return {"rows": rows, "rebuilt": rebuilt, "notes": notes}


def goal_status(row: dict[str, Any]) -> str:
    bench = discover().get(row["benchmark"])
    if bench is None:
        return "?"
    return "yes" if bench.goal_met(row) else "**no**"


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    header = (
        "| benchmark | backend | scale | n | median | p95 | p99 | floor median | ratio "
        "| queries | goal | met |"
    )
    lines = [header, "|" + "---|" * 12]

    def fmt(value: Any, unit: str) -> str:
        return "–" if value is None else f"{value:,.1f} {unit}"

    for r in rows:
        lines.append(
            f"| {r['benchmark']} | {r['backend']} | {r['scale']} | {r['n']} "
            f"| {fmt(r['median'], r['unit'])} | {fmt(r['p95'], r['unit'])} "
            f"| {fmt(r['p99'], r['unit'])} | {fmt(r['floor_median'], r['unit'])} "
            f"| {'–' if r['ratio'] is None else r['ratio']} "
            f"| {'–' if r['queries'] is None else r['queries']} | {r['goal']} "
            f"| {goal_status(r)} |"
        )
    return "\n".join(lines)
