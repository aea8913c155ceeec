"""`prossimo load_territory [--file PATH]`: load or refresh ISTAT's municipalities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from prossimo.territory.models import Municipality
from prossimo.territory.services import TerritoryFileError, load_istat_municipalities


class Command(BaseCommand):
    help = (
        "Load or refresh regions, provinces and municipalities from ISTAT's 'Elenco comuni "
        "italiani' CSV (the copy packaged with Prossimo, or a newer file given with --file)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", type=Path, help="A newer ISTAT CSV (';'-separated).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if municipalities are loaded."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options.get("file")
        if options["if_empty"] and Municipality.objects.exists():
            self.stdout.write("Territory already loaded.")
            return
        if path is not None and not path.exists():
            raise CommandError(f"File not found: {path}")
        try:
            report = load_istat_municipalities(path)
        except TerritoryFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{report.regions} regions, {report.provinces} provinces, "
            f"{report.municipalities} municipalities "
            f"({report.created} new, {report.updated} updated, {report.deactivated} deactivated)."
        )
