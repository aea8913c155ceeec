"""Reads of the listening line, always starting from the models' `visible_to(user)`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from prossimo.core.permissions import Perm, user_can
from prossimo.listening.models import Alert, Contact, FollowUp, Need
from prossimo.people.lookup import identify_caller
from prossimo.people.models import CASEWORK_ROLES, Person, territory_rule
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


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Alerts still open when they should have been acknowledged by `now`."""
    now = now or timezone.now()
    return Q(
        status=Alert.Status.OPEN, created_at__lte=now - dt.timedelta(minutes=alert_ack_minutes())
    )


def overdue_alerts(user: Any, now: dt.datetime | None = None) -> QuerySet[Alert]:
    """Open alerts nobody acknowledged in time, for the user's organisations."""
    return (
        Alert.objects.visible_to(user)
        .filter(overdue_q(now))
        .select_related("person", "contact")
        .order_by("created_at")
    )


def overdue_alert_count(user: Any, now: dt.datetime | None = None) -> int:
    """How many alerts nobody acknowledged in time, for the notice on every coordinator's
    screen (one query; 0 for users who do not manage alerts)."""
    if not user_can(user, Perm.ALERTS_MANAGE):
        return 0
    return overdue_alerts(user, now).count()


#: Unresolved alerts, the most urgent first: open ones oldest first (those overdue are the
#: oldest open ones), then acknowledged ones; `pk` makes the order total (pages never overlap).
ALERT_ORDER = (Case(When(status=Alert.Status.OPEN, then=0), default=1), "created_at", "pk")
#: What lists show of an alert.
ALERT_RELATED = ("person", "contact", "raised_by", "acknowledged_by")
#: The only columns a list's row needs (`QuerySet.only`), for each kind of row: its own
#: fields, who it is about and who handled it by name, not the whole person and contact.
_NAMES = ("first_name", "last_name", "username")
ALERT_ROW_FIELDS = (
    "status", "kind", "red_flag", "created_at", "acknowledged_at", "person__first_name",
    "person__last_name", "contact__caller_first_name",
    *(f"{user}__{name}" for user in ("raised_by", "acknowledged_by") for name in _NAMES),
)  # fmt: skip


def unresolved_alerts(user: Any) -> QuerySet[Alert]:
    """Unresolved alerts of the user's organisations and those sent to them as social worker,
    the most urgent first (`ALERT_ORDER`); none for those who do not manage alerts."""
    if not user_can(user, Perm.ALERTS_MANAGE):
        return Alert.objects.none()
    return (
        Alert.objects.visible_to(user)
        .unresolved()
        .select_related(*ALERT_RELATED)
        .order_by(*ALERT_ORDER)
    )


@dataclass
class AlertBoard:
    """The alerts page: what is still to be done (a page of it), and what was resolved lately."""

    unresolved: list[Alert]
    overdue_ids: set[Any]
    resolved: list[Alert]
    page: Page[Alert] | None = None  # the page of unresolved alerts shown
    unresolved_count: int = 0
    overdue_count: int = 0


def alert_board(
    user: Any,
    *,
    now: dt.datetime | None = None,
    resolved_days: int = 7,
    limit: int = 200,
    page: Any = 1,
    per_page: int = 50,
) -> AlertBoard:
    """A page of the unresolved alerts (`unresolved_alerts`: overdue first), how many there are
    and how many are overdue; and those resolved in the last `resolved_days` days, newest first
    (at most `limit`).

    Four queries whatever the number of alerts: the count, the page, the overdue count, the
    resolved ones. `page` is the page number as the user gave it (`Paginator.get_page`).
    """
    now = now or timezone.now()
    if not user_can(user, Perm.ALERTS_MANAGE):
        return AlertBoard([], set(), [])
    shown = Paginator(unresolved_alerts(user), per_page).get_page(page)
    unresolved = list(shown.object_list)
    overdue = {a.pk for a in unresolved if alert_is_overdue(a, now)}
    resolved = list(
        Alert.objects.visible_to(user)
        .filter(
            status=Alert.Status.RESOLVED,
            resolved_at__gte=now - dt.timedelta(days=resolved_days),
        )
        .select_related(*ALERT_RELATED, "resolved_by")
        .order_by("-resolved_at")[:limit]
    )
    return AlertBoard(
        unresolved=unresolved,
        overdue_ids=overdue,
        resolved=resolved,
        page=shown,
        unresolved_count=shown.paginator.count,
        overdue_count=overdue_alert_count(user, now),
    )


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


