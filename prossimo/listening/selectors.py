"""Reads of the listening line, always starting from the models' `visible_to(user)`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Prefetch, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone

from prossimo.core.permissions import Perm, user_can
from prossimo.listening.models import Alert, Contact, FollowUp, Need
from prossimo.people.lookup import identify_caller
from prossimo.people.models import CASEWORK_ROLES, Person
from prossimo.territory.models import Membership
from prossimo.territory.selectors import organisation_ids_with_roles


def alert_ack_minutes() -> int:
    """Minutes an alert may stay unacknowledged before every coordinator's screen flags it
    (setting PROSSIMO_ALERT_ACK_MINUTES, default 15; read each time, so it can change)."""
    return int(getattr(settings, "PROSSIMO_ALERT_ACK_MINUTES", 15))


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404 from None


def _access(queryset: QuerySet[Any], user: Any, pk: Any) -> Any:
    obj = queryset.visible_to(user).filter(pk=_uuid(pk)).first()  # type: ignore[attr-defined]
    if obj is None:
        raise Http404
    return obj


def access_contact(user: Any, contact_id: Any) -> Contact:
    """A contact the user may read (else 404)."""
    return _access(
        Contact.objects.select_related("person__municipality__province", "operator"),
        user,
        contact_id,
    )


def access_draft(user: Any, contact_id: Any) -> Contact:
    """The user's own call form (else 404): a contact they started, still a draft or logged
    meanwhile (from another tab), so that the page can move on to the logged contact.
    Nobody else opens a colleague's unfinished form."""
    contact = _access(Contact.objects.select_related("person"), user, contact_id)
    if contact.operator_id != user.pk:
        raise Http404
    return contact


def drafts_of(user: Any) -> QuerySet[Contact]:
    """The user's unfinished call forms, the most recently touched first."""
    return (
        Contact.objects.visible_to(user)
        .filter(status=Contact.Status.DRAFT, operator=user)
        .select_related("person__municipality__province")
        .order_by("-updated_at")
    )


def contact_record(user: Any, contact: Contact) -> dict[str, list[Any]]:
    """What the contact page shows besides the contact: its needs, alerts and follow-ups that
    the user may see (three queries)."""
    return {
        "needs": list(
            Need.objects.visible_to(user)
            .filter(contact=contact)
            .select_related("category", "owner", "owner_organisation")
            .order_by("created_at")
        ),
        "alerts": list(
            Alert.objects.visible_to(user)
            .filter(contact=contact)
            .select_related("acknowledged_by", "resolved_by")
            .order_by("created_at")
        ),
        "follow_ups": list(
            FollowUp.objects.visible_to(user)
            .filter(contact=contact)
            .select_related("assignee")
            .order_by("due_on", "window_start")
        ),
    }


def context_for_people(user: Any, people: list[Person], *, last: int = 3) -> CallerContext:
    """Open needs and last contacts of people chosen on the call screen without the number
    (found by a search, or the person whose page the call was started from); two queries."""
    context = CallerContext(number="", people=list(people))
    ids = [p.pk for p in people]
    if not ids:
        return context
    for need in (
        Need.objects.visible_to(user)
        .open()
        .filter(person_id__in=ids)
        .select_related("category", "owner_organisation")
        .order_by("-created_at")
    ):
        context.open_needs.setdefault(need.person_id, []).append(need)
    for contact in (
        Contact.objects.visible_to(user)
        .filter(person_id__in=ids, status=Contact.Status.LOGGED)
        .select_related("operator")
        .prefetch_related(Prefetch("needs", queryset=Need.objects.select_related("category")))
        .order_by("-started_at")[: last * len(ids) * 3]
    ):
        bucket = context.last_contacts.setdefault(contact.person_id, [])
        if len(bucket) < last:
            bucket.append(contact)
    return context


