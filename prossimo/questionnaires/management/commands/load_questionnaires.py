"""`prossimo load_questionnaires [FILE …]`: load questionnaire definitions (default: shipped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from prossimo.questionnaires.loader import DefinitionConflict, load_definitions
from prossimo.questionnaires.models import Questionnaire


class Command(BaseCommand):
    help = (
        "Load questionnaire definitions (JSON files; by default those shipped with Prossimo). "
        "Loading the same version again does nothing; a changed definition of a version already "
        "loaded is refused; a new version is added."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path, help="definition files to load")

    def handle(self, *args: Any, **options: Any) -> None:
        files = options["files"] or None
        try:
            results = load_definitions(Questionnaire, files)
        except ValidationError as exc:
            raise CommandError("\n".join(["Invalid definition:", *exc.messages])) from exc
        except DefinitionConflict as exc:
            raise CommandError(str(exc)) from exc
        for result in results:
            state = "loaded" if result.created else "unchanged"
            self.stdout.write(f"{result.code} v{result.version}: {state} ({result.path.name})")
