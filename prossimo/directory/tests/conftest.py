"""Fixtures of the directory tests: the official HSDS 3.0 examples and schemas.

`hsds_examples/` holds unchanged copies of the standard's examples (CC BY-SA 4.0, see its
LICENSE.txt), so that these tests run wherever the repository is checked out. Exported
documents are validated against the standard's schemas: those of `../shared/standards/hsds-3.0`
when it is at hand (a test checks that Prossimo ships them unchanged), else the shipped copy.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from prossimo.directory.hsds import SCHEMA_DIR

EXAMPLES = Path(__file__).resolve().parent / "hsds_examples"
STANDARD = Path(settings.BASE_DIR).parent / "shared" / "standards" / "hsds-3.0"
_BASE = "https://hsds.invalid/schema/"


def schema_dir() -> Path:
    official = STANDARD / "schema"
    return official if official.is_dir() else SCHEMA_DIR


@cache
def _registry() -> Registry:
    resources = [
        (
            _BASE + path.name,
            Resource.from_contents(
                json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012
            ),
        )
        for path in schema_dir().glob("*.json")
    ]
    return Registry().with_resources(resources)


def validator(schema_file: str) -> Draft202012Validator:
    """A validator of the standard's schema `schema_file` (service.json…), its references to
    the other tables' schemas resolved locally, formats checked where jsonschema can."""
    return Draft202012Validator(
        {"$ref": _BASE + schema_file}, registry=_registry(), format_checker=FormatChecker()
    )


def errors(schema_file: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator(schema_file).iter_errors(instance)
    ]


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _english():
    """Reports are compared word for word: in the msgids' language."""
    with translation.override("en"):
        yield
