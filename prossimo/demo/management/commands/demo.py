"""`prossimo demo [--force]`: build the synthetic demo data (idempotent) and print the logins."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from prossimo.demo.services import DemoError, build_demo


class Command(BaseCommand):
    help = (
        "Create the demo data: the municipalities of Lecco and Monza-Brianza in three ambiti, six "
        "fictional organisations, one user per role (two volunteers) and 300 synthetic people, "
        "then weeks of Telefonia Sociale with them: referrals, people in charge, call plans, "
        "the calls of the last weeks and of today, screenings and alerts. Whatever already "
        "exists is left alone, so running it again changes nothing (on a later day it only "
        "plans that day's calls, as the worker does)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even in production (PROSSIMO_ENV=production). Demo accounts share a "
            "published password: do not.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError(
                "Refusing to create demo data in production: the demo accounts have a published "
                "password. Use --force only on a throw-away installation."
            )
        started = time.monotonic()
        try:
            report = build_demo()
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        if report.anything_created:
            created = ", ".join(f"{n} {what}" for what, n in report.created.items() if n)
            self.stdout.write(f"Demo data created in {elapsed:.1f}s: {created}.")
        else:
            self.stdout.write("Demo data already present: nothing to do.")
        rows: list[tuple[str, ...]] = [("Role", "Username", "Password", "Organisation")]
        rows += [(x.role, x.username, x.password, x.organisation) for x in report.logins]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        rows.insert(1, tuple("-" * w for w in widths))
        self.stdout.write("")
        self.stdout.write("Demo logins (accounts left unchanged if they existed already):")
        for row in rows:
            cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
            self.stdout.write("  " + "  ".join(cells).rstrip())
        starts = [(x.username, x.start) for x in report.logins if x.start]
        if starts:
            width = max(len(username) for username, _start in starts)
            self.stdout.write("")
            self.stdout.write("Where to start (after logging in):")
            for username, start in starts:
                self.stdout.write(f"  {username.ljust(width)}  {start}")
