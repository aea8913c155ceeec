"""Reads of the programmes app: querysets already filtered by `visible_to(user)`."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from prossimo.core.permissions import Perm, user_can
from prossimo.programmes.models import Enrolment, Programme


def _parse_id(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404 from None


def access_enrolment(user: Any, enrolment_id: Any, *, for_write: bool = False) -> Enrolment:
    """The enrolment if `user` may read it (else 404), and manage it if asked (else 403)."""
    enrolment = (
        Enrolment.objects.visible_to(user)
        .select_related(
            "programme",
            "person__municipality__province",
            "organisation",
            "referring_organisation",
            "referred_by",
            "coordinator",
        )
        .filter(pk=_parse_id(enrolment_id))
        .first()
    )
    if enrolment is None:
        raise Http404
    if for_write and not user_can(user, Perm.PROGRAMMES_MANAGE):
        raise PermissionDenied
    return enrolment


def active_programmes() -> QuerySet[Programme]:
    """Programmes taking referrals (reference data: no personal data)."""
    return Programme.objects.filter(is_active=True).order_by("name")


def referrals_made_by(user: Any) -> QuerySet[Enrolment]:
    """The enrolments the user referred, newest first, with what a list shows."""
    return (
        Enrolment.objects.visible_to(user)
        .filter(referred_by=user)
        .select_related("programme", "person__municipality", "organisation")
        .order_by("-referred_at", "pk")
    )
