"""Writes of the programmes app: referrals in and the taking-in-charge state machine.

Every function takes the acting user first, checks permission and scope, runs in one
transaction and leaves an audit trail. An enrolment carries a `version`: a change made from a
stale copy is refused with `ConcurrentEdit`. State changes follow `ALLOWED_TRANSITIONS`; each
is recorded in `EnrolmentTransition` (who, when, why). Call plans, planned calls and attempts
are written by `prossimo.programmes.calls`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, Role, permissions_of, user_can
from prossimo.listening.services import ConcurrentEdit
from prossimo.people.models import Person
from prossimo.people.selectors import access_person
from prossimo.people.services import PersonInput, lock_person_then, register_person
from prossimo.programmes.models import (
    ALLOWED_TRANSITIONS,
    CallPlan,
    Enrolment,
    EnrolmentTransition,
    PlannedCall,
    Programme,
)
from prossimo.territory.models import Membership, Organisation


@dataclass
class ReferralInput:
    """What a social worker says when referring a person (form, spreadsheet row or API)."""

    reason: str
    fragility_notes: str = ""
    preferred_contact_times: str = ""
    consent: str = Enrolment.Consent.TO_ASK


def clean_referral_input(data: ReferralInput) -> ReferralInput:
    """Trim and validate a referral's own fields; raise ValidationError({field: [messages]})."""
    errors: dict[str, list[str]] = {}
    reason = (data.reason or "").strip()
    if not reason:
        errors.setdefault("reason", []).append(_("Say why the person is referred."))
    if data.consent not in Enrolment.Consent.values:
        errors.setdefault("consent", []).append(_("Choose a valid value."))
    times = (data.preferred_contact_times or "").strip()
    if len(times) > 200:
        errors.setdefault("preferred_contact_times", []).append(
            _("Keep the preferred contact times under 200 characters.")
        )
    if errors:
        raise ValidationError(errors)
    return ReferralInput(
        reason=reason,
        fragility_notes=(data.fragility_notes or "").strip(),
        preferred_contact_times=times,
        consent=data.consent,
    )


def organisation_in_charge(programme: Programme, person: Person) -> Organisation | None:
    """The organisation running `programme` that serves the person's municipality (directly or
    through an ambito); the first by name when several do, None when none does."""
    if person.municipality_id is None:
        return None
    from django.db.models import Q

    return (
        programme.organisations.filter(is_active=True)
        .filter(
            Q(municipalities=person.municipality_id)
            | Q(ambiti__municipalities=person.municipality_id)
        )
        .order_by("name")
        .first()
    )


def _referring_organisation(actor: Any) -> Organisation | None:
    """The organisation the actor refers from: their social-worker membership, else any."""
    memberships = Membership.objects.filter(user=actor).select_related("organisation")
    chosen = None
    for membership in memberships.order_by("organisation__name"):
        if membership.role == Role.SOCIAL_WORKER:
            return membership.organisation
        chosen = chosen or membership.organisation
    return chosen


def _record_transition(
    actor: Any,
    enrolment: Enrolment,
    from_state: str,
    *,
    at: dt.datetime,
    reason: str = "",
    note: str = "",
    resume_on: dt.date | None = None,
) -> EnrolmentTransition:
    return EnrolmentTransition.objects.create(
        enrolment=enrolment,
        from_state=from_state,
        to_state=enrolment.state,
        at=at,
        by=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        note=note,
        resume_on=resume_on,
    )


