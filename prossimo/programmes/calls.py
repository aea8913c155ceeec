"""Writes of the social telephone service: call plans, absences, the day's calls, attempts.

Rules, in one place:
- A *call plan* exists for people in charge (enrolment active, or suspended: the plan waits
  for the resume date); it is set by the coordinators of the organisation in charge. The
  volunteer and the backup are two different active members of that organisation with a
  calling role (`programmes.call`).
- `generate_due_calls(day)` turns the plans due that day into `PlannedCall` rows, set-based
  and idempotent (one call per plan and day, enforced by the database). Only active
  enrolments with an active plan started on or before `day` get a call. When the volunteer is
  absent that day the call goes to the backup (`by_backup`); with no backup, or a backup
  absent too, the call stays with the volunteer and is listed among the *uncovered calls* on
  the coordinators' absences page, for them to reassign (`uncovered_calls`).
- *Carry-over*: a call not made on its day stays in the assignee's worklist, flagged overdue,
  until it is done, given up after the retries, or the plan's next call is generated: then the
  old one is closed as not reached (its `attempts` tell whether anyone tried).
- *Attempts*: answered or refused closes the call (done); no answer, busy or wrong number is
  retried after the programme's `retry_after_minutes`, and after `attempts_per_call` failures
  the call is not reached. Every attempt sends `signals.call_attempt_recorded` inside the
  transaction (escalation rules listen to it).

Every function taking an actor checks permission and scope, runs in one transaction, leaves
an audit trail and refuses changes made from a stale copy (`ConcurrentEdit`). They use
`transaction.atomic` without `durable`, so that `log_planned_call` can run the listening
line's `log_contact` and `record_attempt` in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prossimo.core.audit import audit_event
from prossimo.core.permissions import ROLE_PERMISSIONS, Perm, Role, permissions_of
from prossimo.listening.models import Contact
from prossimo.listening.services import (
    ConcurrentEdit,
    ContactInput,
    FollowUpInput,
    NeedInput,
    log_contact,
)
from prossimo.people.services import lock_person_then
from prossimo.programmes.models import (
    Absence,
    CallAttempt,
    CallPlan,
    Enrolment,
    PlannedCall,
    Programme,
    Rhythm,
    Weekday,
    weekday_mask,
)
from prossimo.programmes.signals import call_attempt_recorded
from prossimo.territory.models import Membership

logger = logging.getLogger(__name__)

#: Roles that make calls: those holding `programmes.call`.
CALLING_ROLES: frozenset[str] = frozenset(
    role for role, codes in ROLE_PERMISSIONS.items() if Perm.PROGRAMMES_CALL in codes
)
#: Roles that manage an organisation's programmes (plans, absences).
MANAGING_ROLES: frozenset[str] = frozenset({Role.COORDINATOR, Role.ADMINISTRATOR})
#: Enrolment states in which a person may have a call plan (in charge).
PLANNABLE_STATES: frozenset[str] = frozenset({Enrolment.State.ACTIVE, Enrolment.State.SUSPENDED})
PRIORITY_CHOICES = [
    (1, gettext_lazy("High")),
    (2, gettext_lazy("Normal")),
    (3, gettext_lazy("Low")),
]
MAX_INTERVAL_DAYS = 365

Outcome = CallAttempt.Outcome
Status = PlannedCall.Status


# --- scope --------------------------------------------------------------------------------


def managed_organisation_ids(actor: Any) -> set[int] | None:
    """Organisations whose programmes the actor manages; None means every one (administrators
    of all territories). No query once the actor's roles are known."""
    from prossimo.territory.selectors import organisation_ids_with_roles

    codes = permissions_of(actor)
    if Perm.PROGRAMMES_MANAGE not in codes:
        return set()
    if Perm.PEOPLE_ALL_TERRITORIES in codes:
        return None
    return set(organisation_ids_with_roles(actor, MANAGING_ROLES))


def manages_organisation(actor: Any, organisation_id: int) -> bool:
    managed = managed_organisation_ids(actor)
    return managed is None or organisation_id in managed


def _ensure_manages(actor: Any, organisation_id: int) -> None:
    """The actor coordinates the organisation (or administers every territory)."""
    if Perm.PROGRAMMES_MANAGE not in permissions_of(actor):
        raise PermissionDenied
    if not manages_organisation(actor, organisation_id):
        raise PermissionDenied


