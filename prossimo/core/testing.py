"""Helpers for tests: what a user of the Italian interface reads for an English msgid; a
database flush that keeps the reference data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.utils import translation


def italian(msgid: str, **params: Any) -> str:
    """The Italian translation of `msgid` (with %-style params), as the pages render it."""
    with translation.override("it"):
        text = translation.gettext(msgid)
    return text % params if params else text


@contextlib.contextmanager
def flush_keeps_reference_data() -> Iterator[None]:
    """While in this block, the flush after a transactional test (browser tests, threads)
    keeps the reference data no test changes: regions, provinces, municipalities (~7,900, slow
    to load again) and the need categories a migration loads. Everything else is deleted, so
    tests stay independent."""
    from django.core.management.commands import flush as flush_command

    from prossimo.listening.models import NeedCategory
    from prossimo.territory.models import Municipality, Province, Region

    flush: Any = flush_command  # `sql_flush`, which the command calls, is not in the stubs
    kept = {model._meta.db_table for model in (Region, Province, Municipality, NeedCategory)}
    original = flush.sql_flush

    def sql_flush(
        style: Any, connection: Any, reset_sequences: bool = True, allow_cascade: bool = False
    ) -> list[str]:
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        statements: list[str] = connection.ops.sql_flush(
            style,
            [table for table in tables if table not in kept],
            reset_sequences=reset_sequences,
            allow_cascade=allow_cascade,
        )
        return statements

    flush.sql_flush = sql_flush
    try:
        yield
    finally:
        flush.sql_flush = original
