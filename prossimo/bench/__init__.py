"""Benchmarks: synthetic data at scale in a separate database, each figure beside its floor.

The protocol is /work/shared/BENCHMARKS.md. `runner` orchestrates (one worker process per
database backend, statistics, `var/bench/results.json`), `data` builds and caches the synthetic
data, and every other module of this package holds one area's benchmarks:

    # prossimo/bench/listening_data.py   (optional: tables the area's benchmarks need)
    from prossimo.bench.data import BuildContext, data_part

    @data_part("listening")
    def build_contacts(ctx: BuildContext) -> dict: ...   # ctx.loader.insert(Model, cols, rows)

    # prossimo/bench/listening.py
    import prossimo.bench.listening_data  # registers the data part
    from prossimo.bench.runner import BenchContext, Measurement, benchmark, timed_pairs

    @benchmark("worklist_today", goal="...", goal_met=lambda row: row["p99"] < ...)
    def worklist_today(ctx: BenchContext) -> Measurement: ...

A new benchmark module is found by `runner.discover()` (modules named `<area>_data` hold data
parts, not benchmarks). Editing a data part's module rebuilds the data, so data parts live in
modules of their own: a benchmark's code can change without rebuilding.
"""