def follow_up_assignees(organisation: Any) -> list[Any]:
    """Who a follow-up may be assigned to: the active members of the organisation."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation=organisation,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def access_need(user: Any, need_id: Any, *, for_desk: bool = False) -> Need:
    """A need the user may read (else 404); for desk work the permission too (else 403)."""
    need = _access(
        Need.objects.select_related("category", "contact", "person", "owner_organisation"),
        user,
        need_id,
    )
    if for_desk and not user_can(user, Perm.DESK_WORK):
        raise PermissionDenied
    return need


def access_alert(user: Any, alert_id: Any, *, for_write: bool = False) -> Alert:
    alert = _access(Alert.objects.select_related("person", "contact"), user, alert_id)
    if for_write and not user_can(user, Perm.ALERTS_MANAGE):
        raise PermissionDenied
    return alert


def access_follow_up(user: Any, follow_up_id: Any) -> FollowUp:
    """A follow-up of one of the user's organisations (else 404)."""
    return _access(FollowUp.objects.all(), user, follow_up_id)


def alert_is_overdue(alert: Alert, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return alert.status == Alert.Status.OPEN and alert.created_at <= now - dt.timedelta(
        minutes=alert_ack_minutes()
    )


def overdue_alerts(user: Any, now: dt.datetime | None = None) -> QuerySet[Alert]:
    """Open alerts nobody acknowledged in time, for the user's organisations."""
    now = now or timezone.now()
    return (
        Alert.objects.visible_to(user)
        .filter(
            status=Alert.Status.OPEN,
            created_at__lte=now - dt.timedelta(minutes=alert_ack_minutes()),
        )
        .select_related("person", "contact")
        .order_by("created_at")
    )


def overdue_alert_count(user: Any, now: dt.datetime | None = None) -> int:
    """How many alerts nobody acknowledged in time, for the notice on every coordinator's
    screen (one query; 0 for users who do not manage alerts)."""
    if not user_can(user, Perm.ALERTS_MANAGE):
        return 0
    return overdue_alerts(user, now).count()


def overdue_first(alerts: list[Alert], overdue_ids: set[Any]) -> list[Alert]:
    """Overdue alerts first, then open ones, then acknowledged ones; the given order (oldest
    first) within each group."""
    return sorted(alerts, key=lambda a: (a.pk not in overdue_ids, a.status != Alert.Status.OPEN))


@dataclass
class AlertBoard:
    """The alerts page: what is still to be done, and what was resolved lately."""

    unresolved: list[Alert]
    overdue_ids: set[Any]
    resolved: list[Alert]


def alert_board(
    user: Any, *, now: dt.datetime | None = None, resolved_days: int = 7, limit: int = 200
) -> AlertBoard:
    """Unresolved alerts of the user's organisations and those sent to them as social worker,
    overdue first; and those resolved in the last `resolved_days` days, newest first.

    Two queries whatever the number of alerts; each list is capped at `limit`.
    """
    now = now or timezone.now()
    if not user_can(user, Perm.ALERTS_MANAGE):
        return AlertBoard([], set(), [])
    visible = Alert.objects.visible_to(user).select_related(
        "person", "contact", "raised_by", "acknowledged_by", "resolved_by"
    )
    unresolved = list(visible.unresolved().order_by("created_at")[:limit])
    overdue = {a.pk for a in unresolved if alert_is_overdue(a, now)}
    resolved = list(
        visible.filter(
            status=Alert.Status.RESOLVED,
            resolved_at__gte=now - dt.timedelta(days=resolved_days),
        ).order_by("-resolved_at")[:limit]
    )
    return AlertBoard(overdue_first(unresolved, overdue), overdue, resolved)


@dataclass
class CallerContext:
    """What the call screen shows when the phone rings: who it probably is, with context."""

    number: str
    people: list[Person]
    open_needs: dict[Any, list[Need]] = field(default_factory=dict)
    last_contacts: dict[Any, list[Contact]] = field(default_factory=dict)


def caller_context(user: Any, number: str, *, last: int = 3) -> CallerContext:
    """People with this number (several when a couple shares it), their open needs and last
    contacts — in a fixed number of queries whatever the number of people."""
    people = identify_caller(user, number) if number else []
    ids = [p.pk for p in people]
    context = CallerContext(number=number, people=people)
    if not ids:
        return context
    needs = (
        Need.objects.visible_to(user)
        .open()
        .filter(person_id__in=ids)
        .select_related("category", "owner_organisation")
        .order_by("-created_at")
    )
    for need in needs:
        context.open_needs.setdefault(need.person_id, []).append(need)
    contacts = (
        Contact.objects.visible_to(user)
        .filter(person_id__in=ids, status=Contact.Status.LOGGED)
        .select_related("operator")
        .prefetch_related(Prefetch("needs", queryset=Need.objects.select_related("category")))
        .order_by("-started_at")[: last * max(1, len(ids)) * 3]
    )
    for contact in contacts:
        bucket = context.last_contacts.setdefault(contact.person_id, [])
        if len(bucket) < last:
            bucket.append(contact)
    return context


@dataclass
class Worklist:
    """The "Oggi" page: what the user should do today."""

    follow_ups: list[FollowUp]
    alerts: list[Alert]
    desk_needs: list[Need]
    overdue_alert_ids: set[Any]


def worklist_today(user: Any, *, today: dt.date | None = None, limit: int = 200) -> Worklist:
    """Follow-ups due today or overdue (the user's, or anyone's on duty in their
    organisations), unresolved alerts the user must act on, and the desk's needs to work.

    Fixed number of queries whatever the number of items; each list is capped at `limit`.
    Alerts and desk needs are chosen on their own table first (`_first`), so that the joins
    are made for the rows shown only, not for every open item.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    if not user_can(user, Perm.LISTENING_LOG):
        return Worklist([], [], [], set())
    orgs = organisation_ids_with_roles(user, CASEWORK_ROLES)
    follow_ups = list(
        FollowUp.objects.filter(organisation__in=orgs, status=FollowUp.Status.PLANNED)
        .filter(due_on__lte=today)
        .filter(Q(assignee=user) | Q(assignee__isnull=True))
        # What "Oggi" shows of a call-back: who (the person, else the anonymous caller of the
        # contact) and why (the need's category).
        .select_related("person", "contact", "need__category")
        .order_by("due_on", "window_start", "created_at")[:limit]
    )
    alerts: list[Alert] = []
    if user_can(user, Perm.ALERTS_MANAGE):
        alerts = list(
            _first(
                Alert.objects.visible_to(user).unresolved(),
                limit,
                related=("person", "contact", "acknowledged_by"),
                # Open (not yet acknowledged) alerts first, oldest first.
                order=(Case(When(status=Alert.Status.OPEN, then=0), default=1), "created_at"),
            )
        )
    desk_needs: list[Need] = []
    if user_can(user, Perm.DESK_WORK):
        desk_needs = list(
            _first(
                desk_queue(user).filter(Q(owner=user) | Q(owner__isnull=True)),
                limit,
                related=DESK_RELATED,
                order=DESK_ORDER,
            )
        )
    overdue = {a.pk for a in alerts if alert_is_overdue(a, now)}
    return Worklist(follow_ups, alerts, desk_needs, overdue)


def _first(
    chosen: QuerySet[Any], limit: int, *, related: Sequence[str], order: Sequence[Any]
) -> QuerySet[Any]:
    """The first `limit` rows of `chosen` in `order`, with `related` joined: two queries, one
    picking the ids on the table alone, one joining for those rows only.

    Joining in the query that sorts and limits makes the database join every matching row
    first: with thousands of open items, most of the work was for rows nobody sees. (An
    `id IN (subquery)` is not enough: PostgreSQL then joins the whole tables, as the joins
    are more than its `join_collapse_limit`.)
    """
    first = list(chosen.order_by(*order).values_list("pk", flat=True)[:limit])
    return (
        chosen.model._default_manager.filter(pk__in=first).select_related(*related).order_by(*order)
    )


#: What the desk's lists show of a need, and their order: the longest waiting first.
DESK_RELATED = (
    "category",
    "person__municipality__province",
    "contact__caller_municipality",
    "handed_over_by",
    "owner",
)
DESK_ORDER = ("handed_over_at", "created_at")


def desk_queue(user: Any) -> QuerySet[Need]:
    """Needs handed over to, or being worked by, the user's organisations' desks."""
    if not user_can(user, Perm.DESK_WORK):
        return Need.objects.none()
    orgs = organisation_ids_with_roles(user, CASEWORK_ROLES)
    return (
        Need.objects.filter(
            owner_organisation__in=orgs,
            status__in=[Need.Status.HANDED_OVER, Need.Status.IN_PROGRESS],
        )
        .select_related(*DESK_RELATED)
        .order_by(*DESK_ORDER)
    )


@dataclass
class NeedActions:
    """What the user may do with a need, so a page offers only what the services accept."""

    take: bool
    close: bool
    hand_over: bool
    open_person: bool


def need_actions(user: Any, need: Need) -> NeedActions:
    """Mirrors the services' rules: desk work and closing are for members of the owning
    organisation; only an open need is handed over; the desk takes a need it does not own
    yet (or a colleague's); the person's record opens for those who may see it."""
    member = Membership.objects.filter(
        user=user, organisation=need.owner_organisation_id, is_active=True
    ).exists()
    works = member and not need.is_closed and user_can(user, Perm.LISTENING_LOG)
    return NeedActions(
        take=works and user_can(user, Perm.DESK_WORK) and need.owner_id != user.pk,
        close=works,
        hand_over=works and need.status == Need.Status.OPEN,
        open_person=need.person_id is not None
        and Person.objects.visible_to(user).filter(pk=need.person_id).exists(),
    )


def needs_handed_over_by(user: Any) -> QuerySet[Need]:
    """What happened to the needs the user handed over (they may follow them to the end)."""
    return (
        Need.objects.filter(handed_over_by=user)
        .select_related("category", "owner", "owner_organisation", "person")
        .order_by("-handed_over_at")
    )


@dataclass
class TimelineEntry:
    when: dt.datetime
    kind: str  # "contact" | "need" | "alert" | "follow_up"
    obj: Any


def person_timeline(user: Any, person: Person, *, limit: int = 100) -> list[TimelineEntry]:
    """Contacts, needs, alerts and follow-ups of a person, newest first (four queries)."""
    entries: list[TimelineEntry] = []
    for contact in (
        Contact.objects.visible_to(user)
        .filter(person=person, status=Contact.Status.LOGGED)
        .select_related("operator")
        .order_by("-started_at")[:limit]
    ):
        entries.append(TimelineEntry(contact.started_at, "contact", contact))
    for need in (
        Need.objects.visible_to(user)
        .filter(person=person)
        .select_related("category", "owner_organisation")
        .order_by("-created_at")[:limit]
    ):
        entries.append(TimelineEntry(need.created_at, "need", need))
    for alert in (
        Alert.objects.visible_to(user).filter(person=person).order_by("-created_at")[:limit]
    ):
        entries.append(TimelineEntry(alert.created_at, "alert", alert))
    for follow_up in (
        FollowUp.objects.visible_to(user)
        .filter(person=person)
        .select_related("assignee")
        .order_by("-due_on")[:limit]
    ):
        when = dt.datetime.combine(
            follow_up.due_on,
            follow_up.window_start or dt.time(9),
            tzinfo=timezone.get_current_timezone(),
        )
        entries.append(TimelineEntry(when, "follow_up", follow_up))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
