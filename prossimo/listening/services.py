"""Writes of the listening line: logging a contact in one step, needs, alerts, follow-ups.

Every function takes the acting user first, checks the permission and the scope, runs in one
transaction and leaves an audit trail (django-auditlog records each row it creates or changes).
Rows edited by several people (contacts, needs) carry a `version`: a write made from a stale
copy is refused with `ConcurrentEdit`, so nobody silently overwrites a colleague.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.core.permissions import Perm, user_can
from prossimo.core.phones import normalise_phone
from prossimo.listening.models import (
    Alert,
    Contact,
    FollowUp,
    Need,
    NeedCategory,
    RedFlag,
    Urgency,
)
from prossimo.people.models import CASEWORK_ROLES, Person
from prossimo.people.services import lock_person
from prossimo.territory.models import Membership, Municipality, Organisation

URGENCY_ORDER: list[str] = [Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH, Urgency.EMERGENCY]


class ConcurrentEdit(ValidationError):
    """Someone else saved this record after the user opened it."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this record after you opened it. Your changes were not "
                "saved: reload the page to see the latest version, then apply them again."
            ),
            code="stale",
        )


@dataclass
class NeedInput:
    category: NeedCategory
    note: str = ""
    hand_over: bool = False


@dataclass
class FollowUpInput:
    due_on: dt.date
    window_start: dt.time | None = None
    window_end: dt.time | None = None
    assignee: Any = None  # a user; None: whoever is on duty
    reason: str = ""


@dataclass
class ContactInput:
    """A contact as typed in the call form."""

    channel: str = Contact.Channel.INBOUND_CALL
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    person: Person | None = None
    caller_number: str = ""
    caller_first_name: str = ""
    caller_approx_age: int | None = None
    caller_municipality: Municipality | None = None
    urgency: str = Urgency.LOW
    red_flags: list[str] = field(default_factory=list)
    emergency_called: bool = False
    outcomes: list[str] = field(default_factory=list)
    notes: str = ""


def acting_organisation(actor: Any, organisation: Organisation | None = None) -> Organisation:
    """The organisation the actor works for in this action (one of their casework ones)."""
    orgs = Organisation.objects.filter(
        is_active=True,
        memberships__user=actor,
        memberships__is_active=True,
        memberships__role__in=list(CASEWORK_ROLES),
    ).distinct()
    if organisation is not None:
        if not orgs.filter(pk=organisation.pk).exists():
            raise PermissionDenied
        return organisation
    first = orgs.order_by("pk").first()
    if first is None:
        raise PermissionDenied
    return first


def desk_for(municipality: Municipality | None, fallback: Organisation) -> Organisation:
    """The proximity desk that serves a municipality (directly or through an ambito); the
    fallback organisation when none does or the municipality is unknown."""
    if municipality is None:
        return fallback
    desk = (
        Organisation.objects.filter(is_active=True, runs_proximity_desk=True)
        .filter(Q(municipalities=municipality) | Q(ambiti__municipalities=municipality))
        .order_by("pk")
        .first()
    )
    return desk or fallback


def _check_version(obj: Contact | Need, expected: int | None) -> None:
    if expected is not None and obj.version != expected:
        raise ConcurrentEdit


