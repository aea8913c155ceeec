"""Reads of territory data: a user's organisations and roles, the municipalities they serve."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from prossimo.core.permissions import Role
from prossimo.core.text import fold
from prossimo.territory.models import Ambito, Membership, Municipality, Organisation


def roles_for_user(user: Any) -> list[str]:
    """Roles of the user's active memberships in active organisations; superusers administer."""
    roles = list(
        Membership.objects.filter(
            user=user, is_active=True, organisation__is_active=True
        ).values_list("role", flat=True)
    )
    if user.is_superuser:
        roles.append(Role.ADMINISTRATOR)
    return roles


def organisations_of(user: Any) -> QuerySet[Organisation]:
    """Active organisations in which the user holds an active membership."""
    return Organisation.objects.filter(
        is_active=True, memberships__user=user, memberships__is_active=True
    ).distinct()


def organisation_ids_with_roles(user: Any, roles: set[str] | frozenset[str]) -> QuerySet[Any]:
    """Ids of organisations where the user holds one of `roles` (a subquery, not evaluated)."""
    return Membership.objects.filter(
        user=user, is_active=True, organisation__is_active=True, role__in=list(roles)
    ).values("organisation_id")


def municipalities_served_by(organisation_ids: QuerySet[Any]) -> QuerySet[Municipality]:
    """Municipalities served by these organisations, directly or through their ambiti."""
    return Municipality.objects.filter(
        Q(served_by__in=organisation_ids) | Q(ambiti__served_by__in=organisation_ids)
    )


def search_municipalities(text: str, *, limit: int = 15) -> list[Municipality]:
    """Autocomplete: active municipalities whose name starts with (then contains) the text."""
    key = fold(text)
    if not key:
        return []
    base = Municipality.objects.filter(is_active=True).select_related("province")
    starts = list(base.filter(name_search__startswith=key).order_by("name")[:limit])
    if len(starts) < limit:
        seen = {m.pk for m in starts}
        more = base.filter(name_search__contains=key).exclude(pk__in=seen).order_by("name")
        starts += list(more[: limit - len(starts)])
    return starts


def ambiti_with_counts() -> QuerySet[Ambito]:
    from django.db.models import Count

    return Ambito.objects.annotate(n_municipalities=Count("municipalities")).order_by("name")
