"""Escalation rules of a programme: alerts to the referring social worker and the coordinators.

Each programme configures, as data, when something noticed during the calls must reach the
people responsible for the person (issue 4, point 6). Three rules, each raising a listening-line
`Alert` for the enrolment's organisation (its coordinators see it on the alerts board) and the
social worker who referred the person (`Enrolment.referred_by`, who sees it through
`Alert.objects.visible_to`):

- **Not reached** (`Programme.escalate_failed_attempts` N, `escalate_failed_within_days` D):
  the enrolment's last N call attempts, by time, all failed (no answer, busy, wrong number) and
  the first of them is at most D days before the last (exactly D days still counts; D = 0: no
  time limit). Any other outcome (answered, refused) breaks the run. One alert at a time: none
  while an unresolved "not reached" alert exists for the person in that organisation; after it
  is resolved, N new failed attempts (made after the resolution) are needed. N = 0: off.
- **Screening** (`ScreeningRule`: `threshold`, `worsening_by` per questionnaire code): a new
  response's score *reaches* the threshold while the previous response's did not (or there was
  none), or it is worse than the previous one by at least `worsening_by`. "Worse" follows the
  questionnaire definition's `scoring.higher_is_worse` (when false, reaching means going down to
  the threshold). When one response does both, one alert is raised, of the threshold kind (the
  more serious), its detail also saying how much the score worsened.
- **Red flag on a planned call** (`Programme.escalate_red_flags`): the listening line already
  alerted the contact's organisation and the person's own social worker; here the enrolment's
  organisation and the referring social worker are added where missing, without duplicating an
  alert anyone already has for that contact and flag.

Receivers run inside the transaction of the write that triggers them (a call attempt), or in
their own (a questionnaire response, signalled once committed); every alert raised is audited
(`programmes.escalation.raised`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from prossimo.core.audit import audit_event
from prossimo.listening.models import Alert, Contact
from prossimo.people.services import lock_person
from prossimo.programmes.models import CallAttempt, Enrolment, ScreeningRule
from prossimo.programmes.signals import call_attempt_recorded

logger = logging.getLogger(__name__)

#: Enrolments whose person is being followed: the rules apply to these.
OPEN_STATES = (
    Enrolment.State.CONTACT_ATTEMPTED,
    Enrolment.State.ACTIVE,
    Enrolment.State.SUSPENDED,
)


def _raise_alert(
    actor: Any,
    enrolment: Enrolment,
    *,
    kind: str,
    detail: str,
    contact: Contact | None = None,
    red_flag: str = "",
    social_worker: Any = None,
    rule: str,
) -> Alert:
    alert = Alert.objects.create(
        organisation_id=enrolment.organisation_id,
        person_id=enrolment.person_id,
        contact=contact,
        kind=kind,
        red_flag=red_flag,
        detail=detail[:300],
        social_worker=social_worker,
        raised_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _audit(actor, alert, enrolment, rule=rule)
    return alert


def _audit(actor: Any, alert: Alert, enrolment: Enrolment, *, rule: str, **extra: Any) -> None:
    audit_event(
        actor,
        "programmes.escalation.raised",
        obj=alert,
        person_id=enrolment.person_id,
        extra={
            "kind": alert.kind,
            "rule": rule,
            "enrolment": str(enrolment.pk),
            "programme": enrolment.programme.code,
            **extra,
        },
    )


# --- not reached ------------------------------------------------------------------------


def check_failed_attempts(actor: Any, attempt: CallAttempt) -> Alert | None:
    """Raise a "not reached" alert if `attempt` completes a run of failed attempts (the rule
    in the module's docstring); the alert, or None."""
    enrolment = attempt.enrolment
    programme = enrolment.programme
    needed = programme.escalate_failed_attempts
    if needed == 0 or attempt.outcome not in CallAttempt.FAILED:
        return None
    if enrolment.state not in OPEN_STATES:
        return None
    # Serialise escalations about one person: the "one unresolved alert" check and the
    # write must not interleave with another attempt recorded at the same moment.
    lock_person(enrolment.person_id)
    same_kind = Alert.objects.filter(
        kind=Alert.Kind.FAILED_ATTEMPTS,
        person_id=enrolment.person_id,
        organisation_id=enrolment.organisation_id,
    )
    if same_kind.unresolved().exists():
        return None
    attempts = CallAttempt.objects.filter(enrolment=enrolment)
    last_resolved = same_kind.filter(resolved_at__isnull=False).order_by("-resolved_at").first()
    if last_resolved is not None and last_resolved.resolved_at is not None:
        # The resolution dealt with the earlier failures: count only the attempts since.
        attempts = attempts.filter(at__gt=last_resolved.resolved_at)
    run = list(attempts.order_by("-at", "-created_at").values_list("pk", "outcome", "at")[:needed])
    if len(run) < needed or attempt.pk not in {pk for pk, _o, _a in run}:
        return None
    if any(outcome not in CallAttempt.FAILED for _pk, outcome, _at in run):
        return None
    days = programme.escalate_failed_within_days
    newest, oldest = run[0][2], run[-1][2]
    if days and newest - oldest > dt.timedelta(days=days):
        return None
    if days:
        detail = ngettext(
            "%(n)d failed call attempt in a row within %(days)d days",
            "%(n)d failed call attempts in a row within %(days)d days",
            needed,
        ) % {"n": needed, "days": days}
    else:
        detail = ngettext(
            "%(n)d failed call attempt in a row",
            "%(n)d failed call attempts in a row",
            needed,
        ) % {"n": needed}
    return _raise_alert(
        actor,
        enrolment,
        kind=Alert.Kind.FAILED_ATTEMPTS,
        detail=detail,
        social_worker=enrolment.referred_by,
        rule="failed_attempts",
    )


# --- red flags --------------------------------------------------------------------------


def route_red_flags(actor: Any, attempt: CallAttempt) -> list[Alert]:
    """Make sure the red flags of the contact logged during a planned call reach the
    enrolment's organisation and the referring social worker; the alerts raised or re-routed.

    For each flag, the alerts the listening line raised for that contact are looked at: if
    one is in the enrolment's organisation and one names the referring social worker, nothing
    is done; if the enrolment's organisation has one naming no social worker, the referring
    social worker is named on it (one alert for the coordinators, not two); otherwise a new
    red-flag alert is raised for whoever is missing.
    """
    enrolment = attempt.enrolment
    if not enrolment.programme.escalate_red_flags or attempt.contact_id is None:
        return []
    contact = Contact.objects.get(pk=attempt.contact_id)
    flags = list(dict.fromkeys(contact.red_flags or []))
    if not flags:
        return []
    # Serialise escalations about one person: the "one unresolved alert" check and the
    # write must not interleave with another attempt recorded at the same moment.
    lock_person(enrolment.person_id)
    social_worker = enrolment.referred_by
    changed: list[Alert] = []
    existing = list(Alert.objects.select_for_update().filter(contact=contact, red_flag__in=flags))
    for flag in flags:
        alerts = [a for a in existing if a.red_flag == flag]
        org_has_it = any(a.organisation_id == enrolment.organisation_id for a in alerts)
        worker_has_it = social_worker is None or any(
            a.social_worker_id == social_worker.pk for a in alerts
        )
        if org_has_it and worker_has_it:
            continue
        if org_has_it:
            unnamed = next(
                (
                    a
                    for a in alerts
                    if a.organisation_id == enrolment.organisation_id and a.social_worker_id is None
                ),
                None,
            )
            if unnamed is not None:
                unnamed.social_worker = social_worker
                unnamed.save(update_fields=["social_worker", "updated_at"])
                _audit(actor, unnamed, enrolment, rule="red_flag", routed_to_existing=True)
                changed.append(unnamed)
                continue
        changed.append(
            _raise_alert(
                actor,
                enrolment,
                kind=Alert.Kind.RED_FLAG,
                red_flag=flag,
                contact=contact,
                detail=_("Raised during a planned call of %(programme)s")
                % {"programme": enrolment.programme.name},
                social_worker=None if worker_has_it else social_worker,
                rule="red_flag",
            )
        )
    return changed


def on_call_attempt_recorded(
    sender: Any, *, attempt: CallAttempt, actor: Any, **kwargs: Any
) -> None:
    """Apply the call rules to a call attempt just recorded, in the same transaction."""
    with transaction.atomic():
        attempt = CallAttempt.objects.select_related(
            "enrolment__programme", "enrolment__referred_by"
        ).get(pk=attempt.pk)
        check_failed_attempts(actor, attempt)
        route_red_flags(actor, attempt)


# --- screening --------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """What the screening rule needs to know of a questionnaire response."""

    person_id: Any
    code: str
    score: Decimal
    higher_is_worse: bool
    title: str
    recorded_by: Any


def _reaches(score: Decimal, threshold: Decimal, higher_is_worse: bool) -> bool:
    return score >= threshold if higher_is_worse else score <= threshold


def _worsening(new: Decimal, old: Decimal, higher_is_worse: bool) -> Decimal:
    """How much worse `new` is than `old` (negative when it improved)."""
    return new - old if higher_is_worse else old - new


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def screening_alert_for(
    rule: ScreeningRule, new: Score, previous: Score | None
) -> tuple[str, str] | None:
    """The kind and detail of the alert one response raises under `rule`, or None."""
    higher = new.higher_is_worse
    crossed = rule.threshold is not None and _reaches(new.score, rule.threshold, higher)
    if crossed and previous is not None and rule.threshold is not None:
        crossed = not _reaches(previous.score, rule.threshold, higher)
    worsened_by = (
        _worsening(new.score, previous.score, higher) if previous is not None else Decimal(0)
    )
    worsened = (
        rule.worsening_by is not None
        and previous is not None
        and (worsened_by >= rule.worsening_by and worsened_by > 0)
    )
    values = {
        "title": new.title,
        "score": _number(new.score),
        "threshold": _number(rule.threshold) if rule.threshold is not None else "",
        "previous": _number(previous.score) if previous is not None else "",
        "by": _number(abs(worsened_by)),
    }
    if crossed and worsened:
        return Alert.Kind.SCREENING_THRESHOLD, _(
            "%(title)s: score %(score)s reached the threshold %(threshold)s "
            "(it was %(previous)s, worse by %(by)s)"
        ) % values
    if crossed:
        if previous is None:
            return Alert.Kind.SCREENING_THRESHOLD, _(
                "%(title)s: score %(score)s reached the threshold %(threshold)s"
            ) % values
        return Alert.Kind.SCREENING_THRESHOLD, _(
            "%(title)s: score %(score)s reached the threshold %(threshold)s (it was %(previous)s)"
        ) % values
    if worsened:
        return Alert.Kind.SCREENING_WORSENED, _(
            "%(title)s: score %(score)s, worse by %(by)s than the previous %(previous)s"
        ) % values
    return None


def check_screening(actor: Any, new: Score, previous: Score | None) -> list[Alert]:
    """Apply the screening rules of the programmes following the person to a new score."""
    enrolments = (
        Enrolment.objects.filter(person_id=new.person_id, state__in=OPEN_STATES)
        .filter(programme__screening_rules__questionnaire_code=new.code)
        .select_related("programme", "referred_by")
        .order_by("referred_at", "pk")
        .distinct()
    )
    rules = {
        r.programme_id: r
        for r in ScreeningRule.objects.filter(
            questionnaire_code=new.code,
            programme__in={e.programme_id for e in enrolments},
        )
    }
    raised: list[Alert] = []
    seen: set[tuple[Any, Any, str]] = set()
    for enrolment in enrolments:
        found = screening_alert_for(rules[enrolment.programme_id], new, previous)
        if found is None:
            continue
        kind, detail = found
        # Two programmes of one organisation with the same rule: one alert is enough.
        key = (enrolment.organisation_id, enrolment.referred_by_id, kind)
        if key in seen:
            continue
        seen.add(key)
        raised.append(
            _raise_alert(
                actor,
                enrolment,
                kind=kind,
                detail=detail,
                social_worker=enrolment.referred_by,
                rule=kind,
            )
        )
    return raised


# --- wiring -----------------------------------------------------------------------------


def connect() -> None:
    """Connect the receivers (called from `ProgrammesConfig.ready`). The questionnaire rule is
    connected only when the questionnaires app is installed."""
    call_attempt_recorded.connect(
        on_call_attempt_recorded, dispatch_uid="programmes.escalation.call_attempt"
    )
    if not apps.is_installed("prossimo.questionnaires"):
        return
    try:
        from prossimo.questionnaires.signals import response_recorded
    except ImportError:  # pragma: no cover - the app without its signal yet
        logger.warning("questionnaires installed without response_recorded: no screening rule")
        return
    response_recorded.connect(on_response_recorded, dispatch_uid="programmes.escalation.screening")


def _score_of(response: Any) -> Score:
    """A questionnaires `Response` as the screening rule reads it."""
    from prossimo.questionnaires import scoring

    questionnaire = response.questionnaire
    return Score(
        person_id=response.person_id,
        code=questionnaire.code,
        score=Decimal(response.score),
        higher_is_worse=scoring.higher_is_worse(questionnaire.definition),
        title=questionnaire.title_in(translation.get_language() or "it") or questionnaire.code,
        recorded_by=response.recorded_by,
    )


def on_response_recorded(
    sender: Any, *, response: Any, previous: Any = None, **kwargs: Any
) -> None:
    """Apply the screening rules to a questionnaire response just committed: the alerts are
    written in their own transaction (the response is saved whatever happens here)."""
    new = _score_of(response)
    old = _score_of(previous) if previous is not None else None
    with transaction.atomic():
        check_screening(new.recorded_by, new, old)
