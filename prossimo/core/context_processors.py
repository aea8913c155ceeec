"""Template context shared by every page: the user's permissions and organisation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from prossimo.core.permissions import permissions_of


def prossimo(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "perms_codes": permissions_of(user) if user is not None else frozenset(),
        "current_organisation": SimpleLazyObject(lambda: _organisation_name(user)),
        "PROSSIMO_ENV": settings.PROSSIMO_ENV,
    }


def _organisation_name(user: Any) -> str:
    if user is None or not user.is_authenticated:
        return ""
    memberships = getattr(user, "memberships", None)
    if memberships is None:
        return ""
    first = memberships.filter(is_active=True).select_related("organisation").first()
    return first.organisation.name if first else ""