#: Rows "Oggi" shows of each section: the most urgent ones, with how many there are and a
#: link to the whole list (a page of hundreds of rows is of no use to a volunteer).
TODAY_ROWS = 15


@dataclass
class Worklist:
    """The "Oggi" page: what the user should do today, the most urgent first.

    Each list holds the first rows of its section; the counts are of the whole sections."""

    follow_ups: list[FollowUp]
    alerts: list[Alert]
    desk_needs: list[Need]
    overdue_alert_ids: set[Any]  # among `alerts`
    follow_up_count: int = 0
    alert_count: int = 0
    desk_need_count: int = 0
    overdue_alert_count: int = 0  # among all unresolved alerts


#: Call-backs to make, the most urgent first: the longest overdue, then by time window.
FOLLOW_UP_ORDER = ("due_on", "window_start", "created_at", "pk")
#: What lists show of a call-back: who (the person, else the anonymous caller of the
#: contact) and why (the need's category).
FOLLOW_UP_RELATED = ("person", "contact", "need__category")
FOLLOW_UP_ROW_FIELDS = (
    "contact", "due_on", "window_start", "window_end", "assignee", "reason",
    "person__first_name", "person__last_name", "contact__caller_first_name", "need__category",
)  # fmt: skip


def follow_ups_due(user: Any, *, today: dt.date | None = None) -> QuerySet[FollowUp]:
    """Call-backs due today or earlier and not yet made, of the user's organisations: assigned
    to the user or to whoever is on duty (`FOLLOW_UP_ORDER`)."""
    today = today or timezone.localdate()
    if not user_can(user, Perm.LISTENING_LOG):
        return FollowUp.objects.none()
    orgs = organisation_ids_with_roles(user, CASEWORK_ROLES)
    return (
        FollowUp.objects.filter(organisation__in=orgs, status=FollowUp.Status.PLANNED)
        .filter(due_on__lte=today)
        .filter(Q(assignee=user) | Q(assignee__isnull=True))
        .select_related(*FOLLOW_UP_RELATED)
        .order_by(*FOLLOW_UP_ORDER)
    )


def desk_to_do(user: Any) -> QuerySet[Need]:
    """The desk's needs for the user to work: waiting to be taken, or taken by the user."""
    return desk_queue(user).filter(Q(owner=user) | Q(owner__isnull=True))


def worklist_today(user: Any, *, today: dt.date | None = None, limit: int = TODAY_ROWS) -> Worklist:
    """The first `limit` rows and the size of each section of "Oggi": call-backs due
    (`follow_ups_due`), unresolved alerts the user must act on (`unresolved_alerts`, overdue
    first), the desk's needs to work (`desk_to_do`, the longest waiting first).

    Six queries whatever the number of items, two a section (`_first`); each section's count,
    and the number of overdue alerts, come with its first query.
    """
    now = timezone.now()
    if not user_can(user, Perm.LISTENING_LOG):
        return Worklist([], [], [], set())
    follow_ups, follow_up_count, _ = _first(
        follow_ups_due(user, today=today),
        limit,
        related=FOLLOW_UP_RELATED,
        order=FOLLOW_UP_ORDER,
        fields=FOLLOW_UP_ROW_FIELDS,
    )
    alerts: list[Alert] = []
    alert_count = overdue_count = 0
    if user_can(user, Perm.ALERTS_MANAGE):
        alerts, alert_count, overdue_count = _first(
            unresolved_alerts(user),
            limit,
            related=ALERT_RELATED,
            order=ALERT_ORDER,
            fields=ALERT_ROW_FIELDS,
            also=overdue_q(now),
        )
    desk_needs: list[Need] = []
    desk_need_count = 0
    if user_can(user, Perm.DESK_WORK):
        desk_needs, desk_need_count, _ = _first(
            desk_to_do(user), limit, related=DESK_RELATED, order=DESK_ORDER, fields=DESK_ROW_FIELDS
        )
    return Worklist(
        follow_ups=follow_ups,
        alerts=alerts,
        desk_needs=desk_needs,
        overdue_alert_ids={a.pk for a in alerts if alert_is_overdue(a, now)},
        follow_up_count=follow_up_count,
        alert_count=alert_count,
        desk_need_count=desk_need_count,
        overdue_alert_count=overdue_count,
    )


