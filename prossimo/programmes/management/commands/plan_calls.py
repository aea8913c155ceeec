"""`prossimo plan_calls [--date YYYY-MM-DD]`: create a day's planned calls now (as the worker
does every morning); safe to repeat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from prossimo.programmes.calls import generate_due_calls
from prossimo.programmes.services import resume_suspended


class Command(BaseCommand):
    help = (
        "Resume the enrolments whose date has come and create the day's planned calls "
        "(idempotent: running it twice creates nothing twice)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--date", help="The day to plan, as YYYY-MM-DD (default: today, local time)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = timezone.localdate()
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be a date as YYYY-MM-DD.") from None
        resumed = resume_suspended(today=day)
        created = generate_due_calls(day)
        self.stdout.write(
            f"{day.isoformat()}: {resumed} enrolments resumed, {created} planned calls created."
        )
