"""Listening line endpoints: contacts, needs, red-flag alerts and the needs taxonomy.

Thin, like the pages: parse the JSON, call `listening.selectors` (reads) or `listening.services`
(writes), shape the answer. The same permission codes as the pages (`listening.log`,
`listening.desk`, `listening.alerts`); every contact, need and alert shown is recorded in the
audit trail (`via="api"`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from prossimo.api.auth import require
from prossimo.api.errors import LIST_ERRORS, LOCKED_ERRORS, ONE_ERRORS
from prossimo.api.people import (
    MAX_LIMIT,
    MAX_OFFSET,
    InputSchema,
    IstatCode,
    LongText,
    MunicipalityOut,
    PhoneText,
    Text100,
    Text150,
    _municipality,
    _storable,
)
from prossimo.api.shaping import Page, audited_page, current_language, username
from prossimo.core.audit import audit_detail_access
from prossimo.core.models import User
from prossimo.core.permissions import Perm, user_can
from prossimo.listening import selectors, services
from prossimo.listening.models import Alert, Contact, FollowUp, Need, NeedCategory
from prossimo.people.selectors import access_person
from prossimo.territory.selectors import municipalities_by_istat_codes

router = Router(tags=["listening"])

#: Times before this are typing mistakes (and some would not fit the database's types).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: Clocks of integrations drift: a time this far ahead of ours is still "now".
CLOCK_SLACK = dt.timedelta(minutes=10)

# --- input types ------------------------------------------------------------------------


def _aware(value: dt.datetime) -> dt.datetime:
    # A time without an offset is Italian time, as the operators on the phone read it.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _local_time(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise PydanticCustomError("time_type", "a local time, without an offset")
    return value


When = Annotated[
    dt.datetime,
    Field(
        description="ISO 8601 date and time, e.g. `2026-03-02T10:15:00+01:00`; without an "
        "offset it is Italian time. From the year 2000, not in the future.",
        examples=["2026-03-02T10:15:00+01:00"],
    ),
    AfterValidator(_aware),
]
LocalTime = Annotated[
    dt.time,
    Field(description="Local (Italian) time, `HH:MM`, without an offset.", examples=["10:00"]),
    AfterValidator(_local_time),
]
Text300 = Annotated[str, Field(max_length=300), AfterValidator(_storable)]
Text500 = Annotated[str, Field(max_length=500), AfterValidator(_storable)]
Version = Annotated[
    int,
    Field(
        ge=1,
        description="The `version` of the record as last read. If someone changed it since, "
        "nothing is saved and the answer is 409: read it again, then retry.",
    ),
]

# The choices of the models, spelled out for the OpenAPI schema (a test keeps them in step).
Channel = Literal[
    "inbound_call", "outbound_call", "desk_visit", "home_visit", "email", "video_call"
]
UrgencyCode = Literal["low", "medium", "high", "emergency"]
RedFlagCode = Literal[
    "danger_to_life", "suicidal_thoughts", "violence", "no_food_or_medicines", "alone_and_unwell"
]
OutcomeCode = Literal["information", "handed_to_desk", "follow_up", "escalated", "nothing"]
NeedStatus = Literal["open", "in_progress", "handed_over", "met", "unmet"]
TaxonomyLanguage = Literal["it", "en"]


CategoryCode = Annotated[
    str,
    Field(
        max_length=50,
        description="Code of an active need category (see `GET /api/need-categories`).",
        examples=["loneliness"],
    ),
    AfterValidator(_storable),
]


class NeedIn(InputSchema):
    category: CategoryCode
    note: Text500 = ""
    hand_over: bool = Field(
        False,
        description="Hand the need over to the proximity desk serving the person's (or the "
        "caller's) municipality, instead of keeping it.",
    )


class FollowUpIn(InputSchema):
    due_on: dt.date = Field(description="Day of the call-back, today or later.")
    window_start: LocalTime | None = None
    window_end: LocalTime | None = None
    assignee: int | Text150 | None = Field(
        None,
        description="Who calls back: a username (text) or a user id (number), someone of the "
        "caller's organisation. Empty: whoever is on duty.",
    )
    reason: Text300 = ""


class ContactIn(InputSchema):
    """A whole contact in one request: the contact, its needs, its red flags, a follow-up."""

    person: uuid.UUID | None = Field(
        None,
        description="The person the contact is about (id from `/api/people`). Leave it out "
        "for an anonymous caller, and give the `caller_*` fields instead.",
    )
    caller_number: PhoneText = ""
    caller_first_name: Text100 = Field(
        "", description="Anonymous caller only: the first name they gave."
    )
    caller_approx_age: int | None = Field(
        None, ge=1, le=119, description="Anonymous caller only: their approximate age."
    )
    caller_municipality: IstatCode | None = Field(
        None,
        description="Anonymous caller only: where they live (ISTAT code); it decides which "
        "proximity desk receives the needs handed over.",
    )
    channel: Channel = "inbound_call"
    started_at: When | None = Field(None, description="When it started; default: now.")
    ended_at: When | None = Field(None, description="When it ended; default: now.")
    urgency: UrgencyCode = Field(
        "low", description="Red flags raise it: danger to life to `emergency`, others to `high`."
    )
    red_flags: list[RedFlagCode] = Field(
        default_factory=list,
        max_length=10,
        description="Each raises an alert to the organisation's coordinators and the person's "
        "social worker. `danger_to_life` requires `emergency_called`.",
    )
    emergency_called: bool = Field(
        False, description="112 was called (by the operator, or someone they asked)."
    )
    outcomes: list[OutcomeCode] = Field(
        default_factory=list,
        max_length=10,
        description="What was done. `handed_to_desk`, `follow_up` and `escalated` are added "
        "by themselves when a need is handed over, a follow-up planned, a red flag raised.",
    )
    notes: LongText = ""
    needs: list[NeedIn] = Field(default_factory=list, max_length=20)
    follow_up: FollowUpIn | None = Field(None, description="A call-back to plan.")


class ContactQuery(Schema):
    person: uuid.UUID | None = Field(None, description="Only the contacts about this person.")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class NeedQuery(Schema):
    status: NeedStatus | None = None
    mine: bool = Field(False, description="Only the needs the caller owns.")
    desk: bool = Field(
        False,
        description="The desk queue: needs handed over to, or worked by, the caller's "
        "organisations (needs `listening.desk`), oldest hand-over first.",
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class AlertQuery(Schema):
    overdue: bool = Field(
        False,
        description="Only the open alerts nobody acknowledged in time "
        "(PROSSIMO_ALERT_ACK_MINUTES, 15 minutes unless configured).",
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class CategoryQuery(Schema):
    lang: TaxonomyLanguage | None = Field(
        None,
        description="Language of the names; default the request's (the user's preferred "
        "language, else Italian).",
    )


class VersionIn(InputSchema):
    version: Version


class CloseIn(InputSchema):
    version: Version
    met: bool = Field(description="Whether the need was met.")
    outcome: LongText = Field(
        min_length=1, description="What was done; the one who handed the need over reads it."
    )


class ResolveIn(InputSchema):
    resolution: LongText = Field(min_length=1, description="What was done about the alert.")


# --- output types -----------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str = Field(description="In the language asked.")
    parent: str | None = Field(description="Code of the broader category, if any.")


class CategoryList(Schema):
    language: str
    items: list[CategoryOut]


class NeedOut(Schema):
    id: uuid.UUID
    contact: uuid.UUID
    person: uuid.UUID | None = Field(description="Null for an anonymous caller.")
    category: CategoryOut
    note: str
    status: str
    owner: str | None = Field(description="Username of whoever works the need.")
    owner_organisation: str
    handed_over_by: str | None
    handed_over_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    version: int = Field(description="Send it back to take, close or hand over the need.")
    created_at: dt.datetime
    updated_at: dt.datetime


class NeedPage(Page):
    items: list[NeedOut]


class AlertOut(Schema):
    id: uuid.UUID
    kind: str = Field(
        description="red_flag, or an escalation of a programme: failed_attempts, "
        "screening_threshold, screening_worsened."
    )
    title: str = Field(description="The red flag's label, or the kind's label.")
    detail: str
    red_flag: str = Field(description="Empty for escalations that are not a red flag.")
    red_flag_label: str
    status: str
    overdue: bool = Field(description="Open and not acknowledged in time.")
    organisation: str
    contact: uuid.UUID | None
    person: uuid.UUID | None
    social_worker: str | None
    raised_by: str | None
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    resolution: str


class AlertPage(Page):
    items: list[AlertOut]


class FollowUpOut(Schema):
    id: uuid.UUID
    due_on: dt.date
    window_start: dt.time | None
    window_end: dt.time | None
    assignee: str | None = Field(description="Username; null: whoever is on duty.")
    reason: str
    status: str


class NeedBrief(Schema):
    id: uuid.UUID
    category: str = Field(description="Category code.")
    status: str


class ContactSummary(Schema):
    id: uuid.UUID
    status: str
    channel: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    person: uuid.UUID | None
    caller_first_name: str
    urgency: str
    red_flags: list[str]
    outcomes: list[str]
    needs: list[NeedBrief]


class ContactPage(Page):
    items: list[ContactSummary]


class ContactDetail(Schema):
    id: uuid.UUID
    status: str
    channel: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_seconds: int | None
    operator: str = Field(description="Username of who logged the contact.")
    organisation: str
    person: uuid.UUID | None = Field(description="Null for an anonymous caller.")
    caller_number: str
    caller_first_name: str
    caller_approx_age: int | None
    caller_municipality: MunicipalityOut | None
    urgency: str
    red_flags: list[str]
    emergency_call_made_at: dt.datetime | None
    outcomes: list[str]
    notes: str
    needs: list[NeedOut]
    alerts: list[AlertOut]
    follow_ups: list[FollowUpOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


# --- shaping answers --------------------------------------------------------------------


def _category(category: NeedCategory, language: str) -> dict[str, Any]:
    parent = category.parent.code if category.parent_id else None  # type: ignore[union-attr]
    return {"code": category.code, "name": category.label(language), "parent": parent}


def _need(need: Need, language: str) -> dict[str, Any]:
    return {
        "id": need.pk,
        "contact": need.contact_id,
        "person": need.person_id,
        "category": _category(need.category, language),
        "note": need.note,
        "status": need.status,
        "owner": username(need.owner),
        "owner_organisation": need.owner_organisation.name,
        "handed_over_by": username(need.handed_over_by),
        "handed_over_at": need.handed_over_at,
        "closed_at": need.closed_at,
        "outcome": need.outcome,
        "version": need.version,
        "created_at": need.created_at,
        "updated_at": need.updated_at,
    }


def _alert(alert: Alert, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "red_flag": alert.red_flag,
        "kind": alert.kind,
        "title": alert.title,
        "detail": alert.detail,
        "red_flag_label": str(alert.get_red_flag_display()) if alert.red_flag else "",
        "status": alert.status,
        "overdue": selectors.alert_is_overdue(alert, now),
        "organisation": alert.organisation.name,
        "contact": alert.contact_id,
        "person": alert.person_id,
        "social_worker": username(alert.social_worker),
        "raised_by": username(alert.raised_by),
        "created_at": alert.created_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": username(alert.acknowledged_by),
        "resolved_at": alert.resolved_at,
        "resolved_by": username(alert.resolved_by),
        "resolution": alert.resolution,
    }


def _follow_up(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "id": follow_up.pk,
        "due_on": follow_up.due_on,
        "window_start": follow_up.window_start,
        "window_end": follow_up.window_end,
        "assignee": username(follow_up.assignee),
        "reason": follow_up.reason,
        "status": follow_up.status,
    }


#: What a need's answer reads, in the same query as the need.
NEED_RELATED = ("category__parent", "owner", "owner_organisation", "handed_over_by")
ALERT_RELATED = (
    "organisation", "social_worker", "raised_by", "acknowledged_by", "resolved_by",
)  # fmt: skip


def _contact_detail(user: Any, contact: Contact) -> dict[str, Any]:
    """The contact with what it raised that the user may see (needs handed to a desk are
    visible to it; the contact's other needs may not be)."""
    language, now = current_language(), timezone.now()
    needs = (
        Need.objects.visible_to(user)
        .filter(contact=contact)
        .select_related(*NEED_RELATED)
        .order_by("created_at", "pk")
    )
    alerts = (
        Alert.objects.visible_to(user)
        .filter(contact=contact)
        .select_related(*ALERT_RELATED)
        .order_by("created_at", "pk")
    )
    follow_ups = (
        FollowUp.objects.visible_to(user)
        .filter(contact=contact)
        .select_related("assignee")
        .order_by("due_on", "pk")
    )
    return {
        "id": contact.pk,
        "status": contact.status,
        "channel": contact.channel,
        "started_at": contact.started_at,
        "ended_at": contact.ended_at,
        "duration_seconds": contact.duration_seconds,
        "operator": contact.operator.username,
        "organisation": contact.organisation.name,
        "person": contact.person_id,
        "caller_number": contact.caller_number,
        "caller_first_name": contact.caller_first_name,
        "caller_approx_age": contact.caller_approx_age,
        "caller_municipality": _municipality(contact.caller_municipality),
        "urgency": contact.urgency,
        "red_flags": list(contact.red_flags or []),
        "emergency_call_made_at": contact.emergency_call_made_at,
        "outcomes": list(contact.outcomes or []),
        "notes": contact.notes,
        "needs": [_need(n, language) for n in needs],
        "alerts": [_alert(a, now) for a in alerts],
        "follow_ups": [_follow_up(f) for f in follow_ups],
        "version": contact.version,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def _contact_summary(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "status": contact.status,
        "channel": contact.channel,
        "started_at": contact.started_at,
        "ended_at": contact.ended_at,
        "person": contact.person_id,
        "caller_first_name": contact.caller_first_name,
        "urgency": contact.urgency,
        "red_flags": list(contact.red_flags or []),
        "outcomes": list(contact.outcomes or []),
        "needs": [
            {"id": n.pk, "category": n.category.code, "status": n.status}
            for n in contact.visible_needs  # type: ignore[attr-defined]
        ],
    }


# --- reading a contact ------------------------------------------------------------------


def _check_times(payload: ContactIn, errors: dict[str, list[str]]) -> None:
    latest = timezone.now() + CLOCK_SLACK
    for name in ("started_at", "ended_at"):
        value = getattr(payload, name)
        if value is None:
            continue
        if value < EARLIEST:
            errors[name] = [_("Give a date and time from the year 2000 on.")]
        elif value > latest:
            errors[name] = [_("This date and time is in the future.")]


def _find_assignee(value: int | str) -> Any:
    """The user named by a username or an id; None when nobody is (the service then refuses
    anyone outside the caller's organisation with the same message, so nothing is revealed)."""
    users = User.objects.filter(is_active=True)
    if isinstance(value, int):
        return users.filter(pk=value).first() if 0 < value < 2**31 else None
    return users.filter(username=value).first()


def _contact_input(
    user: Any, payload: ContactIn
) -> tuple[services.ContactInput, list[services.NeedInput], services.FollowUpInput | None]:
    """Turn ids and codes into the objects the service takes; 422 on the ones naming nothing
    the caller may use."""
    errors: dict[str, list[str]] = {}
    person = None
    if payload.person is not None:
        try:
            person = access_person(user, payload.person)
        except Http404:
            # The same answer whether the person does not exist or is out of the territory.
            errors["person"] = [_("You cannot log a contact for this person.")]
    municipality = None
    if payload.caller_municipality:
        code = payload.caller_municipality.strip()
        municipality = municipalities_by_istat_codes([code]).get(code)
        if municipality is None:
            errors["caller_municipality"] = [_("No municipality has this ISTAT code.")]
    codes = {need.category for need in payload.needs}
    # The taxonomy is public reference data, not a record anyone is kept from.
    categories = {c.code: c for c in NeedCategory.objects.filter(code__in=codes, is_active=True)}
    for i, need in enumerate(payload.needs):
        if need.category not in categories:
            errors[f"needs.{i}.category"] = [_("Choose a valid value.")]
    _check_times(payload, errors)
    follow_up = None
    if payload.follow_up is not None:
        given = payload.follow_up
        assignee = None
        if given.assignee is not None and given.assignee != "":
            assignee = _find_assignee(given.assignee)
            if assignee is None:
                errors["follow_up.assignee"] = [_("Choose someone of your organisation.")]
        follow_up = services.FollowUpInput(
            due_on=given.due_on,
            window_start=given.window_start,
            window_end=given.window_end,
            assignee=assignee,
            reason=given.reason,
        )
    if errors:
        raise ValidationError(errors)
    data = services.ContactInput(
        channel=payload.channel,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        person=person,
        caller_number=payload.caller_number,
        caller_first_name=payload.caller_first_name,
        caller_approx_age=payload.caller_approx_age,
        caller_municipality=municipality,
        urgency=payload.urgency,
        red_flags=list(payload.red_flags),
        emergency_called=payload.emergency_called,
        outcomes=list(payload.outcomes),
        notes=payload.notes,
    )
    needs = [
        services.NeedInput(categories[n.category], note=n.note, hand_over=n.hand_over)
        for n in payload.needs
    ]
    return data, needs, follow_up


# --- contacts ---------------------------------------------------------------------------


@router.post(
    "/contacts",
    response={201: ContactDetail, **LIST_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="contacts_create",
    summary="Log a contact",
    description="Log a whole contact in one request, as the call form does: the contact, its "
    "needs (kept, or handed over to the proximity desk), an alert for each red flag and a "
    "follow-up call if planned. About a person the caller may see (`person`), or an anonymous "
    "caller (`caller_*` fields). Danger to life is accepted only once 112 was called "
    "(`emergency_called`); otherwise 422 on that field.",
)
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[dict[str, Any]]:
    data, needs, follow_up = _contact_input(request.user, payload)
    contact = services.log_contact(request.user, data=data, needs=needs, follow_up=follow_up)
    return Status(201, _contact_detail(request.user, contact))


@router.get(
    "/contacts",
    response={200: ContactPage, **LIST_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="contacts_list",
    summary="List contacts",
    description="The logged contacts the caller may read, newest first, `limit`/`offset` paged "
    "(at most 100 a page); with `person`, those about that person. Each one's needs that the "
    "caller may see are summed up.",
)
def list_contacts(request: HttpRequest, filters: Query[ContactQuery]) -> dict[str, Any]:
    user = request.user
    contacts = Contact.objects.visible_to(user).filter(status=Contact.Status.LOGGED)
    if filters.person is not None:
        contacts = contacts.filter(person_id=filters.person)
    contacts = contacts.prefetch_related(
        Prefetch(
            "needs",
            queryset=Need.objects.visible_to(user).select_related("category").order_by("pk"),
            to_attr="visible_needs",
        )
    ).order_by("-started_at", "pk")
    return audited_page(user, contacts, filters.limit, filters.offset, _contact_summary)


@router.get(
    "/contacts/{contact_id}",
    response={200: ContactDetail, **ONE_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="contacts_read",
    summary="Read a contact",
    description="A logged contact the caller may read, with the needs, alerts and follow-ups "
    "it raised; 404 for any other (whether it exists or not).",
)
def read_contact(request: HttpRequest, contact_id: str) -> dict[str, Any]:
    contact = selectors.access_contact(request.user, contact_id)
    if contact.status != Contact.Status.LOGGED:
        # A draft is its operator's call form in progress, not a contact yet.
        raise Http404
    audit_detail_access(request.user, contact, via="api")
    return _contact_detail(request.user, contact)


# --- needs ------------------------------------------------------------------------------


@router.get(
    "/needs",
    response={200: NeedPage, **LIST_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="needs_list",
    summary="List needs",
    description="The needs the caller may see (owned or recorded by their organisations, or "
    "about people they may see), newest first; or, with `desk=true`, their desks' queue. "
    "`limit`/`offset` paged, at most 100 a page.",
)
def list_needs(request: HttpRequest, filters: Query[NeedQuery]) -> dict[str, Any]:
    user: Any = request.user
    if filters.desk:
        if not user_can(user, Perm.DESK_WORK):
            raise PermissionDenied
        needs = selectors.desk_queue(user).order_by("handed_over_at", "created_at", "pk")
    else:
        needs = Need.objects.visible_to(user).order_by("-created_at", "pk")
    if filters.status:
        needs = needs.filter(status=filters.status)
    if filters.mine:
        needs = needs.filter(owner=user)
    needs = needs.select_related(*NEED_RELATED)
    language = current_language()
    return audited_page(user, needs, filters.limit, filters.offset, lambda n: _need(n, language))


@router.get(
    "/needs/{need_id}",
    response={200: NeedOut, **ONE_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="needs_read",
    summary="Read a need",
    description="A need the caller may see; 404 for any other (whether it exists or not).",
)
def read_need(request: HttpRequest, need_id: str) -> dict[str, Any]:
    need = selectors.access_need(request.user, need_id)
    audit_detail_access(request.user, need, via="api")
    return _need(need, current_language())


@router.post(
    "/needs/{need_id}/take",
    response={200: NeedOut, **LOCKED_ERRORS},
    auth=require(Perm.DESK_WORK),
    operation_id="needs_take",
    summary="Take a need (desk)",
    description="The desk takes a need handed over to (or open in) one of the caller's "
    "organisations: it becomes the caller's, in progress.",
)
def take_need(request: HttpRequest, need_id: str, payload: VersionIn) -> dict[str, Any]:
    need = selectors.access_need(request.user, need_id, for_desk=True)
    need = services.take_need(request.user, need=need, expected_version=payload.version)
    return _need(need, current_language())


@router.post(
    "/needs/{need_id}/close",
    response={200: NeedOut, **LOCKED_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="needs_close",
    summary="Close a need",
    description="Close a need owned by one of the caller's organisations as met or unmet, "
    "saying what was done (the one who handed it over reads it).",
)
def close_need(request: HttpRequest, need_id: str, payload: CloseIn) -> dict[str, Any]:
    need = selectors.access_need(request.user, need_id)
    need = services.close_need(
        request.user,
        need=need,
        met=payload.met,
        outcome=payload.outcome,
        expected_version=payload.version,
    )
    return _need(need, current_language())


@router.post(
    "/needs/{need_id}/hand-over",
    response={200: NeedOut, **LOCKED_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="needs_hand_over",
    summary="Hand a need over to the desk",
    description="Hand an open need of one of the caller's organisations to the proximity desk "
    "serving the person's (or caller's) municipality.",
)
def hand_over_need(request: HttpRequest, need_id: str, payload: VersionIn) -> dict[str, Any]:
    need = selectors.access_need(request.user, need_id)
    need = services.hand_over_need(request.user, need=need, expected_version=payload.version)
    return _need(need, current_language())


# --- alerts -----------------------------------------------------------------------------


@router.get(
    "/alerts",
    response={200: AlertPage, **LIST_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="alerts_list",
    summary="List unresolved alerts",
    description="Unresolved alerts of the caller's organisations and those sent to them as "
    "social worker, oldest first; with `overdue=true`, only the open ones nobody acknowledged "
    "in time. `limit`/`offset` paged, at most 100 a page.",
)
def list_alerts(request: HttpRequest, filters: Query[AlertQuery]) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    if filters.overdue:
        alerts = selectors.overdue_alerts(user, now)
    else:
        alerts = Alert.objects.visible_to(user).unresolved()
    alerts = alerts.select_related(*ALERT_RELATED).order_by("created_at", "pk")
    return audited_page(user, alerts, filters.limit, filters.offset, lambda a: _alert(a, now))


@router.get(
    "/alerts/{alert_id}",
    response={200: AlertOut, **ONE_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="alerts_read",
    summary="Read an alert",
    description="An alert the caller may see (resolved ones too); 404 for any other.",
)
def read_alert(request: HttpRequest, alert_id: str) -> dict[str, Any]:
    alert = selectors.access_alert(request.user, alert_id)
    audit_detail_access(request.user, alert, via="api")
    return _alert(alert, timezone.now())


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **ONE_ERRORS},
    auth=require(Perm.ALERTS_MANAGE),
    operation_id="alerts_acknowledge",
    summary="Acknowledge an alert",
    description="Say that someone responsible has seen the alert and is acting on it.",
)
def acknowledge_alert(request: HttpRequest, alert_id: str) -> dict[str, Any]:
    alert = selectors.access_alert(request.user, alert_id, for_write=True)
    alert = services.acknowledge_alert(request.user, alert=alert)
    return _alert(alert, timezone.now())


@router.post(
    "/alerts/{alert_id}/resolve",
    response={200: AlertOut, **ONE_ERRORS},
    auth=require(Perm.ALERTS_MANAGE),
    operation_id="alerts_resolve",
    summary="Resolve an alert",
    description="Close the alert saying what was done; an open alert is acknowledged too.",
)
def resolve_alert(request: HttpRequest, alert_id: str, payload: ResolveIn) -> dict[str, Any]:
    alert = selectors.access_alert(request.user, alert_id, for_write=True)
    alert = services.resolve_alert(request.user, alert=alert, resolution=payload.resolution)
    return _alert(alert, timezone.now())


# --- taxonomy ---------------------------------------------------------------------------


def _tree_order(categories: list[NeedCategory]) -> list[NeedCategory]:
    """Each category followed by its narrower ones (a category whose parent is not listed,
    because inactive, stands at the top)."""
    listed = {c.pk for c in categories}
    children: dict[Any, list[NeedCategory]] = {}
    for category in categories:
        parent = category.parent_id if category.parent_id in listed else None
        children.setdefault(parent, []).append(category)
    ordered: list[NeedCategory] = []

    def walk(parent: Any) -> None:
        for category in children.get(parent, []):
            ordered.append(category)
            walk(category.pk)

    walk(None)
    # A loop of parents (the admin prevents it) must not hide categories: list them last.
    seen = {c.pk for c in ordered}
    return ordered + [c for c in categories if c.pk not in seen]


@router.get(
    "/need-categories",
    response={200: CategoryList, **LIST_ERRORS},
    auth=require(Perm.LISTENING_LOG),
    operation_id="need_categories_list",
    summary="The needs taxonomy",
    description="The active need categories, each followed by its narrower ones, with the "
    "code to send in `needs[].category`. Administrators edit the taxonomy.",
)
def list_need_categories(request: HttpRequest, filters: Query[CategoryQuery]) -> dict[str, Any]:
    language = filters.lang or current_language()
    categories = list(
        NeedCategory.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("position", "name", "pk")
    )
    return {
        "language": language,
        "items": [_category(c, language) for c in _tree_order(categories)],
    }
