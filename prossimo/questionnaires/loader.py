"""Loading questionnaire definitions from files into the database, idempotently.

The rule: a (code, version) is loaded once and never changes. The same file loaded again does
nothing; a file that changes a version already loaded is refused (responses were taken with
the old text and scoring: publish the change as a new version); a new version is a new row.
Used by the `load_questionnaires` command and by the data migration, so that a fresh database
has the instruments shipped with Prossimo.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from prossimo.questionnaires.definition import canonical, validate_definition

DATA_DIR = Path(__file__).resolve().parent / "data"


class DefinitionConflict(Exception):
    """A file changes a questionnaire version that is already loaded."""


@dataclass(frozen=True)
class LoadResult:
    path: Path
    code: str
    version: int
    created: bool


def shipped_files() -> list[Path]:
    """The definition files shipped with Prossimo, in name order."""
    return sorted(DATA_DIR.glob("*.json"))


def read_definition(path: Path) -> dict[str, Any]:
    """Read and check one file; problems are raised as `ValidationError` naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError([f"{path.name}: cannot be read as JSON ({exc})"]) from exc
    try:
        validate_definition(data)
    except ValidationError as exc:
        raise ValidationError([f"{path.name}: {m}" for m in exc.messages]) from exc
    data.pop("$schema", None)
    return dict(data)


def load_definitions(model: Any, paths: Iterable[Path] | None = None) -> list[LoadResult]:
    """Load definition files (default: the shipped ones) into `model` (the Questionnaire model,
    or a migration's historical one). All or nothing: one bad file loads none."""
    from prossimo.questionnaires.models import fields_from_definition

    files = list(paths) if paths is not None else shipped_files()
    definitions = [(path, read_definition(path)) for path in files]
    results: list[LoadResult] = []
    with transaction.atomic():
        for path, definition in definitions:
            code, version = definition["code"], definition["version"]
            existing = model.objects.filter(code=code, version=version).first()
            if existing is not None:
                if canonical(existing.definition) != canonical(definition):
                    raise DefinitionConflict(
                        f"{path.name}: {code} version {version} is already loaded with a "
                        f"different definition. A loaded version never changes (responses were "
                        f"taken with it): give the changed definition a new version number."
                    )
                results.append(LoadResult(path, code, version, created=False))
                continue
            # `objects.create` on the real model runs `Questionnaire.save`, which checks again.
            model.objects.create(is_active=True, **fields_from_definition(definition))
            results.append(LoadResult(path, code, version, created=True))
    return results


def ensure_shipped_questionnaires() -> None:
    """Load the shipped instruments if missing (tests that empty tables call this)."""
    from prossimo.questionnaires.models import Questionnaire

    load_definitions(Questionnaire)
