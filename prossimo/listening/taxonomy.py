"""The needs taxonomy shipped with Prossimo (data/need_categories.json), loaded idempotently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TAXONOMY_FILE = Path(__file__).resolve().parent / "data" / "need_categories.json"


def sync_need_categories(model: Any) -> int:
    """Create the shipped categories that are missing; never overwrite administrators' edits.

    `model` is the NeedCategory model (the real one, or a migration's historical one).
    Returns how many categories were created.
    """
    created = 0
    entries = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))

    def walk(items: list[dict[str, Any]], parent: Any) -> None:
        nonlocal created
        for position, item in enumerate(items):
            category, was_created = model.objects.get_or_create(
                code=item["code"],
                defaults={
                    "name": item["name"],
                    "name_en": item.get("name_en", ""),
                    "parent": parent,
                    "position": position,
                },
            )
            created += was_created
            walk(item.get("children", []), category)

    walk(entries, None)
    return created