def _clean_contact(actor: Any, data: ContactInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.channel not in Contact.Channel.values:
        err("channel", _("Choose a valid value."))
    if data.urgency not in Urgency.values:
        err("urgency", _("Choose a valid value."))
    unknown = [f for f in data.red_flags if f not in RedFlag.values]
    if unknown:
        err("red_flags", _("Choose a valid value."))
    bad_outcomes = [o for o in data.outcomes if o not in Contact.Outcome.values]
    if bad_outcomes:
        err("outcomes", _("Choose a valid value."))
    if RedFlag.DANGER_TO_LIFE in data.red_flags and not data.emergency_called:
        err(
            "emergency_called",
            _("Danger to life: call 112 now, then tick that you called (or had someone call)."),
        )
    if data.caller_number:
        try:
            data.caller_number = normalise_phone(data.caller_number)
        except ValidationError as exc:
            err("caller_number", exc.messages[0])
    if data.caller_approx_age is not None and not 0 < data.caller_approx_age < 120:
        err("caller_approx_age", _("Give an age between 1 and 119, or leave it empty."))
    if data.started_at and data.ended_at and data.ended_at < data.started_at:
        err("ended_at", _("The end is before the start."))
    if (
        data.person is not None
        and not Person.objects.visible_to(actor).filter(pk=data.person.pk).exists()
    ):
        err("person", _("You cannot log a contact for this person."))
    return errors


def _urgency_with_flags(urgency: str, flags: list[str]) -> str:
    """Red flags raise the urgency: danger to life is an emergency, the others are for today."""
    floor = (
        Urgency.EMERGENCY
        if RedFlag.DANGER_TO_LIFE in flags
        else (Urgency.HIGH if flags else Urgency.LOW)
    )
    return max(urgency, floor, key=URGENCY_ORDER.index)


@transaction.atomic
def log_contact(
    actor: Any,
    *,
    data: ContactInput,
    needs: list[NeedInput] = (),  # type: ignore[assignment]
    follow_up: FollowUpInput | None = None,
    draft: Contact | None = None,
    expected_version: int | None = None,
    organisation: Organisation | None = None,
) -> Contact:
    """Log a whole contact in one step: the contact, its needs (handed over to the desk where
    asked), an alert for each red flag, and a follow-up if one is planned.

    Rules: the actor may log contacts (`listening.log`) for people they may see; danger to life
    requires that 112 was called; red flags raise the urgency and each raises an alert to the
    organisation's coordinators and the person's social worker; a draft is completed only from
    its current version.
    """
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    if data.person is not None:
        lock_person(data.person.pk)  # before the draft (lock order), and before the checks
    org = acting_organisation(actor, organisation)
    errors = _clean_contact(actor, data)
    for i, need in enumerate(needs):
        if not need.category.is_active:
            errors.setdefault(f"needs.{i}.category", []).append(_("Choose a valid value."))
    if follow_up is not None:
        errors.update(_clean_follow_up(actor, org, follow_up, prefix="follow_up."))
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    if draft is not None:
        contact = Contact.objects.select_for_update().get(pk=draft.pk)
        if contact.status != Contact.Status.DRAFT or contact.operator_id != actor.pk:
            raise PermissionDenied
        _check_version(contact, expected_version)
    else:
        contact = Contact(operator=actor, organisation=org)

    outcomes = list(dict.fromkeys(data.outcomes))
    if any(n.hand_over for n in needs):
        outcomes.append(Contact.Outcome.HANDED_TO_DESK)
    if follow_up is not None:
        outcomes.append(Contact.Outcome.FOLLOW_UP)
    if data.red_flags:
        outcomes.append(Contact.Outcome.ESCALATED)

    contact.channel = data.channel
    contact.status = Contact.Status.LOGGED
    contact.started_at = data.started_at or contact.started_at or now
    contact.ended_at = data.ended_at or contact.ended_at or now
    if contact.duration_seconds is None:
        contact.duration_seconds = max(
            0, int((contact.ended_at - contact.started_at).total_seconds())
        )
    contact.person = data.person
    contact.caller_number = data.caller_number
    contact.caller_first_name = data.caller_first_name.strip() if data.person is None else ""
    contact.caller_approx_age = data.caller_approx_age if data.person is None else None
    contact.caller_municipality = data.caller_municipality if data.person is None else None
    contact.urgency = _urgency_with_flags(data.urgency, data.red_flags)
    contact.red_flags = list(dict.fromkeys(data.red_flags))
    contact.emergency_call_made_at = now if data.emergency_called else None
    contact.outcomes = list(dict.fromkeys(outcomes))
    contact.notes = data.notes.strip()
    contact.draft_data = {}
    contact.version = contact.version + 1 if draft is not None else 1
    contact.save()

    where = data.person.municipality if data.person else data.caller_municipality
    desk = desk_for(where, org)
    for need in needs:
        handed = need.hand_over
        Need.objects.create(
            contact=contact,
            person=data.person,
            category=need.category,
            note=need.note.strip(),
            status=Need.Status.HANDED_OVER if handed else Need.Status.OPEN,
            owner=None if handed else actor,
            owner_organisation=desk if handed else org,
            handed_over_by=actor if handed else None,
            handed_over_at=now if handed else None,
        )
    social_worker = data.person.social_worker if data.person else None
    for flag in contact.red_flags:
        Alert.objects.create(
            organisation=org,
            contact=contact,
            person=data.person,
            red_flag=flag,
            social_worker=social_worker,
            raised_by=actor,
        )
    if follow_up is not None:
        FollowUp.objects.create(
            organisation=org,
            contact=contact,
            person=data.person,
            due_on=follow_up.due_on,
            window_start=follow_up.window_start,
            window_end=follow_up.window_end,
            assignee=follow_up.assignee,
            reason=follow_up.reason.strip(),
            created_by=actor,
        )
    return contact


@transaction.atomic
def save_draft(
    actor: Any,
    *,
    form_data: dict[str, Any],
    draft: Contact | None = None,
    expected_version: int | None = None,
    person: Person | None = None,
    caller_number: str = "",
    organisation: Organisation | None = None,
) -> Contact:
    """Keep what was typed in a call form that is not saved yet, so a closed browser loses
    nothing. Only the operator who started the draft may update it."""
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    if person is not None and not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied
    if draft is None:
        return Contact.objects.create(
            operator=actor,
            organisation=acting_organisation(actor, organisation),
            started_at=timezone.now(),
            person=person,
            caller_number=caller_number,
            status=Contact.Status.DRAFT,
            draft_data=form_data,
        )
    contact = Contact.objects.select_for_update().get(pk=draft.pk)
    if contact.status != Contact.Status.DRAFT or contact.operator_id != actor.pk:
        raise PermissionDenied
    _check_version(contact, expected_version)
    contact.draft_data = form_data
    contact.version += 1
    contact.save(update_fields=["draft_data", "version", "updated_at"])
    return contact


@transaction.atomic
def discard_draft(actor: Any, *, draft: Contact) -> None:
    """Throw away a call form that was never logged. Only the operator who started it may."""
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    contact = Contact.objects.select_for_update().get(pk=draft.pk)
    if contact.status != Contact.Status.DRAFT or contact.operator_id != actor.pk:
        raise PermissionDenied
    contact.delete()


@transaction.atomic
def link_contact_to_person(actor: Any, *, contact: Contact, person: Person) -> Contact:
    """An anonymous caller turned out to be a known person: link the contact and everything
    it raised (needs, alerts, follow-ups) to them."""
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    lock_person(person.pk)  # before the contact (lock order), and before the check
    if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.person_id is not None:
        raise ValidationError(_("This contact is already linked to a person."))
    contact.person = person
    contact.caller_first_name = ""
    contact.caller_approx_age = None
    contact.caller_municipality = None
    contact.version += 1
    contact.save(
        update_fields=[
            "person",
            "caller_first_name",
            "caller_approx_age",
            "caller_municipality",
            "version",
            "updated_at",
        ]
    )
    for model in (Need, Alert, FollowUp):
        for row in model.objects.filter(contact=contact, person__isnull=True):
            row.person = person
            row.save(update_fields=["person", "updated_at"])
    return contact


def _desk_need(actor: Any, need: Need, expected_version: int | None) -> Need:
    """Lock the need, check it belongs to one of the actor's organisations and is current."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    if not Membership.objects.filter(
        user=actor, organisation=need.owner_organisation_id, is_active=True
    ).exists():
        raise PermissionDenied
    _check_version(need, expected_version)
    return need


@transaction.atomic
def take_need(actor: Any, *, need: Need, expected_version: int | None = None) -> Need:
    """The desk takes a handed-over (or open) need: it becomes the actor's, in progress."""
    if not user_can(actor, Perm.DESK_WORK):
        raise PermissionDenied
    need = _desk_need(actor, need, expected_version)
    if need.is_closed:
        raise ValidationError(_("This need is already closed."))
    need.status = Need.Status.IN_PROGRESS
    need.owner = actor
    need.version += 1
    need.save(update_fields=["status", "owner", "version", "updated_at"])
    return need


@transaction.atomic
def close_need(
    actor: Any, *, need: Need, met: bool, outcome: str, expected_version: int | None = None
) -> Need:
    """Close a need as met or unmet, saying what happened (the one who handed it over sees it)."""
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    need = _desk_need(actor, need, expected_version)
    if need.is_closed:
        raise ValidationError(_("This need is already closed."))
    if not outcome.strip():
        raise ValidationError({"outcome": [_("Say what was done.")]})
    need.status = Need.Status.MET if met else Need.Status.UNMET
    need.outcome = outcome.strip()
    need.closed_at = timezone.now()
    if need.owner_id is None:
        need.owner = actor
    need.version += 1
    need.save(update_fields=["status", "outcome", "closed_at", "owner", "version", "updated_at"])
    return need


@transaction.atomic
def hand_over_need(actor: Any, *, need: Need, expected_version: int | None = None) -> Need:
    """Hand an open need to the proximity desk serving the person's (or caller's) place."""
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    need = _desk_need(actor, need, expected_version)
    if need.is_closed or need.status == Need.Status.HANDED_OVER:
        raise ValidationError(_("Only an open need can be handed over."))
    contact = need.contact
    where = contact.person.municipality if contact.person else contact.caller_municipality
    need.owner_organisation = desk_for(where, need.owner_organisation)
    need.owner = None
    need.status = Need.Status.HANDED_OVER
    need.handed_over_by = actor
    need.handed_over_at = timezone.now()
    need.version += 1
    need.save(
        update_fields=[
            "owner_organisation",
            "owner",
            "status",
            "handed_over_by",
            "handed_over_at",
            "version",
            "updated_at",
        ]
    )
    return need


def _alert_for_update(actor: Any, alert: Alert) -> Alert:
    if not user_can(actor, Perm.ALERTS_MANAGE):
        raise PermissionDenied
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    in_org = Membership.objects.filter(
        user=actor, organisation=alert.organisation_id, is_active=True
    ).exists()
    if not in_org and alert.social_worker_id != actor.pk:
        raise PermissionDenied
    return alert


@transaction.atomic
def acknowledge_alert(actor: Any, *, alert: Alert) -> Alert:
    """Someone responsible has seen the alert and is acting on it."""
    alert = _alert_for_update(actor, alert)
    if alert.status != Alert.Status.OPEN:
        raise ValidationError(_("This alert was already acknowledged."))
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    return alert


@transaction.atomic
def resolve_alert(actor: Any, *, alert: Alert, resolution: str) -> Alert:
    """Close the alert saying what was done. An open alert is acknowledged at the same time."""
    alert = _alert_for_update(actor, alert)
    if alert.status == Alert.Status.RESOLVED:
        raise ValidationError(_("This alert is already resolved."))
    if not resolution.strip():
        raise ValidationError({"resolution": [_("Say what was done.")]})
    now = timezone.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = actor
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = actor
    alert.resolution = resolution.strip()
    alert.save(
        update_fields=[
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution",
            "updated_at",
        ]
    )
    return alert


def _clean_follow_up(
    actor: Any, org: Organisation, data: FollowUpInput, *, prefix: str = ""
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.due_on < timezone.localdate():
        errors[f"{prefix}due_on"] = [_("The date is in the past.")]
    if data.window_start and data.window_end and data.window_end <= data.window_start:
        errors[f"{prefix}window_end"] = [_("The end of the time window must be after its start.")]
    if (
        data.assignee is not None
        and not Membership.objects.filter(
            user=data.assignee, organisation=org, is_active=True
        ).exists()
    ):
        errors[f"{prefix}assignee"] = [_("Choose someone of your organisation.")]
    return errors


@transaction.atomic
def plan_follow_up(
    actor: Any,
    *,
    data: FollowUpInput,
    person: Person | None = None,
    need: Need | None = None,
    organisation: Organisation | None = None,
) -> FollowUp:
    """Plan a call-back for a date and time window, for someone or whoever is on duty."""
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    if person is not None and not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied
    org = acting_organisation(actor, organisation)
    errors = _clean_follow_up(actor, org, data)
    if errors:
        raise ValidationError(errors)
    return FollowUp.objects.create(
        organisation=org,
        need=need,
        contact=need.contact if need else None,
        person=person or (need.person if need else None),
        due_on=data.due_on,
        window_start=data.window_start,
        window_end=data.window_end,
        assignee=data.assignee,
        reason=data.reason.strip(),
        created_by=actor,
    )


@transaction.atomic
def complete_follow_up(
    actor: Any, *, follow_up: FollowUp, contact: Contact | None = None, cancel: bool = False
) -> FollowUp:
    """Mark a follow-up done (with the contact that did it) or cancelled."""
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not Membership.objects.filter(
        user=actor, organisation=follow_up.organisation_id, is_active=True
    ).exists():
        raise PermissionDenied
    if follow_up.status != FollowUp.Status.PLANNED:
        raise ValidationError(_("This follow-up is already closed."))
    follow_up.status = FollowUp.Status.CANCELLED if cancel else FollowUp.Status.DONE
    follow_up.done_contact = contact
    follow_up.save(update_fields=["status", "done_contact", "updated_at"])
    return follow_up