@transaction.atomic
def refer_person(
    actor: Any,
    *,
    programme: Programme,
    referral: ReferralInput,
    person: Person | None = None,
    new_person: PersonInput | None = None,
    confirm_not_duplicate: bool = False,
) -> Enrolment:
    """Refer a person (existing, or new and registered here) to a programme.

    Rules: the actor needs `programmes.refer`; an existing person must be visible to them; a
    new one is registered with the registry's rules (`LikelyDuplicate` unless confirmed); the
    programme must be active and run, by one of its organisations, where the person lives;
    a person has at most one open enrolment per programme.
    """
    if not user_can(actor, Perm.PROGRAMMES_REFER):
        raise PermissionDenied
    if (person is None) == (new_person is None):
        raise ValueError("give either person or new_person")
    referral = clean_referral_input(referral)
    if not programme.is_active:
        raise ValidationError({"programme": [_("This programme is not taking referrals.")]})
    if person is not None:
        person = access_person(actor, person.pk)
    else:
        person = register_person(
            actor,
            data=new_person,  # type: ignore[arg-type]  # checked above: exactly one is given
            confirm_not_duplicate=confirm_not_duplicate,
        )
    if Enrolment.objects.open().filter(person=person, programme=programme).exists():
        raise ValidationError(
            {"person": [_("This person is already referred to or in charge of this programme.")]}
        )
    organisation = organisation_in_charge(programme, person)
    if organisation is None:
        raise ValidationError(
            {
                "person": [
                    _("No organisation of this programme serves %(municipality)s.")
                    % {"municipality": person.municipality.name if person.municipality else "—"}
                ]
            }
        )
    now = timezone.now()
    consent_at = now if referral.consent == Enrolment.Consent.GIVEN else None
    enrolment = Enrolment.objects.create(
        programme=programme,
        person=person,
        organisation=organisation,
        referred_by=actor,
        referring_organisation=_referring_organisation(actor),
        referred_at=now,
        reason=referral.reason,
        fragility_notes=referral.fragility_notes,
        preferred_contact_times=referral.preferred_contact_times,
        consent=referral.consent,
        consent_recorded_at=consent_at,
        state=Enrolment.State.REFERRED,
        state_changed_at=now,
    )
    _record_transition(actor, enrolment, "", at=now)
    audit_event(actor, "programmes.enrolment.referred", obj=enrolment, person_id=person.pk)
    return enrolment


def _ensure_manages(actor: Any, enrolment: Enrolment) -> None:
    """The actor coordinates the organisation in charge (or is an administrator)."""
    from prossimo.programmes.selectors import may_manage_enrolment

    if Perm.PROGRAMMES_MANAGE not in permissions_of(actor):
        raise PermissionDenied
    if not may_manage_enrolment(actor, enrolment):
        raise PermissionDenied


