"""Writes of the referrals app: sending a need to a service, moving a referral along its states.

Every function takes the acting user first, checks permission and scope, runs in one
transaction and leaves an audit trail (django-auditlog records the rows; `audit_event` the
domain events). A referral carries a `version`: a change made from a stale copy is refused with
`ConcurrentEdit`. The pages, the API, FHIR partners and the background job call these same
functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, user_can
from prossimo.core.phones import normalise_phone
from prossimo.directory.models import Service
from prossimo.listening.models import Alert, Contact, Need
from prossimo.listening.services import ConcurrentEdit
from prossimo.people.services import lock_person_then
from prossimo.referrals import selectors
from prossimo.referrals.models import (
    ALLOWED_TRANSITIONS,
    Referral,
    ReferralDestination,
    ReferralTransition,
    ServiceInformation,
)
from prossimo.territory.models import Organisation

S = Referral.State
Via = ReferralTransition.Via
REASON_MAX = 500
SUMMARY_MAX = 4000


def destination_of(service: Service) -> ReferralDestination | None:
    """Where referrals to `service` go (its organization's active destination), or None."""
    return (
        ReferralDestination.objects.filter(
            directory_organization_id=service.organization_id, is_active=True
        )
        .select_related("organisation")
        .first()
    )


def _sending_organisation(actor: Any, need: Need) -> Organisation:
    """The organisation the actor sends for: the need's owner or the organisation that logged
    it when the actor works there, else the first of the actor's sending organisations."""
    ids = selectors.send_organisation_ids(actor)
    if not ids:
        raise PermissionDenied
    for candidate in (need.owner_organisation_id, need.contact.organisation_id):
        if candidate in ids:
            return Organisation.objects.get(pk=candidate)
    return Organisation.objects.filter(pk__in=ids).order_by("pk").first()  # type: ignore[return-value]


def _record(
    actor: Any, referral: Referral, from_state: str, *, at: dt.datetime, reason: str, via: str
) -> ReferralTransition:
    return ReferralTransition.objects.create(
        referral=referral,
        from_state=from_state,
        to_state=referral.state,
        at=at,
        by=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        via=via,
    )


@transaction.atomic
def send_referral(
    actor: Any,
    *,
    need: Need,
    service: Service,
    summary: str = "",
    consent_to_share: bool,
    contact_phone: str,
    via: str = Via.UI,
) -> Referral:
    """Send a person's need to a service of the directory.

    Rules: the actor holds `referrals.send` in one of their organisations and may see the need
    (else 403); the need is about a registered person and still open; the service is active;
    the contact phone is one of the person's numbers; a summary is shared only with the
    person's consent to share (given to the actor, on the phone is fine: the actor and the
    time are recorded); one open referral per need and service. The receiving organisation
    is the service organization's destination in Prossimo, if any. An open need becomes
    "in progress", owned by the actor (who follows the referral).
    """
    if not user_can(actor, Perm.REFERRALS_SEND):
        raise PermissionDenied
    if not Need.objects.visible_to(actor).filter(pk=need.pk).exists():
        raise PermissionDenied
    # The person first, then the need (the lock order of `people.services.lock_person`).
    need = lock_person_then(
        Need.objects.select_for_update(of=("self",)).select_related("contact", "person"),
        pk=need.pk,
        person_id=need.person_id,
    )
    organisation = _sending_organisation(actor, need)
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    summary = (summary or "").strip()
    if need.person is None:
        err("need", _("Link the need to a registered person before referring it."))
    if need.is_closed:
        err("need", _("This need is already closed."))
    if service.status != Service.Status.ACTIVE:
        err("service", _("This service is not active."))
    if summary and not consent_to_share:
        err(
            "summary",
            _(
                "Without the person's consent to share, only the need and the contact phone are "
                "sent: tick the consent or leave the summary empty."
            ),
        )
    if len(summary) > SUMMARY_MAX:
        err("summary", _("Keep the summary under %(n)d characters.") % {"n": SUMMARY_MAX})
    phone = ""
    if not (contact_phone or "").strip():
        err("contact_phone", _("Choose a phone number the person agreed to give."))
    else:
        try:
            phone = normalise_phone(contact_phone)
        except ValidationError as exc:
            err("contact_phone", exc.messages[0])
        else:
            if need.person is not None and not need.person.phones.filter(number=phone).exists():
                err("contact_phone", _("Choose one of the person's phone numbers."))
    if not errors and Referral.objects.open().filter(need=need, service_id=service.pk).exists():
        err("service", _("This need was already sent to this service."))
    if errors or need.person is None:
        raise ValidationError(errors)

    destination = destination_of(service)
    now = timezone.now()
    referral = Referral.objects.create(
        need=need,
        person=need.person,
        service=service,
        receiving_organisation=destination.organisation if destination else None,
        sending_organisation=organisation,
        sender=actor,
        state=S.REQUESTED,
        shared_summary=summary if consent_to_share else "",
        share_consent=consent_to_share,
        share_consent_by=actor if consent_to_share else None,
        share_consent_at=now if consent_to_share else None,
        contact_phone=phone,
        requested_at=now,
        state_changed_at=now,
    )
    _record(actor, referral, "", at=now, reason="", via=via)
    if need.status == Need.Status.OPEN:
        need.status = Need.Status.IN_PROGRESS
        if need.owner_id is None:
            need.owner = actor
        need.version += 1
        need.save(update_fields=["status", "owner", "version", "updated_at"])
    audit_event(
        actor,
        "referrals.referral.sent",
        obj=referral,
        person_id=referral.person_id,
        extra={"service": str(service.pk), "consent_to_share": consent_to_share, "via": via},
    )
    return referral


@transaction.atomic
def record_information_given(
    actor: Any, *, need: Need, service: Service, contact: Contact | None = None
) -> ServiceInformation:
    """Record that the caller was told about a service meeting their need ("information
    given": they contact it themselves, nothing is sent to it).

    Rules: the actor may log contacts (`listening.log`) and see the need (else 403); the
    service is active; once per need and service (telling again keeps the first record). An
    anonymous caller's need counts too: no personal data is involved.
    """
    if not user_can(actor, Perm.LISTENING_LOG):
        raise PermissionDenied
    if not Need.objects.visible_to(actor).filter(pk=need.pk).exists():
        raise PermissionDenied
    if service.status != Service.Status.ACTIVE:
        raise ValidationError({"service": [_("This service is not active.")]})
    existing = ServiceInformation.objects.filter(need=need, service=service).first()
    if existing is not None:
        return existing
    information = ServiceInformation.objects.create(
        need=need, service=service, contact=contact, given_by=actor, given_at=timezone.now()
    )
    audit_event(
        actor,
        "referrals.information.given",
        obj=information,
        person_id=need.person_id,
        extra={"need": str(need.pk), "service": str(service.pk)},
    )
    return information


def transition_error(referral: Referral, to_state: str) -> str | None:
    """Why the referral cannot move to `to_state` now, or None if it can."""
    if to_state not in S.values:
        return _("Unknown state.")
    if to_state not in ALLOWED_TRANSITIONS[referral.state]:
        return _("A referral in state “%(from)s” cannot move to “%(to)s”.") % {
            "from": referral.get_state_display(),
            "to": S(to_state).label,
        }
    return None


@transaction.atomic
def change_referral_state(
    actor: Any,
    *,
    referral: Referral,
    to_state: str,
    reason: str = "",
    version: int | None = None,
    via: str = Via.UI,
) -> Referral:
    """Move a referral along `ALLOWED_TRANSITIONS`, recording who, when, why and through what.

    Rules: cancelling is the sending side's (members of the sending organisation with
    `referrals.send`, or the sender); every other move is the receiving side's (members of
    the receiving organisation with `referrals.receive`, or its partner system's account).
    For a referral nobody receives in Prossimo (`selectors.followed_up_by_phone`) the sending
    side records the receiving side's moves as the service told them, `via="phone"`, with a
    note saying who at the service told them; nobody else moves through `phone`.
    Declining, cancelling, failing and putting on hold need a reason; a stale `version` is
    refused. Leaving "requested" records when the referral was received.
    """
    if to_state not in S.values:
        raise ValidationError({"to_state": [_("Unknown state.")]})
    if not selectors.may_move(actor, referral, to_state, via=via):
        raise PermissionDenied
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if version is not None and version != referral.version:
        raise ConcurrentEdit()
    problem = transition_error(referral, to_state)
    if problem:
        raise ValidationError({"to_state": [problem]})
    reason = (reason or "").strip()
    if via == Via.PHONE and not reason:
        raise ValidationError({"reason": [_("Say who at the service told you (name or role).")]})
    if to_state in Referral.NEED_REASON and not reason:
        raise ValidationError({"reason": [_("Say why.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": [_("Keep the reason under %(n)d characters.") % {"n": REASON_MAX}]}
        )
    from_state = referral.state
    now = timezone.now()
    referral.state = to_state
    referral.reason = reason
    referral.state_changed_at = now
    if from_state == S.REQUESTED and to_state != S.CANCELLED:
        referral.received_at = now
    referral.version += 1
    referral.save(
        update_fields=[
            "state",
            "reason",
            "state_changed_at",
            "received_at",
            "version",
            "updated_at",
        ]
    )
    _record(actor, referral, from_state, at=now, reason=reason, via=via)
    audit_event(
        actor,
        "referrals.referral.state_changed",
        obj=referral,
        person_id=referral.person_id,
        changes={"state": [from_state, to_state]},
        extra={"via": via},
    )
    return referral


def mark_received(actor: Any, *, referral: Referral, via: str = Via.UI) -> Referral:
    """The receiving side opened a referral still "requested": it is now "received" (the
    sender sees it arrived). Nothing happens for anyone else, or in any other state."""
    if referral.state != S.REQUESTED or not selectors.may_move(actor, referral, S.RECEIVED):
        return referral
    try:
        return change_referral_state(actor, referral=referral, to_state=S.RECEIVED, via=via)
    except (ValidationError, ConcurrentEdit):
        # Someone else moved it meanwhile: their move stands.
        return Referral.objects.get(pk=referral.pk)


def receipt_deadline(now: dt.datetime | None = None) -> dt.datetime:
    """Referrals sent before this moment and still "requested" are overdue."""
    hours = settings.PROSSIMO_REFERRAL_RECEIPT_HOURS
    return (now or timezone.now()) - dt.timedelta(hours=hours)


def alert_unreceived(*, now: dt.datetime | None = None) -> int:
    """Raise a listening-line alert to the sending organisation for every referral still
    "requested" `PROSSIMO_REFERRAL_RECEIPT_HOURS` after it was sent, once per referral; how
    many alerts were raised. Each in its own transaction, attributed to nobody (the system)."""
    now = now or timezone.now()
    late = list(
        Referral.objects.filter(
            state=S.REQUESTED, requested_at__lte=receipt_deadline(now), receipt_alert__isnull=True
        ).values_list("pk", "person_id")
    )
    raised = 0
    for pk, person_id in late:
        with transaction.atomic():
            referral = lock_person_then(
                Referral.objects.select_for_update(of=("self",)).select_related("service"),
                pk=pk,
                person_id=person_id,
            )
            if referral.state != S.REQUESTED or referral.receipt_alert_id is not None:
                continue
            hours = settings.PROSSIMO_REFERRAL_RECEIPT_HOURS
            detail = _("Sent to “%(service)s” on %(date)s, not received after %(hours)d hours.") % {
                "service": referral.service.name[:150],
                "date": timezone.localtime(referral.requested_at).strftime("%d/%m/%Y %H:%M"),
                "hours": hours,
            }
            alert = Alert.objects.create(
                organisation_id=referral.sending_organisation_id,
                person_id=referral.person_id,
                kind=Alert.Kind.REFERRAL_NOT_RECEIVED,
                detail=detail[:300],
            )
            referral.receipt_alert = alert
            referral.save(update_fields=["receipt_alert", "updated_at"])
            audit_event(
                None,
                "referrals.referral.not_received",
                obj=referral,
                person_id=referral.person_id,
                extra={"alert": str(alert.pk)},
            )
            raised += 1
    return raised
