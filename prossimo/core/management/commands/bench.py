"""`prossimo bench`: run the benchmarks on synthetic data (see prossimo.bench.runner)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from prossimo.bench.data import SCALES


class Command(BaseCommand):
    help = (
        "Build synthetic data at the given scale in separate bench databases (SQLite under "
        "var/bench/, and PostgreSQL 'prossimo_bench' when a server answers), run the "
        "benchmarks, print a table and write var/bench/results.json."
    )
    # The worker runs its own migrations on the bench database.
    requires_migrations_checks = False
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=list(SCALES), default="full")
        parser.add_argument(
            "--backend", choices=["sqlite", "postgresql", "all"], default="all",
            help="Database backend(s) to run on (default: all that answer).",
        )  # fmt: skip
        parser.add_argument(
            "--only", action="append", metavar="NAME",
            help="Run only this benchmark (repeatable, or comma-separated).",
        )  # fmt: skip
        parser.add_argument(
            "--n", type=int, default=2000, help="Operations timed per benchmark (default 2000)."
        )
        parser.add_argument(
            "--output-dir", type=Path, default=None,
            help="Where the SQLite bench database and results.json go (default var/bench).",
        )  # fmt: skip
        parser.add_argument("--worker-output", type=Path, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        from prossimo.bench import runner

        only = [n.strip() for item in options["only"] or [] for n in item.split(",") if n.strip()]
        try:
            if options["worker_output"] is not None:
                runner.run_worker(
                    scale=options["scale"],
                    only=only,
                    n=options["n"],
                    partial=options["worker_output"],
                    log=lambda message: print(message, flush=True),
                )
                return
            runner.run(
                scale=options["scale"],
                backend=options["backend"],
                only=only,
                n=options["n"],
                out_dir=options["output_dir"] or Path(settings.VAR_DIR) / "bench",
                out=self.stdout,
            )
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