def _first(
    chosen: QuerySet[Any],
    limit: int,
    *,
    related: Sequence[str],
    order: Sequence[Any],
    fields: Sequence[str] = (),
    also: Q | None = None,
) -> tuple[list[Any], int, int]:
    """The first `limit` rows of `chosen` in `order` with `related` joined (only `fields` of
    them, if given), how many rows `chosen` has, and how many of them match `also`: two
    queries.

    The first picks the ids on the table alone, with the counts as scalar subqueries (computed
    once; a `COUNT(*) OVER ()` window would make the database fetch and sort every matching row
    instead of stopping at the first `limit` in index order); the second joins for those rows
    only. Joining in the query that sorts and limits makes the database join every matching
    row first: with thousands of open items, most of the work was for rows nobody sees. (An
    `id IN (subquery)` is not enough: PostgreSQL then joins the whole tables, as the joins are
    more than its `join_collapse_limit`.)
    """
    unordered = chosen.order_by()
    counts: dict[str, Any] = {"total_rows": _count(unordered, "pk")}
    if also is not None:
        counts["also_rows"] = _count(unordered, Case(When(also, then="pk")))
    picked = list(chosen.order_by(*order).annotate(**counts).values_list("pk", *counts)[:limit])
    if not picked:
        return [], 0, 0
    ids = [row[0] for row in picked]
    found = chosen.model._default_manager.filter(pk__in=ids).select_related(*related).order_by()
    if fields:
        found = found.only(*fields)
    by_id = {obj.pk: obj for obj in found}
    rows = [by_id[pk] for pk in ids if pk in by_id]
    return rows, picked[0][1], picked[0][2] if also is not None else 0


def _count(queryset: QuerySet[Any], counted: Any) -> Subquery:
    """`SELECT COUNT(counted) FROM <queryset>` as a scalar subquery (non-null values counted).

    COUNT through `Func`, not `Count`: an aggregate would make the ORM group the rows by
    primary key, and count each row alone."""
    total = Func(counted, function="COUNT", output_field=IntegerField())
    return Subquery(queryset.annotate(counted_rows=total).values("counted_rows"))


#: What the desk's lists show of a need, and their order: the longest waiting first.
DESK_RELATED = (
    "category",
    "person__municipality__province",
    "contact__caller_municipality",
    "handed_over_by",
    "owner",
)
DESK_ORDER = ("handed_over_at", "created_at")
DESK_ROW_FIELDS = (
    "category", "note", "status", "owner", "handed_over_at", "version",
    "person__first_name", "person__last_name", "person__municipality__name",
    "person__municipality__province__abbreviation", "contact__caller_first_name",
    "contact__caller_approx_age", "contact__started_at", "contact__caller_municipality__name",
    *(f"{user}__{name}" for user in ("handed_over_by", "owner") for name in _NAMES),
)  # fmt: skip


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


def _open_needs_readable(user: Any, person_ids: Sequence[Any]) -> QuerySet[Need] | None:
    """The open needs of these people that `user` may read (None: none at all).

    For a page of rows (a worklist): the needs are found by person first, and who may read
    them is decided row by row (a CASE on the need and its person), never through the whole
    visible territory that `visible_to`'s subquery describes — on a territory of a million
    people the planners would otherwise build that set on every page."""
    ids = list(dict.fromkeys(person_ids))
    if not ids or not user_can(user, Perm.LISTENING_LOG):
        return None
    needs = Need.objects.open().filter(person_id__in=ids)
    orgs = list(organisation_ids_with_roles(user, CASEWORK_ROLES))
    readable = Q(owner_organisation_id__in=orgs) | Q(contact__organisation_id__in=orgs)
    rule = territory_rule(user, prefix="person__")  # None: no one; empty: everyone
    if rule is not None:
        readable |= rule & Q(person__merged_into__isnull=True)
    return (
        needs.alias(_readable=Case(When(readable, then=Value(True)), default=Value(False)))
        .filter(_readable=True)
        .order_by("created_at", "pk")
    )


def open_needs_of(user: Any, person_ids: Sequence[Any]) -> dict[Any, list[Need]]:
    """The open needs of these people that `user` may read, oldest first, by person: the same
    rows as `Need.objects.visible_to(user).open().filter(person_id__in=person_ids)`, with the
    category loaded. One query."""
    found: dict[Any, list[Need]] = {}
    needs = _open_needs_readable(user, person_ids)
    if needs is None:
        return found
    for need in needs.select_related("category"):
        found.setdefault(need.person_id, []).append(need)
    return found


def open_needs_values(user: Any, person_ids: Sequence[Any], *fields: str) -> list[tuple[Any, ...]]:
    """As `open_needs_of`, as plain values: `(person_id, *fields)` per need, oldest first. One
    query; for the rows of a list, where building `Need` objects costs more than reading."""
    needs = _open_needs_readable(user, person_ids)
    if needs is None:
        return []
    return list(needs.values_list("person_id", *fields))
