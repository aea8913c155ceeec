"""Benchmarks: synthetic data at scale in a separate database, each figure beside its floor.

The protocol is /work/shared/BENCHMARKS.md. `runner` orchestrates (one worker process per
database backend, statistics, `var/bench/results.json`), `data` builds and caches the synthetic
data, and every other module of this package holds one area's benchmarks:

    # prossimo/bench/listening.py
    from prossimo.bench.data import BuildContext, data_part
    from prossimo.bench.runner import BenchContext, Measurement, benchmark, timed_pairs

    @data_part("listening")            # optional: tables the area's benchmarks need
    def build_contacts(ctx: BuildContext) -> dict: ...   # ctx.loader.insert(Model, cols, rows)

    @benchmark("worklist_today", goal="...", goal_met=lambda row: row["p99"] < ...)
    def worklist_today(ctx: BenchContext) -> Measurement: ...

A new module is found by `runner.discover()`; editing a data part's module rebuilds the data.
"""