def may_work_call(actor: Any, call: PlannedCall) -> bool:
    """Whether the actor may record attempts on the call: its assignee, or a coordinator of
    the organisation in charge."""
    if Perm.PROGRAMMES_CALL not in permissions_of(actor):
        return False
    return call.assignee_id == actor.pk or manages_organisation(actor, call.organisation_id)


def _calling_members(organisation_id: int, user_ids: Iterable[Any]) -> set[Any]:
    """Which of `user_ids` are active members of the organisation with a calling role."""
    return set(
        Membership.objects.filter(
            organisation_id=organisation_id,
            organisation__is_active=True,
            is_active=True,
            role__in=CALLING_ROLES,
            user__is_active=True,
            user_id__in=[pk for pk in user_ids if pk is not None],
        ).values_list("user_id", flat=True)
    )


def _absent_on(user_ids: Iterable[Any], day: dt.date) -> set[Any]:
    ids = [pk for pk in user_ids if pk is not None]
    if not ids:
        return set()
    return set(
        Absence.objects.filter(user_id__in=ids, starts_on__lte=day, ends_on__gte=day).values_list(
            "user_id", flat=True
        )
    )


def assignee_for(
    volunteer_id: Any, backup_id: Any, absent_ids: set[Any] | frozenset[Any]
) -> tuple[Any, bool]:
    """Who makes a call, and whether as the backup: the volunteer, unless they are absent and
    the backup is not (with no backup available the call stays with the volunteer)."""
    if volunteer_id in absent_ids and backup_id is not None and backup_id not in absent_ids:
        return backup_id, True
    return volunteer_id, False


# --- call plans ---------------------------------------------------------------------------


