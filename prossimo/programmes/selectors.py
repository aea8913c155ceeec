"""Reads of the programmes app: querysets already filtered by `visible_to(user)`."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from prossimo.core.permissions import Perm, Role, permissions_of, user_can
from prossimo.people.models import Person
from prossimo.programmes.models import Enrolment, EnrolmentTransition, ImportJob, Programme
from prossimo.territory.selectors import organisation_ids_with_roles


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


# --- the referral and taking-in-charge pages ----------------------------------------------

# The states whose enrolments wait for the coordinator: the longest-waiting come first.
WAITING_STATES = frozenset({Enrolment.State.REFERRED, Enrolment.State.CONTACT_ATTEMPTED})


def managed_organisation_ids(user: Any) -> list[int] | None:
    """Ids of the organisations whose enrolments `user` manages (as coordinator or
    administrator); None means every organisation (administrators of all territories), an
    empty list none at all."""
    codes = permissions_of(user)
    if Perm.PROGRAMMES_MANAGE not in codes:
        return []
    if Perm.PEOPLE_ALL_TERRITORIES in codes:
        return None
    return organisation_ids_with_roles(user, {Role.COORDINATOR, Role.ADMINISTRATOR})


def may_manage_enrolment(user: Any, enrolment: Enrolment) -> bool:
    """Whether `user` may change the enrolment's state and consent: the rule of
    `services.change_state` (coordinators of the organisation in charge, administrators)."""
    managed = managed_organisation_ids(user)
    return managed is None or enrolment.organisation_id in managed


def enrolments_in_charge(user: Any, *, state: str | None = None) -> QuerySet[Enrolment]:
    """The coordinator's queue: enrolments the organisations `user` manages are in charge of,
    in `state` if given, with what a list row shows. Waiting states (referred, contact
    attempted) come oldest first; the others most recently changed first."""
    enrolments = Enrolment.objects.visible_to(user)
    managed = managed_organisation_ids(user)
    if managed is not None:
        enrolments = enrolments.filter(organisation_id__in=managed)
    if state is not None:
        enrolments = enrolments.filter(state=state)
    order = ["state_changed_at", "pk"] if state in WAITING_STATES else ["-state_changed_at", "pk"]
    return enrolments.select_related(
        "programme", "person__municipality__province", "organisation", "referred_by"
    ).order_by(*order)


def count_by_state(enrolments: QuerySet[Enrolment]) -> dict[str, int]:
    """How many of these enrolments are in each state (every state named, 0 if none): one
    query."""
    counts = dict.fromkeys(Enrolment.State.values, 0)
    rows = enrolments.order_by().values_list("state").annotate(n=Count("pk"))
    for state, n in rows:
        counts[state] = n
    return counts


def enrolment_history(enrolment: Enrolment) -> list[EnrolmentTransition]:
    """The enrolment's state changes, oldest first, each with who made it."""
    return list(enrolment.transitions.select_related("by").order_by("at", "pk"))


def enrolments_of_person(user: Any, person: Any) -> list[Enrolment]:
    """The person's enrolments that `user` may read, open ones first, newest first."""
    closed_last = Case(
        When(state=Enrolment.State.CLOSED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return list(
        Enrolment.objects.visible_to(user)
        .filter(person=person)
        .select_related("programme", "organisation")
        .order_by(closed_last, "-referred_at", "pk")
    )


def person_is_visible(user: Any, person_id: Any) -> bool:
    """Whether `user` may open the person's record (to link it from an enrolment's page)."""
    return Person.objects.visible_to(user).filter(pk=person_id).exists()


def programmes_with_counts() -> QuerySet[Programme]:
    """Every programme (active first, by name) with aggregate counts of its enrolments:
    `n_open` (not closed) and `n_active` (in charge now). No personal data."""
    return Programme.objects.annotate(
        n_open=Count("enrolments", filter=~Q(enrolments__state=Enrolment.State.CLOSED)),
        n_active=Count("enrolments", filter=Q(enrolments__state=Enrolment.State.ACTIVE)),
    ).order_by("-is_active", "name")


def access_programme(user: Any, code: str) -> Programme:
    """A programme by its code, with its organisations and screening rules (reference data:
    anyone who refers or manages may read it; 403 otherwise, 404 for an unknown code)."""
    codes = permissions_of(user)
    if not codes & {Perm.PROGRAMMES_REFER, Perm.PROGRAMMES_MANAGE}:
        raise PermissionDenied
    programme = (
        Programme.objects.prefetch_related("organisations", "screening_rules")
        .filter(code=code)
        .first()
    )
    if programme is None:
        raise Http404
    return programme


def programme_state_counts(programme: Programme) -> dict[str, int]:
    """How many of the programme's enrolments are in each state (aggregates: no personal
    data)."""
    return count_by_state(Enrolment.objects.filter(programme=programme))


def import_job_of(user: Any, token: str) -> ImportJob:
    """The referral import `user` confirmed under `token` (else 404: nobody else sees it)."""
    job = (
        ImportJob.objects.filter(token=token, created_by=user).select_related("programme").first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if job is None:
        raise Http404
    return job


def import_job_exists(user: Any, token: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        ImportJob.objects.filter(token=token, created_by=user).exists()
    )


def enrolments_by_ids(user: Any, ids: list[Any]) -> list[Enrolment]:
    """The enrolments among `ids` that `user` may read, with their person and programme."""
    return list(
        Enrolment.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("person", "programme", "organisation")
    )
