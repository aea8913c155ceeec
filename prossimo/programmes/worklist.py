"""Reads of the social telephone service: "Chiamate di oggi", call history, plans, absences.

Every read starts from the models' `visible_to(user)` or from the user's own organisations;
single objects come through `access_planned_call` (404 outside the scope, 403 without the
right to work the call). Lists make a fixed number of queries whatever their length.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404
from django.utils import timezone

from prossimo.core.permissions import Perm, user_can
from prossimo.listening.selectors import open_needs_values
from prossimo.people.models import Phone
from prossimo.programmes.calls import (
    CALLING_ROLES,
    managed_organisation_ids,
    may_work_call,
)
from prossimo.programmes.models import (
    Absence,
    CallAttempt,
    CallPlan,
    Enrolment,
    PlannedCall,
)
from prossimo.territory.models import Membership
from prossimo.territory.selectors import organisation_ids_with_roles

#: The most calls one worklist shows (a volunteer has a few dozen a day; the bench 200).
WORKLIST_LIMIT = 500


def _parse_id(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404 from None


def _last_answered(enrolment_ref: Any) -> QuerySet[CallAttempt]:
    return CallAttempt.objects.filter(
        enrolment=enrolment_ref, outcome=CallAttempt.Outcome.ANSWERED
    ).order_by("-at")


@dataclass(slots=True)
class OpenNeed:
    """An open need as a worklist row shows it."""

    category: str
    category_en: str
    note: str

    def label(self, language: str = "it") -> str:
        return self.category_en if language == "en" and self.category_en else self.category


@dataclass(slots=True)
class WorklistCall:
    """One call of "Chiamate di oggi", as plain values: with 200 rows, building model objects
    (calls, needs, programmes) and converting their values costs more than the queries do
    (decision 0014). `pk` is the planned call's."""

    pk: uuid.UUID
    person_id: uuid.UUID
    enrolment_id: uuid.UUID
    due_on: dt.date
    window_start: dt.time
    window_end: dt.time
    priority: int
    by_backup: bool
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    version: int
    first_name: str
    last_name: str
    reason: str
    fragility_notes: str
    programme_id: int
    programme_name: str
    programme_name_en: str
    attempts_per_call: int
    last_answered_at: dt.datetime | None
    last_notes: str | None
    last_attempt_at: dt.datetime | None
    last_outcome: str | None
    phones: list[str] = field(default_factory=list)
    open_needs: list[OpenNeed] = field(default_factory=list)
    is_overdue: bool = False
    waiting: bool = False
    last_outcome_label: str = ""

    @property
    def who(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def programme_label(self, language: str = "it") -> str:
        if language == "en" and self.programme_name_en:
            return self.programme_name_en
        return self.programme_name

    def get_additional_data(self) -> dict[str, Any]:
        """What the audit entry of a row records besides the call (as `PlannedCall`'s)."""
        return {"person": str(self.person_id)}


#: The columns `calls_for_today` reads, in `WorklistCall`'s order (up to `last_outcome`).
_ROW_COLUMNS = (
    "pk",
    "person_id",
    "enrolment_id",
    "due_on",
    "window_start",
    "window_end",
    "priority",
    "by_backup",
    "status",
    "attempts",
    "next_attempt_at",
    "version",
    "person__first_name",
    "person__last_name",
    "enrolment__reason",
    "enrolment__fragility_notes",
    "enrolment__programme_id",
    "enrolment__programme__name",
    "enrolment__programme__name_en",
    "enrolment__programme__attempts_per_call",
    "last_answered_at",
    "last_notes",
    "last_attempt_at",
    "last_outcome",
)


def calls_for_today(
    user: Any,
    day: dt.date | None = None,
    *,
    limit: int = WORKLIST_LIMIT,
    only: Iterable[Any] | None = None,
) -> list[WorklistCall]:
    """The user's calls to make on `day`: those due that day and, carried over, earlier ones
    still open, in the organisations where the user still makes calls.

    Ordered by the start of the time window, then priority (1 first), then the oldest due
    date (an overdue call comes before today's in the same window and priority). Each call
    carries what its row shows: `who`, `phones` (numbers, E.164), the programme, `reason`,
    `fragility_notes`; `last_notes` / `last_answered_at` (the enrolment's last answered
    attempt: its notes, else its contact's notes); `last_outcome` / `last_attempt_at` (this
    call's last try); `open_needs` (open needs of the person the user may see); `is_overdue`
    and `waiting` (a retry not due yet). Five queries whatever the number of calls. `only`
    narrows the list to some calls (a row redrawn after an outcome).
    """
    if not user_can(user, Perm.PROGRAMMES_CALL):
        return []
    day = day or timezone.localdate()
    now = timezone.now()
    orgs = organisation_ids_with_roles(user, CALLING_ROLES)
    last_answered = _last_answered(OuterRef("enrolment_id"))
    last_try = CallAttempt.objects.filter(call=OuterRef("pk")).order_by("-at")
    chosen = PlannedCall.objects.filter(
        assignee=user,
        status=PlannedCall.Status.DUE,
        due_on__lte=day,
        organisation_id__in=orgs,
    )
    if only is not None:
        chosen = chosen.filter(pk__in=list(only))
    calls = [
        WorklistCall(*values)
        for values in chosen.annotate(
            last_answered_at=Subquery(last_answered.values("at")[:1]),
            last_notes=Subquery(
                last_answered.annotate(
                    text=Coalesce(
                        NullIf("notes", Value("")), "contact__notes", output_field=TextField()
                    )
                ).values("text")[:1]
            ),
            last_attempt_at=Subquery(last_try.values("at")[:1]),
            last_outcome=Subquery(last_try.values("outcome")[:1]),
        )
        .order_by("window_start", "priority", "due_on", "person__last_name", "pk")
        .values_list(*_ROW_COLUMNS)[:limit]
    ]
    if not calls:
        return []
    person_ids = list(dict.fromkeys(c.person_id for c in calls))
    phones: dict[Any, list[str]] = {}
    for person_id, number in (
        Phone.objects.filter(person_id__in=person_ids)
        .order_by("pk")
        .values_list("person_id", "number")
    ):
        phones.setdefault(person_id, []).append(number)
    needs: dict[Any, list[OpenNeed]] = {}
    for person_id, name, name_en, note in open_needs_values(
        user, person_ids, "category__name", "category__name_en", "note"
    ):
        needs.setdefault(person_id, []).append(OpenNeed(name, name_en, note))
    outcomes = {value: str(label) for value, label in CallAttempt.Outcome.choices}
    for call in calls:
        call.phones = phones.get(call.person_id, [])
        call.open_needs = needs.get(call.person_id, [])
        call.is_overdue = call.due_on < day
        call.waiting = bool(call.next_attempt_at and call.next_attempt_at > now)
        call.last_outcome_label = outcomes.get(call.last_outcome or "", "")
    return calls


def call_history(user: Any, enrolment: Enrolment, *, limit: int = 50) -> list[PlannedCall]:
    """The enrolment's planned calls, newest first, each with its attempts (oldest first, with
    who made them and the contact logged); three queries."""
    return list(
        PlannedCall.objects.visible_to(user)
        .filter(enrolment=enrolment)
        .select_related("assignee")
        .prefetch_related(
            Prefetch(
                "attempt_set",
                queryset=CallAttempt.objects.select_related("by", "contact").order_by("at"),
                to_attr="attempt_list",
            )
        )
        .order_by("-due_on", "-created_at")[:limit]
    )


def access_planned_call(user: Any, call_id: Any, *, for_write: bool = False) -> PlannedCall:
    """A planned call the user may read (else 404); to record on it, the user must be its
    assignee or coordinate the organisation in charge (else 403)."""
    call = (
        PlannedCall.objects.visible_to(user)
        .select_related("person", "enrolment__programme", "plan", "assignee")
        .filter(pk=_parse_id(call_id))
        .first()
    )
    if call is None:
        raise Http404
    if for_write and not may_work_call(user, call):
        raise PermissionDenied
    return call


@dataclass
class CallContext:
    """What the call form shows of a planned call: the programme and the last conversation."""

    call: PlannedCall
    last_answered: CallAttempt | None
    attempts: list[CallAttempt] = field(default_factory=list)


def call_context(call: PlannedCall) -> CallContext:
    """The last answered attempt of the call's enrolment (with its contact) and this call's
    attempts so far; two queries. `call` comes from `access_planned_call`."""
    last = _last_answered(call.enrolment_id).select_related("contact", "by").first()
    attempts = list(call.attempt_set.select_related("by").order_by("at"))
    return CallContext(call=call, last_answered=last, attempts=attempts)


def last_notes(attempt: CallAttempt | None) -> str:
    if attempt is None:
        return ""
    return attempt.notes or (attempt.contact.notes if attempt.contact else "")


def eligible_callers(organisation_id: int) -> list[Any]:
    """Who may be a plan's volunteer or backup: active users with an active calling role in
    the organisation (an active one), by name."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation_id=organisation_id,
            memberships__organisation__is_active=True,
            memberships__is_active=True,
            memberships__role__in=CALLING_ROLES,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def plan_of(enrolment: Enrolment) -> CallPlan | None:
    return (
        CallPlan.objects.filter(enrolment=enrolment).select_related("volunteer", "backup").first()
    )


def _managed_members(user: Any) -> Q:
    """Users who are active members of an organisation `user` manages."""
    managed = managed_organisation_ids(user)
    if managed is None:
        return Q()
    return Q(
        Exists(
            Membership.objects.filter(
                user=OuterRef("user"), is_active=True, organisation_id__in=managed
            )
        )
    )


def absences_for(user: Any, *, today: dt.date | None = None) -> list[Absence]:
    """Absences not over yet of the members of the organisations the user manages, soonest
    first (none for users who manage nothing)."""
    if not user_can(user, Perm.PROGRAMMES_MANAGE):
        return []
    today = today or timezone.localdate()
    return list(
        Absence.objects.filter(_managed_members(user), ends_on__gte=today)
        .select_related("user", "recorded_by")
        .order_by("starts_on", "user__last_name", "pk")
    )


def access_absence(user: Any, absence_id: Any) -> Absence:
    """An absence of a member of an organisation the user manages (else 404)."""
    try:
        pk = int(absence_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user_can(user, Perm.PROGRAMMES_MANAGE):
        raise PermissionDenied
    absence = Absence.objects.filter(_managed_members(user), pk=pk).select_related("user").first()
    if absence is None:
        raise Http404
    return absence


def absence_candidates(user: Any) -> list[Any]:
    """Whose absence the user may record: active callers of the organisations they manage."""
    managed = managed_organisation_ids(user)
    if managed is not None and not managed:
        return []
    members = Membership.objects.filter(is_active=True, role__in=CALLING_ROLES)
    if managed is not None:
        members = members.filter(organisation_id__in=managed)
    return list(
        get_user_model()
        .objects.filter(is_active=True, pk__in=members.values("user_id"))
        .order_by("last_name", "first_name", "username")
    )


def uncovered_calls(user: Any, day: dt.date | None = None) -> list[PlannedCall]:
    """Open calls due by `day` that nobody will make, in the organisations the user manages:
    their assignee is absent that day (no backup, or the backup absent too), or no longer
    makes calls for the organisation. The coordinator moves them by changing the plan."""
    if not user_can(user, Perm.PROGRAMMES_MANAGE):
        return []
    day = day or timezone.localdate()
    managed = managed_organisation_ids(user)
    away = Exists(
        Absence.objects.filter(user=OuterRef("assignee"), starts_on__lte=day, ends_on__gte=day)
    )
    still_calling = Exists(
        Membership.objects.filter(
            user=OuterRef("assignee"),
            organisation=OuterRef("organisation"),
            is_active=True,
            role__in=CALLING_ROLES,
        )
    )
    calls = PlannedCall.objects.filter(
        away | ~still_calling | Q(assignee__is_active=False),
        status=PlannedCall.Status.DUE,
        due_on__lte=day,
    )
    if managed is not None:
        calls = calls.filter(organisation_id__in=managed)
    return list(
        calls.select_related("person", "assignee", "enrolment__programme").order_by(
            "due_on", "window_start", "pk"
        )[:WORKLIST_LIMIT]
    )
