"""Reads of territory data: a user's organisations and roles, the municipalities they serve."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from prossimo.core.permissions import Perm, Role, roles_of, user_can
from prossimo.core.text import fold
from prossimo.territory.models import Ambito, Membership, Municipality, Organisation, Province


def roles_for_user(user: Any) -> list[str]:
    """Roles of the user's active memberships in active organisations; superusers administer.

    The same query leaves the user's organisations by role on the user object
    (`_prossimo_orgs`), so that access checks later in the request need no query of their own;
    it is refreshed whenever the roles are (see `core.permissions.roles_of`).
    """
    pairs = list(
        Membership.objects.filter(
            user=user, is_active=True, organisation__is_active=True
        ).values_list("role", "organisation_id")
    )
    by_role: dict[str, set[int]] = {}
    for role, org_id in pairs:
        by_role.setdefault(role, set()).add(org_id)
    user._prossimo_orgs = by_role
    roles = [role for role, _org in pairs]
    if user.is_superuser:
        roles.append(Role.ADMINISTRATOR)
    return roles


def organisations_of(user: Any) -> QuerySet[Organisation]:
    """Active organisations in which the user holds an active membership."""
    return Organisation.objects.filter(
        is_active=True, memberships__user=user, memberships__is_active=True
    ).distinct()


def organisation_ids_with_roles(user: Any, roles: set[str] | frozenset[str]) -> list[int]:
    """Ids of active organisations where the user holds one of `roles` (no query once the
    user's roles are known in this request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    roles_of(user)
    by_role: dict[str, set[int]] = getattr(user, "_prossimo_orgs", {})
    return sorted({org for role in roles for org in by_role.get(role, ())})


def municipality_ids_served_by(organisation_ids: Iterable[int]) -> tuple[Any, Any]:
    """Two subqueries of municipality ids: served directly, served through an ambito."""
    ids = list(organisation_ids)
    direct = Organisation.municipalities.through.objects.filter(organisation_id__in=ids).values(
        "municipality_id"
    )
    ambiti = Organisation.ambiti.through.objects.filter(organisation_id__in=ids).values("ambito_id")
    via_ambiti = Ambito.municipalities.through.objects.filter(ambito_id__in=ambiti).values(
        "municipality_id"
    )
    return direct, via_ambiti


def municipalities_served_by(organisation_ids: Iterable[int]) -> QuerySet[Municipality]:
    """Municipalities served by these organisations, directly or through their ambiti.

    Each municipality once, however many organisations or ambiti serve it.
    """
    direct, via_ambiti = municipality_ids_served_by(organisation_ids)
    return Municipality.objects.filter(Q(pk__in=direct) | Q(pk__in=via_ambiti))


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
    """Every ambito with the number of its municipalities (`n_municipalities`), by name.

    The organisations serving each ambito come prefetched (`served_by`).
    """
    return (
        Ambito.objects.annotate(n_municipalities=Count("municipalities"))
        .prefetch_related("served_by")
        .order_by("name")
    )


def access_ambito(user: Any, ambito_id: int, *, for_write: bool = False) -> Ambito:
    """The ambito to show or edit: 403 without `territory.manage`, 404 if it does not exist.

    Ambiti are reference data, not personal data: administrators manage all of them.
    """
    if not user_can(user, Perm.TERRITORY_MANAGE):
        raise PermissionDenied
    try:
        return Ambito.objects.get(pk=ambito_id)
    except Ambito.DoesNotExist:
        raise Http404 from None


def municipalities_for_ambito_form(
    *, province_id: int | None, ticked_ids: Iterable[int]
) -> QuerySet[Municipality]:
    """What the ambito form lists: a province's active municipalities and the ticked ones."""
    listed = Q(pk__in=list(ticked_ids))
    if province_id is not None:
        listed |= Q(province_id=province_id, is_active=True)
    return (
        Municipality.objects.filter(listed)
        .select_related("province")
        .order_by("name", "province__abbreviation")
    )


def main_province_of(ambito: Ambito) -> int | None:
    """Id of the province holding most of the ambito's municipalities (None if it has none)."""
    row = (
        ambito.municipalities.values("province_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "province_id")
        .first()
    )
    return row["province_id"] if row else None


def municipalities_by_istat_codes(codes: Iterable[str]) -> dict[str, Municipality]:
    """Municipalities (active or not) by ISTAT code, for the codes that exist."""
    return {
        m.istat_code: m
        for m in Municipality.objects.filter(istat_code__in=list(codes)).select_related("province")
    }


def provinces_for_choice() -> QuerySet[Province]:
    """Provinces for a drop-down: by name, with their abbreviation."""
    return Province.objects.order_by("name")