def _clean_plan(
    *,
    enrolment: Enrolment,
    rhythm: str,
    weekdays: Sequence[int],
    interval_days: int | None,
    starts_on: dt.date | None,
    window_start: dt.time | None,
    window_end: dt.time | None,
    volunteer: Any,
    backup: Any,
    priority: int,
    current: CallPlan | None,
    today: dt.date,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if enrolment.state not in PLANNABLE_STATES:
        err(
            "enrolment",
            _("Calls are planned only for people in charge (active or suspended enrolments)."),
        )
    if rhythm not in Rhythm.values:
        err("rhythm", _("Choose how often to call."))
    elif rhythm == Rhythm.WEEKLY:
        if not weekdays:
            err("weekdays", _("Choose at least one day of the week."))
        elif any(day not in Weekday.values for day in weekdays):
            err("weekdays", _("Choose a valid value."))
    elif rhythm == Rhythm.EVERY_N_DAYS:
        if interval_days is None:
            err("interval_days", _("Say every how many days to call."))
        elif not 1 <= interval_days <= MAX_INTERVAL_DAYS:
            err(
                "interval_days",
                _("Give a number of days between 1 and %(max)d.") % {"max": MAX_INTERVAL_DAYS},
            )
    if starts_on is None:
        err("starts_on", _("Give the date of the first call."))
    elif starts_on < today and (current is None or current.starts_on != starts_on):
        err("starts_on", _("The first call cannot be in the past."))
    if window_start is None:
        err("window_start", _("Give the start of the time window."))
    if window_end is None:
        err("window_end", _("Give the end of the time window."))
    elif window_start is not None and window_end <= window_start:
        err("window_end", _("The end of the time window must be after its start."))
    if priority not in dict(PRIORITY_CHOICES):
        err("priority", _("Choose a valid value."))
    if volunteer is None:
        err("volunteer", _("Choose who makes the calls."))
    if backup is not None and volunteer is not None and backup.pk == volunteer.pk:
        err("backup", _("The backup must be someone other than the volunteer."))
    people = [u.pk for u in (volunteer, backup) if u is not None]
    members = _calling_members(enrolment.organisation_id, people) if people else set()
    if volunteer is not None and volunteer.pk not in members:
        err(
            "volunteer",
            _("Choose an active member of %(organisation)s who makes calls.")
            % {"organisation": enrolment.organisation.name},
        )
    if backup is not None and backup.pk not in members and "backup" not in errors:
        err(
            "backup",
            _("Choose an active member of %(organisation)s who makes calls.")
            % {"organisation": enrolment.organisation.name},
        )
    return errors


@transaction.atomic
def set_call_plan(
    actor: Any,
    *,
    enrolment: Enrolment,
    rhythm: str,
    weekdays: list[int],
    interval_days: int | None,
    starts_on: dt.date | None,
    window_start: dt.time | None,
    window_end: dt.time | None,
    volunteer: Any,
    backup: Any = None,
    priority: int = 2,
    expected_version: int | None = None,
) -> CallPlan:
    """Create or change the call plan of an enrolment.

    Rules: only the coordinators of the organisation in charge (or administrators); only for
    people in charge (active or suspended enrolment); a weekly rhythm needs days, an every-N-
    days rhythm its interval (counted from the first call); the first call is not in the past
    (an existing plan keeps its date); the window ends after it starts; volunteer and backup
    are two different active calling members of the organisation in charge. `expected_version`
    is the plan's version the user saw (0: no plan yet). Calls already generated and not yet
    tried follow the change (window, priority, assignee).
    """
    _ensure_manages(actor, enrolment.organisation_id)
    enrolment = lock_person_then(
        Enrolment.objects.select_for_update().select_related("organisation"),
        pk=enrolment.pk,
        person_id=enrolment.person_id,
    )
    current = CallPlan.objects.select_for_update().filter(enrolment=enrolment).first()
    if expected_version is not None and expected_version != (current.version if current else 0):
        raise ConcurrentEdit()
    today = timezone.localdate()
    days = sorted({int(d) for d in weekdays}) if rhythm == Rhythm.WEEKLY else []
    errors = _clean_plan(
        enrolment=enrolment,
        rhythm=rhythm,
        weekdays=days,
        interval_days=interval_days,
        starts_on=starts_on,
        window_start=window_start,
        window_end=window_end,
        volunteer=volunteer,
        backup=backup,
        priority=priority,
        current=current,
        today=today,
    )
    if errors:
        raise ValidationError(errors)
    values: dict[str, Any] = {
        "rhythm": rhythm,
        "weekdays": weekday_mask(days) if rhythm == Rhythm.WEEKLY else 0,
        "interval_days": interval_days if rhythm == Rhythm.EVERY_N_DAYS else None,
        "starts_on": starts_on,
        "window_start": window_start,
        "window_end": window_end,
        "priority": priority,
        "volunteer": volunteer,
        "backup": backup,
        "is_active": True,
    }
    if current is None:
        plan = CallPlan.objects.create(enrolment=enrolment, **values)
        changes: dict[str, Any] = {}
        code = "programmes.call_plan.created"
    else:
        plan = current
        changes = _plan_changes(plan, values)
        for name, value in values.items():
            setattr(plan, name, value)
        plan.version += 1
        plan.save(update_fields=[*values, "version", "updated_at"])
        code = "programmes.call_plan.changed"
    moved = _follow_plan(plan, today)
    audit_event(
        actor,
        code,
        obj=plan,
        person_id=enrolment.person_id,
        changes=changes,
        extra={"enrolment": str(enrolment.pk), "calls_updated": moved},
    )
    return plan


def _plan_changes(plan: CallPlan, values: dict[str, Any]) -> dict[str, list[str]]:
    """What a change of plan changes, for the audit trail (people by id)."""
    changes = {}
    for name, value in values.items():
        if name in ("volunteer", "backup"):
            old, new = getattr(plan, f"{name}_id"), value.pk if value is not None else None
        else:
            old, new = getattr(plan, name), value
        if old != new:
            changes[name] = [str(old), str(new)]
    return changes


def _follow_plan(plan: CallPlan, today: dt.date) -> int:
    """Bring the plan's open calls not yet tried in line with it; how many changed."""
    calls = list(PlannedCall.objects.filter(plan=plan, status=Status.DUE, attempts=0))
    if not calls:
        return 0
    absent_by_day = {
        day: _absent_on([plan.volunteer_id, plan.backup_id], day)
        for day in {max(c.due_on, today) for c in calls}
    }
    for call in calls:
        call.assignee_id, call.by_backup = assignee_for(
            plan.volunteer_id, plan.backup_id, absent_by_day[max(call.due_on, today)]
        )
        call.window_start = plan.window_start
        call.window_end = plan.window_end
        call.priority = plan.priority
        call.version += 1
        call.save(
            update_fields=[
                "assignee",
                "by_backup",
                "window_start",
                "window_end",
                "priority",
                "version",
                "updated_at",
            ]
        )
    return len(calls)


# --- absences -----------------------------------------------------------------------------


def _ensure_manages_user(actor: Any, user: Any) -> None:
    """The actor coordinates an organisation the user is an active member of."""
    if Perm.PROGRAMMES_MANAGE not in permissions_of(actor):
        raise PermissionDenied
    managed = managed_organisation_ids(actor)
    if managed is None:
        return
    if not Membership.objects.filter(
        user=user, is_active=True, organisation_id__in=managed
    ).exists():
        raise PermissionDenied


@transaction.atomic
def record_absence(
    actor: Any, *, user: Any, starts_on: dt.date | None, ends_on: dt.date | None, note: str = ""
) -> Absence:
    """Record that a volunteer is away, and give their calls in that period to the backups.

    Rules: a coordinator of one of the user's organisations (or an administrator); the period
    is in order and not over. The user's open calls due in the period (and, once the absence
    has begun, the overdue ones still open) go to their plans' backups, unless the backup is
    absent too; calls generated later follow the absence by themselves.
    """
    _ensure_manages_user(actor, user)
    today = timezone.localdate()
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        errors["starts_on"] = [_("Give the first day of the absence.")]
    if ends_on is None:
        errors["ends_on"] = [_("Give the last day of the absence.")]
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("The last day is before the first.")]
    elif ends_on < today:
        errors["ends_on"] = [_("This absence is over already: there is nothing to reassign.")]
    if len(note) > 200:
        errors["note"] = [_("Keep the note under 200 characters.")]
    if errors or starts_on is None or ends_on is None:
        raise ValidationError(errors)
    absence = Absence.objects.create(
        user=user, starts_on=starts_on, ends_on=ends_on, note=note, recorded_by=actor
    )
    moved = _cover_absence(user, starts_on, ends_on, today)
    audit_event(
        actor,
        "programmes.absence.recorded",
        obj=absence,
        extra={"user": str(user.pk), "calls_reassigned": moved},
    )
    return absence


