"""Shaping answers, the same in every router: the names' language, usernames, audited pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils import translation
from ninja import Schema

from prossimo.core.audit import audit_access


def current_language() -> str:
    """The request's language without its region (`it`, `en`), for labels kept per language."""
    return (translation.get_language() or "it").split("-")[0]


def username(user: Any) -> str | None:
    return user.username if user is not None else None


class Page(Schema):
    # A `limit`/`offset` page: each listing adds its `items`, so each keeps its own schema name.
    count: int
    limit: int
    offset: int


def audited_page(
    user: Any,
    queryset: QuerySet[Any],
    limit: int,
    offset: int,
    shape: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """A page of the listing in the shape of `Page`; every record in it is recorded in the
    audit trail as shown to the user."""
    count = queryset.count()
    page = list(queryset[offset : offset + limit])
    audit_access(user, page, via="api")
    return {"count": count, "limit": limit, "offset": offset, "items": [shape(r) for r in page]}
