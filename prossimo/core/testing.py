"""Helpers for tests: what a user of the Italian interface reads for an English msgid."""

from __future__ import annotations

from typing import Any

from django.utils import translation


def italian(msgid: str, **params: Any) -> str:
    """The Italian translation of `msgid` (with %-style params), as the pages render it."""
    with translation.override("it"):
        text = translation.gettext(msgid)
    return text % params if params else text