def _cover_absence(user: Any, starts_on: dt.date, ends_on: dt.date, today: dt.date) -> int:
    period = Q(due_on__gte=starts_on)
    if starts_on <= today:
        period |= Q(due_on__lt=starts_on)  # overdue calls carried into the absence
    calls = list(
        PlannedCall.objects.filter(assignee=user, status=Status.DUE, due_on__lte=ends_on)
        .filter(period)
        .select_related("plan")
    )
    moved = 0
    for call in calls:
        day = max(call.due_on, today)
        backup_id = call.plan.backup_id
        if backup_id is None or backup_id == user.pk:
            continue
        assignee_id, by_backup = assignee_for(
            user.pk, backup_id, _absent_on([user.pk, backup_id], day)
        )
        if not by_backup:
            continue
        call.assignee_id = assignee_id
        call.by_backup = True
        call.version += 1
        call.save(update_fields=["assignee", "by_backup", "version", "updated_at"])
        moved += 1
    return moved


@transaction.atomic
def cancel_absence(actor: Any, *, absence: Absence) -> int:
    """Cancel an absence that is not over; the backups' calls not yet tried go back to the
    volunteer (unless another absence covers their day). Returns how many went back."""
    absence = Absence.objects.select_for_update().get(pk=absence.pk)
    _ensure_manages_user(actor, absence.user)
    today = timezone.localdate()
    if absence.ends_on < today:
        raise ValidationError(_("This absence is over: it stays in the record."))
    user_id = absence.user_id
    audit_event(
        actor,
        "programmes.absence.cancelled",
        obj=absence,
        extra={"user": str(user_id), "from": str(absence.starts_on), "to": str(absence.ends_on)},
    )
    starts_on, ends_on = absence.starts_on, absence.ends_on
    absence.delete()
    period = Q(due_on__gte=starts_on)
    if starts_on <= today:
        period |= Q(due_on__lt=starts_on)
    calls = list(
        PlannedCall.objects.filter(
            by_backup=True,
            status=Status.DUE,
            attempts=0,
            plan__volunteer_id=user_id,
            due_on__lte=ends_on,
        ).filter(period)
    )
    back = 0
    for call in calls:
        if _absent_on([user_id], max(call.due_on, today)):
            continue
        call.assignee_id = user_id
        call.by_backup = False
        call.version += 1
        call.save(update_fields=["assignee", "by_backup", "version", "updated_at"])
        back += 1
    return back


