"""Writes of telephony: lines and their secrets, duty, the PBX's call events, taking a call.

The PBX's events change calls (`receive_event`); an operator takes a call from the banner
(`take_call`), which opens a draft contact of the listening line; the call's times then flow
into that contact (`record_call_times_on_contact`), also after the contact was logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, user_can
from prossimo.core.phones import normalise_phone
from prossimo.listening.models import Contact
from prossimo.listening.services import save_draft
from prossimo.people.models import CASEWORK_ROLES
from prossimo.telephony.models import IncomingCall, OnDuty, SeenSignature, TelephonyLine
from prossimo.telephony.selectors import open_duties
from prossimo.telephony.signing import max_skew
from prossimo.territory.models import Organisation

logger = logging.getLogger(__name__)

#: Every line secret starts with this marker, so that a leaked one is easy to recognise.
SECRET_MARKER = "tel_"  # noqa: S105 - a public marker, not a secret

Event = str  # "ringing" | "answered" | "ended"
EVENTS = ("ringing", "answered", "ended")


class ReplayedRequest(Exception):
    """This signed request was already received."""


def new_secret() -> str:
    return SECRET_MARKER + secrets.token_urlsafe(32)


# --- lines ------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def create_line(
    actor: Any, *, name: str, number: str, organisation: Organisation
) -> tuple[TelephonyLine, str]:
    """Register a line of an organisation; return it with its secret, to be shown once.
    Rule: a number belongs to one line."""
    number = normalise_phone(number)
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    if TelephonyLine.objects.filter(number=number).exists():
        raise ValidationError({"number": [_("Another line already has this number.")]})
    secret = new_secret()
    line = TelephonyLine.objects.create(
        name=name, number=number, organisation=organisation, secret=secret
    )
    audit_event(actor, "telephony.line.created", obj=line)
    return line, secret


@transaction.atomic(durable=True)
def rotate_secret(actor: Any, *, line: TelephonyLine) -> str:
    """Give a line a new secret (the old one stops working at once); return it, to be shown
    once."""
    line = TelephonyLine.objects.select_for_update().get(pk=line.pk)
    line.secret = new_secret()
    line.save(update_fields=["secret", "updated_at"])
    audit_event(actor, "telephony.line.secret_rotated", obj=line)
    return line.secret


# --- duty -------------------------------------------------------------------------------


def _casework_organisations(actor: Any) -> Any:
    return Organisation.objects.filter(
        is_active=True,
        memberships__user=actor,
        memberships__is_active=True,
        memberships__role__in=list(CASEWORK_ROLES),
    ).distinct()


@transaction.atomic(durable=True)
def start_duty(actor: Any, *, organisation: Organisation | None = None) -> list[OnDuty]:
    """Put the actor on duty for an organisation's lines, or for every organisation where they
    do casework. Rule: one open duty per user and organisation (starting again is a no-op)."""
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    organisations = _casework_organisations(actor)
    if organisation is not None:
        organisations = organisations.filter(pk=organisation.pk)
    organisations = list(organisations.order_by("pk"))
    if not organisations:
        raise PermissionDenied
    now = timezone.now()
    # A duty left open for too long no longer counts: close it before opening a new one.
    OnDuty.objects.filter(user=actor, ended_at__isnull=True).exclude(
        pk__in=open_duties(actor, now=now).values("pk")
    ).update(ended_at=now)
    already = set(
        OnDuty.objects.filter(user=actor, ended_at__isnull=True).values_list(
            "organisation_id", flat=True
        )
    )
    OnDuty.objects.bulk_create(
        OnDuty(user=actor, organisation=org, started_at=now)
        for org in organisations
        if org.pk not in already
    )
    return list(open_duties(actor, now=now).order_by("organisation__name"))


@transaction.atomic(durable=True)
def end_duty(actor: Any) -> int:
    """End the actor's open duties everywhere; return how many were open."""
    return OnDuty.objects.filter(user=actor, ended_at__isnull=True).update(ended_at=timezone.now())


# --- the PBX's events -------------------------------------------------------------------


