"""Text helpers shared by search: fold accents and case the same way on every database."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes, squeeze spaces: "D'Àngelo " → "d'angelo"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("\u2019", "'").replace("`", "'")
    return " ".join(stripped.lower().split())