# --- the day's calls ----------------------------------------------------------------------


def generate_due_calls(day: dt.date) -> int:
    """Create the calls due on `day` from the active plans; how many were created.

    Rules: active enrolment, active plan, first call on or before `day`; weekly plans on their
    days (bit mask), every-N-days plans on `starts_on + k·N`. The assignee is the volunteer,
    or the backup when the volunteer is absent that day and the backup is not. Window,
    priority, person and organisation are copied from the plan and the enrolment. Each plan's
    older calls still open are then closed as not reached (the carry-over ends).

    Idempotent and set-based: one INSERT … SELECT creates every call at once (plans that
    already have their call that day are skipped, and the unique (plan, day) constraint with
    ON CONFLICT DO NOTHING turns a concurrent second run into no-ops), one UPDATE ends the
    carry-over. A system job reading nothing personal: the run is one audit event per
    programme (`programmes.calls.generated`), not an entry per call.
    """
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            sql, params = _insert_due_calls(connection.vendor, day, now)
            cursor.execute(sql, params)
            created = max(cursor.rowcount, 0)
            sql, params = _end_carry_over(day, now)
            cursor.execute(sql, params)
        if created:
            _audit_run(day, now)
    logger.info("generate_due_calls %s: %d calls created", day.isoformat(), created)
    return created


def _audit_run(day: dt.date, now: dt.datetime) -> None:
    """One audit event per programme for a run that created calls (the rows it wrote carry
    its timestamp), rather than an entry per call."""
    from django.db.models import Count

    counts = dict(
        PlannedCall.objects.filter(due_on=day, status=Status.DUE, created_at=now)
        .values_list("enrolment__programme")
        .annotate(n=Count("pk"))
        .values_list("enrolment__programme", "n")
    )
    for programme in Programme.objects.filter(pk__in=counts):
        audit_event(
            None,
            "programmes.calls.generated",
            obj=programme,
            extra={"day": day.isoformat(), "created": counts[programme.pk]},
        )


def _absent(user_column: str) -> str:
    table = Absence._meta.db_table
    # Names come from the models, values travel as parameters.
    return (
        f"EXISTS (SELECT 1 FROM {table} a WHERE a.user_id = {user_column} "  # noqa: S608
        "AND a.starts_on <= %s AND a.ends_on >= %s)"
    )


#: Plans that already have their call that day are not read again (a second run costs
#: almost nothing); a concurrent run racing past it meets the unique constraint instead.
# NOT IN, not NOT EXISTS: PostgreSQL then hashes the day's plan ids whatever its (stale)
# statistics say; with NOT EXISTS an hourly repeat was planned as a nested loop (3.3 s at
# 100,000 plans, 0.37 s now). plan_id is never NULL, so NOT IN means the same.
_NOT_YET_PLANNED = "AND p.id NOT IN (SELECT x.plan_id FROM {calls} x WHERE x.due_on = %s)"

#: What differs between the two databases Prossimo runs on.
_DIALECTS = {
    "sqlite": {
        # A random (version 4) UUID, as Django stores them in SQLite: 32 hex digits.
        "new_id": (
            "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2)"
            " || substr('89ab', 1 + (abs(random()) %% 4), 1)"
            " || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))"
        ),
        "days_since_start": "CAST(julianday(%s) - julianday(p.starts_on) AS INTEGER)",
    },
    "postgresql": {
        "new_id": "gen_random_uuid()",
        "days_since_start": "(CAST(%s AS date) - p.starts_on)",
    },
}