def _check_version(enrolment: Enrolment, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != enrolment.version:
        raise ConcurrentEdit()


def _locked(enrolment: Enrolment) -> Enrolment:
    """The enrolment, locked after its person (the lock order of `people.services.lock_person`)."""
    return lock_person_then(
        # Not the programme's row: every move in a programme would queue behind it.
        Enrolment.objects.select_for_update(of=("self",)).select_related("programme"),
        pk=enrolment.pk,
        person_id=enrolment.person_id,
    )


@transaction.atomic
def record_consent(
    actor: Any, *, enrolment: Enrolment, consent: str, expected_version: int | None = None
) -> Enrolment:
    """Record whether the person consents to be in charge (asked at the first contact)."""
    _ensure_manages(actor, enrolment)
    enrolment = _locked(enrolment)
    _check_version(enrolment, expected_version)
    if consent not in Enrolment.Consent.values:
        raise ValidationError({"consent": [_("Choose a valid value.")]})
    previous = enrolment.consent
    enrolment.consent = consent
    enrolment.consent_recorded_at = timezone.now()
    enrolment.version += 1
    enrolment.save(update_fields=["consent", "consent_recorded_at", "version", "updated_at"])
    audit_event(
        actor,
        "programmes.enrolment.consent_recorded",
        obj=enrolment,
        person_id=enrolment.person_id,
        changes={"consent": [previous, consent]},
    )
    return enrolment


def transition_error(enrolment: Enrolment, to_state: str) -> str | None:
    """Why the enrolment cannot move to `to_state` now, or None if it can."""
    if to_state not in Enrolment.State.values:
        return _("Unknown state.")
    if to_state not in ALLOWED_TRANSITIONS[enrolment.state]:
        return _("An enrolment in state “%(from)s” cannot move to “%(to)s”.") % {
            "from": enrolment.get_state_display(),
            "to": Enrolment.State(to_state).label,
        }
    if to_state == Enrolment.State.ACTIVE and enrolment.consent != Enrolment.Consent.GIVEN:
        return _("Record the person's consent before taking them in charge.")
    return None


@transaction.atomic
def change_state(
    actor: Any,
    *,
    enrolment: Enrolment,
    to_state: str,
    expected_version: int | None = None,
    reason: str = "",
    note: str = "",
    resume_on: dt.date | None = None,
) -> Enrolment:
    """Move an enrolment along the state machine, recording who, when and why.

    Rules: only the coordinators of the organisation in charge (or administrators); only the
    moves of `ALLOWED_TRANSITIONS`; becoming active needs the person's consent; suspending
    needs a resume date after today; closing needs a reason. Suspending or closing cancels
    the planned calls not yet made (from today on, or up to the resume date); closing also
    stops the call plan.
    """
    _ensure_manages(actor, enrolment)
    enrolment = _locked(enrolment)
    _check_version(enrolment, expected_version)
    problem = transition_error(enrolment, to_state)
    if problem:
        raise ValidationError({"to_state": [problem]})
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if to_state == Enrolment.State.SUSPENDED:
        if resume_on is None:
            errors["resume_on"] = [_("Say when the calls should resume.")]
        elif resume_on <= today:
            errors["resume_on"] = [_("The resume date must be after today.")]
    if to_state == Enrolment.State.CLOSED:
        if reason not in Enrolment.CloseReason.values:
            errors["reason"] = [_("Choose why the enrolment is closed.")]
    elif reason:
        errors["reason"] = [_("A reason is given only when closing.")]
    if errors:
        raise ValidationError(errors)
    from_state = enrolment.state
    now = timezone.now()
    enrolment.state = to_state
    enrolment.state_changed_at = now
    enrolment.suspended_until = resume_on if to_state == Enrolment.State.SUSPENDED else None
    enrolment.closed_reason = reason if to_state == Enrolment.State.CLOSED else ""
    if to_state == Enrolment.State.ACTIVE and enrolment.coordinator_id is None:
        enrolment.coordinator = actor
    enrolment.version += 1
    enrolment.save(
        update_fields=[
            "state",
            "state_changed_at",
            "suspended_until",
            "closed_reason",
            "coordinator",
            "version",
            "updated_at",
        ]
    )
    _record_transition(
        actor,
        enrolment,
        from_state,
        at=now,
        reason=reason,
        note=(note or "").strip(),
        resume_on=resume_on,
    )
    _cancel_calls_for(enrolment, to_state, today=today, resume_on=resume_on)
    audit_event(
        actor,
        "programmes.enrolment.state_changed",
        obj=enrolment,
        person_id=enrolment.person_id,
        changes={"state": [from_state, to_state]},
    )
    return enrolment


def _cancel_calls_for(
    enrolment: Enrolment, to_state: str, *, today: dt.date, resume_on: dt.date | None
) -> None:
    due = PlannedCall.objects.filter(
        enrolment=enrolment, status=PlannedCall.Status.DUE, due_on__gte=today
    )
    if to_state == Enrolment.State.SUSPENDED and resume_on is not None:
        due = due.filter(due_on__lt=resume_on)
    elif to_state != Enrolment.State.CLOSED:
        return
    due.update(status=PlannedCall.Status.CANCELLED, version=F("version") + 1)
    if to_state == Enrolment.State.CLOSED:
        CallPlan.objects.filter(enrolment=enrolment).update(is_active=False)


def resume_suspended(*, today: dt.date | None = None) -> int:
    """Reactivate the enrolments whose resume date has come (run daily); how many resumed.

    Each resumes in its own transaction, recorded as a change made by the system.
    """
    today = today or timezone.localdate()
    ids = list(
        Enrolment.objects.filter(
            state=Enrolment.State.SUSPENDED, suspended_until__lte=today
        ).values_list("pk", "person_id")
    )
    for pk, person_id in ids:
        with transaction.atomic():
            enrolment = lock_person_then(
                Enrolment.objects.select_for_update(), pk=pk, person_id=person_id
            )
            if enrolment.state != Enrolment.State.SUSPENDED:
                continue
            now = timezone.now()
            enrolment.state = Enrolment.State.ACTIVE
            enrolment.state_changed_at = now
            enrolment.suspended_until = None
            enrolment.version += 1
            enrolment.save(
                update_fields=[
                    "state",
                    "state_changed_at",
                    "suspended_until",
                    "version",
                    "updated_at",
                ]
            )
            EnrolmentTransition.objects.create(
                enrolment=enrolment,
                from_state=Enrolment.State.SUSPENDED,
                to_state=Enrolment.State.ACTIVE,
                at=now,
                note=_("Resumed on the planned date."),
            )
            audit_event(
                None,
                "programmes.enrolment.resumed",
                obj=enrolment,
                person_id=enrolment.person_id,
            )
    return len(ids)