def _seconds(start: dt.datetime, end: dt.datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def _apply(call: IncomingCall, event: Event, at: dt.datetime) -> list[str]:
    """Move a call on by one event; return the fields changed (none for a repeated event).

    Events may arrive out of order: an "answered" after the "ended" that made the call missed
    turns it into an ended call with its duration.
    """
    state = IncomingCall.State
    if event == "ringing":
        if at < call.ringing_at:
            call.ringing_at = at
            return ["ringing_at"]
        return []
    if event == "answered":
        if call.state == state.RINGING:
            call.state, call.answered_at = state.ANSWERED, at
            return ["state", "answered_at"]
        if call.state == state.MISSED and call.ended_at is not None and at <= call.ended_at:
            call.state, call.answered_at = state.ENDED, at
            call.duration_seconds = _seconds(at, call.ended_at)
            return ["state", "answered_at", "duration_seconds"]
        return []
    # ended
    if call.state == state.ANSWERED:
        call.state, call.ended_at = state.ENDED, at
        call.duration_seconds = _seconds(call.answered_at or at, at)
        return ["state", "ended_at", "duration_seconds"]
    if call.state == state.RINGING:
        call.state, call.ended_at = state.MISSED, at
        return ["state", "ended_at"]
    return []


def _first_state(event: Event) -> str:
    return {
        "ringing": IncomingCall.State.RINGING,
        "answered": IncomingCall.State.ANSWERED,
        "ended": IncomingCall.State.MISSED,
    }[event]


@transaction.atomic(durable=True)
def receive_event(
    *,
    line: TelephonyLine,
    signature: str,
    signed_at: dt.datetime,
    event: Event,
    call_id: str,
    caller: str = "",
    at: dt.datetime | None = None,
) -> IncomingCall:
    """Apply a PBX's signed event to its call.

    Rules: a signature is accepted once (`ReplayedRequest` otherwise, whichever process got
    it first); events are idempotent per call and kind; "ended" after "answered" gives the
    duration, "ended" without "answered" makes the call missed; a call's first valid caller
    number is kept (E.164; a withheld or invalid one is empty). The contact taken from the
    call gets the call's times. The caller's number is never logged.
    """
    if event not in EVENTS:
        raise ValidationError({"event": [_("Choose one of: ringing, answered, ended.")]})
    now = timezone.now()
    try:
        with transaction.atomic():
            SeenSignature.objects.create(line=line, signature=signature, signed_at=signed_at)
    except IntegrityError:
        logger.warning("Telephony request refused on line %s: replayed signature", line.pk)
        raise ReplayedRequest from None
    # Older signatures would be refused for their timestamp anyway.
    SeenSignature.objects.filter(signed_at__lt=now - max_skew()).delete()

    at = at or now
    try:
        number = normalise_phone(caller) if caller else ""
    except ValidationError:
        number = ""
    call, created = IncomingCall.objects.get_or_create(
        line=line,
        call_id=call_id,
        defaults={
            "caller_number": number,
            "state": _first_state(event),
            "ringing_at": at,
            "answered_at": at if event == "answered" else None,
            "ended_at": at if event == "ended" else None,
        },
    )
    if created:
        changed = ["state"]
    else:
        call = IncomingCall.objects.select_for_update().get(pk=call.pk)
        changed = _apply(call, event, at)
        if number and not call.caller_number:
            call.caller_number = number
            changed.append("caller_number")
        if changed:
            call.save(update_fields=[*changed, "updated_at"])
    logger.info(
        "Telephony event %s on line %s: call %s is %s%s",
        event,
        line.pk,
        call.pk,
        call.state,
        "" if changed else " (repeated event, nothing changed)",
    )
    if changed and call.contact_id is not None:
        record_call_times_on_contact(call=call)
    return call


@transaction.atomic
def record_call_times_on_contact(*, call: IncomingCall) -> Contact | None:
    """The contact taken from a call gets the call's times as the PBX reported them: it
    started when answered, and once the call is over it gets the end and the duration
    (answered → ended; none for a missed call). Also after the contact was logged: the PBX's
    clock is better than a form's.

    The contact's `version` does not change: these are facts, not edits, and the volunteer's
    open call form must not become stale because the caller hung up. (Not durable: it runs
    inside `receive_event` and `take_call`.)
    """
    if call.contact_id is None:
        return None
    contact = Contact.objects.select_for_update().get(pk=call.contact_id)
    changed: list[str] = []

    def put(name: str, value: Any) -> None:
        if value is not None and getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)

    put("started_at", call.answered_at)
    if call.state in (IncomingCall.State.ENDED, IncomingCall.State.MISSED):
        put("ended_at", call.ended_at)
        put("duration_seconds", call.duration_seconds or 0)
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
    return contact


# --- taking a call ----------------------------------------------------------------------


@transaction.atomic(durable=True)
def take_call(actor: Any, *, call: IncomingCall) -> Contact:
    """The actor takes a call from the banner: a draft contact of the call's organisation,
    with the caller's number (never put in a URL), linked to the call.

    Rules: the actor does casework for the line's organisation; a call is taken once — taking
    it again gives the same draft to the same operator, and a colleague is refused.
    """
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    call = (
        IncomingCall.objects.select_for_update(of=("self",)).select_related("line").get(pk=call.pk)
    )
    if not IncomingCall.objects.visible_to(actor).filter(pk=call.pk).exists():
        raise PermissionDenied
    if call.answered_by_id is not None or call.contact_id is not None:
        if call.answered_by_id == actor.pk and call.contact is not None:
            return call.contact
        raise ValidationError(_("A colleague has already taken this call."), code="taken")
    contact = save_draft(
        actor,
        form_data={},
        caller_number=call.caller_number,
        person=None,
        organisation=call.line.organisation,
    )
    call.answered_by = actor
    call.contact = contact
    call.save(update_fields=["answered_by", "contact", "updated_at"])
    audit_event(actor, "telephony.call.taken", obj=call, extra={"contact": str(contact.pk)})
    return record_call_times_on_contact(call=call) or contact