def _insert_due_calls(vendor: str, day: dt.date, now: dt.datetime) -> tuple[str, list[Any]]:
    """The INSERT … SELECT of `generate_due_calls`, and its parameters."""
    if vendor not in _DIALECTS:
        raise NotImplementedError(f"generate_due_calls runs on SQLite and PostgreSQL, not {vendor}")
    dialect = _DIALECTS[vendor]
    ops = connection.ops
    day_value = ops.adapt_datefield_value(day)
    now_value = ops.adapt_datetimefield_value(now)
    backup_covers = (
        f"(p.backup_id IS NOT NULL AND {_absent('p.volunteer_id')} "
        f"AND NOT {_absent('p.backup_id')})"
    )
    covers_params = [day_value] * 4
    calls = PlannedCall._meta.db_table
    # Names come from the models and the dialect table, values travel as parameters.
    sql = f"""
        INSERT INTO {calls} (
            id, plan_id, enrolment_id, person_id, organisation_id, due_on, window_start,
            window_end, priority, assignee_id, by_backup, status, attempts, next_attempt_at,
            completed_at, version, created_at, updated_at
        )
        SELECT
            {dialect["new_id"]}, p.id, p.enrolment_id, e.person_id, e.organisation_id, %s,
            p.window_start, p.window_end, p.priority,
            CASE WHEN {backup_covers} THEN p.backup_id ELSE p.volunteer_id END,
            CASE WHEN {backup_covers} THEN %s ELSE %s END,
            %s, 0, NULL, NULL, 1, %s, %s
        FROM {CallPlan._meta.db_table} p
        JOIN {Enrolment._meta.db_table} e ON e.id = p.enrolment_id
        WHERE p.is_active AND e.state = %s AND p.starts_on <= %s
            AND (
                (p.rhythm = %s AND (p.weekdays & %s) <> 0)
                OR (
                    p.rhythm = %s AND p.interval_days > 0
                    AND {dialect["days_since_start"]} %% p.interval_days = 0
                )
            )
            {_NOT_YET_PLANNED.format(calls=calls)}
        ON CONFLICT (plan_id, due_on) DO NOTHING
    """  # noqa: S608
    params: list[Any] = [
        day_value,
        *covers_params,
        *covers_params,
        True,
        False,
        Status.DUE,
        now_value,
        now_value,
        Enrolment.State.ACTIVE,
        day_value,
        Rhythm.WEEKLY,
        1 << (day.isoweekday() - 1),
        Rhythm.EVERY_N_DAYS,
        day_value,
    ]
    if _NOT_YET_PLANNED:
        params.append(day_value)
    return sql, params


def _end_carry_over(day: dt.date, now: dt.datetime) -> tuple[str, list[Any]]:
    """Close as not reached the open calls of earlier days of the plans that have a call on
    `day` (served by the partial index of open calls by day)."""
    calls = PlannedCall._meta.db_table
    ops = connection.ops
    day_value = ops.adapt_datefield_value(day)
    now_value = ops.adapt_datetimefield_value(now)
    sql = f"""
        UPDATE {calls}
        SET status = %s, next_attempt_at = NULL, completed_at = %s, updated_at = %s,
            version = version + 1
        WHERE status = %s AND due_on < %s
            AND EXISTS (
                SELECT 1 FROM {calls} x WHERE x.plan_id = {calls}.plan_id AND x.due_on = %s
            )
    """  # noqa: S608
    return sql, [Status.NOT_REACHED, now_value, now_value, Status.DUE, day_value, day_value]


# --- attempts -----------------------------------------------------------------------------


def _record(
    actor: Any, call: PlannedCall, *, outcome: str, notes: str, contact: Contact | None
) -> CallAttempt:
    """Record an attempt on a locked call and apply the retry rule."""
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Choose how the call went.")]
    elif call.status == Status.CANCELLED:
        errors["outcome"] = [_("This call was cancelled: nothing more is recorded on it.")]
    elif call.status == Status.DONE or (
        call.status == Status.NOT_REACHED and outcome != Outcome.ANSWERED
    ):
        errors["outcome"] = [_("This call is already closed.")]
    if contact is not None:
        if contact.person_id != call.person_id or contact.status != Contact.Status.LOGGED:
            errors["contact"] = [_("The contact must be a logged call with the same person.")]
        elif CallAttempt.objects.filter(contact=contact).exists():
            errors["contact"] = [_("This contact is already recorded on a call.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    attempt = CallAttempt.objects.create(
        call=call,
        enrolment_id=call.enrolment_id,
        at=now,
        by=actor,
        outcome=outcome,
        contact=contact,
        notes=(notes or "").strip(),
    )
    call.attempts += 1
    if outcome in (Outcome.ANSWERED, Outcome.REFUSED):
        call.status = Status.DONE
        call.completed_at = now
        call.next_attempt_at = None
    else:
        programme = call.enrolment.programme
        if call.attempts >= max(1, programme.attempts_per_call):
            call.status = Status.NOT_REACHED
            call.completed_at = now
            call.next_attempt_at = None
        else:
            call.next_attempt_at = now + dt.timedelta(minutes=programme.retry_after_minutes)
    call.version += 1
    call.save(
        update_fields=[
            "attempts",
            "status",
            "completed_at",
            "next_attempt_at",
            "version",
            "updated_at",
        ]
    )
    call_attempt_recorded.send(sender=CallAttempt, attempt=attempt, actor=actor)
    audit_event(
        actor,
        "programmes.call.attempt_recorded",
        obj=call,
        person_id=call.person_id,
        extra={"attempt": str(attempt.pk), "outcome": outcome, "status": call.status},
    )
    return attempt


def _locked_call(call: PlannedCall) -> PlannedCall:
    """The call, locked after its person (the lock order of `people.services.lock_person`)."""
    return lock_person_then(
        # Not the programme's row: attempts of a whole programme would queue behind each other.
        PlannedCall.objects.select_for_update(of=("self", "enrolment")).select_related(
            "enrolment__programme"
        ),
        pk=call.pk,
        person_id=call.person_id,
    )


@transaction.atomic
def record_attempt(
    actor: Any,
    *,
    call: PlannedCall,
    outcome: str,
    notes: str = "",
    contact: Contact | None = None,
    expected_version: int | None = None,
) -> CallAttempt:
    """Record one try at a planned call and how it went.

    Rules: the call's assignee or a coordinator of the organisation in charge; the call is
    open (an answer may still reach a call given up as not reached). Answered or refused:
    the call is done. No answer, busy, wrong number: try again after the programme's
    `retry_after_minutes`; after `attempts_per_call` failures the call is not reached. A
    linked contact is a logged call with the same person, linked once.
    """
    if Perm.PROGRAMMES_CALL not in permissions_of(actor):
        raise PermissionDenied
    call = _locked_call(call)
    if not may_work_call(actor, call):
        raise PermissionDenied
    if expected_version is not None and expected_version != call.version:
        raise ConcurrentEdit()
    return _record(actor, call, outcome=outcome, notes=notes, contact=contact)


@transaction.atomic
def log_planned_call(
    actor: Any,
    *,
    call: PlannedCall,
    data: ContactInput,
    needs: Sequence[NeedInput] = (),
    follow_up: FollowUpInput | None = None,
    draft: Contact | None = None,
    expected_version: int | None = None,
) -> Contact:
    """Log the conversation of a planned call on the listening line's call form (notes, needs,
    red flags, follow-up: `listening.services.log_contact`) and record it as an answered
    attempt linked to that contact, in one transaction.

    Rules: the actor makes calls for the organisation in charge (they talked with the person:
    the record says so even if the call was given to someone else meanwhile); the contact is
    about the call's person. A call cancelled or already done keeps its state: the contact is
    logged alone.
    """
    from prossimo.territory.selectors import organisation_ids_with_roles

    if Perm.PROGRAMMES_CALL not in permissions_of(actor):
        raise PermissionDenied
    call = _locked_call(call)
    if not (
        may_work_call(actor, call)
        or call.organisation_id in organisation_ids_with_roles(actor, CALLING_ROLES)
    ):
        raise PermissionDenied
    if data.person is None or data.person.pk != call.person_id:
        raise ValidationError(
            {
                "person": [
                    _(
                        "This planned call is for %(name)s: choose them as the person you talked "
                        "with, or log this call from a new call form."
                    )
                    % {"name": call.person.full_name}
                ]
            }
        )
    contact = log_contact(
        actor,
        data=data,
        needs=list(needs),
        follow_up=follow_up,
        draft=draft,
        expected_version=expected_version,
    )
    if call.status in (Status.DUE, Status.NOT_REACHED):
        _record(actor, call, outcome=Outcome.ANSWERED, notes="", contact=contact)
    return contact
