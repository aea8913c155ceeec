"""Programmes (Telefonia Sociale, Servizi di Prossimità): referrals, taking in charge, calls.

A social worker *refers* a frail person to a programme (segnalazione); the programme's
coordinator makes the first contact (aggancio) and *takes the person in charge* (presa in
carico): the `Enrolment` follows an explicit state machine (`ALLOWED_TRANSITIONS`), every move
recorded in `EnrolmentTransition`. An active enrolment has a `CallPlan` (rhythm, preferred
days and time window, a volunteer and a backup); a daily job turns plans into `PlannedCall`
rows (one per plan and day: idempotent), which volunteers work in "Chiamate di oggi",
recording each `CallAttempt`. Escalation rules of the programme raise listening-line alerts to
the referring social worker and the coordinators.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from prossimo.core.models import PublicIdModel, TimeStamped
from prossimo.core.permissions import Perm, permissions_of
from prossimo.people.models import CASEWORK_ROLES, Person
from prossimo.territory.models import Organisation


def _casework_org_ids(user: Any) -> Any:
    from prossimo.territory.selectors import organisation_ids_with_roles

    return organisation_ids_with_roles(user, CASEWORK_ROLES)


class Weekday(models.IntegerChoices):
    """ISO weekdays (Monday = 1); a plan's days are a bit mask: bit (day - 1)."""

    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


def weekday_mask(days: list[int] | set[int] | tuple[int, ...]) -> int:
    """The bit mask of ISO weekdays (1–7)."""
    mask = 0
    for day in days:
        if not 1 <= int(day) <= 7:
            raise ValueError(f"not an ISO weekday: {day}")
        mask |= 1 << (int(day) - 1)
    return mask


def weekdays_of(mask: int) -> list[int]:
    """The ISO weekdays (1–7) of a bit mask."""
    return [day for day in range(1, 8) if mask & (1 << (day - 1))]


class Rhythm(models.TextChoices):
    WEEKLY = "weekly", _("Every week, on the chosen days")
    EVERY_N_DAYS = "every_n_days", _("Every N days")


class Programme(TimeStamped):
    """A programme the network runs (e.g. Telefonia Sociale) and its rules, as data."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    organisations = models.ManyToManyField(
        Organisation,
        related_name="programmes",
        blank=True,
        verbose_name=_("organisations running it"),
    )
    target_people = models.PositiveIntegerField(_("target number of people in charge"), default=0)
    # Default call rhythm for new plans.
    default_rhythm = models.CharField(
        _("default rhythm"), max_length=20, choices=Rhythm.choices, default=Rhythm.WEEKLY
    )
    default_weekdays = models.PositiveSmallIntegerField(
        _("default days (bit mask, Monday = 1)"), default=1 << 1
    )
    default_interval_days = models.PositiveSmallIntegerField(
        _("default interval in days"), default=7
    )
    # Retries of an unanswered call.
    attempts_per_call = models.PositiveSmallIntegerField(
        _("attempts per planned call"),
        default=3,
        help_text=_("After this many failed attempts the planned call counts as not reached."),
    )
    retry_after_minutes = models.PositiveSmallIntegerField(_("retry after (minutes)"), default=120)
    # Escalation rules.
    escalate_failed_attempts = models.PositiveSmallIntegerField(
        _("alert after consecutive failed attempts"),
        default=3,
        help_text=_("0 turns the rule off."),
    )
    escalate_failed_within_days = models.PositiveSmallIntegerField(_("… within days"), default=7)
    escalate_red_flags = models.BooleanField(_("alert on a red flag during a call"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name

    def label(self, language: str = "it") -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class ScreeningRule(models.Model):
    """An escalation rule on a questionnaire's score: crossing a threshold, or worsening."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="screening_rules"
    )
    questionnaire_code = models.SlugField(_("questionnaire code"), max_length=50)
    threshold = models.DecimalField(
        _("alert when the score reaches"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
    )
    worsening_by = models.DecimalField(
        _("alert when the score worsens by at least"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("screening rule")
        verbose_name_plural = _("screening rules")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "questionnaire_code"], name="one_rule_per_questionnaire"
            )
        ]

    def __str__(self) -> str:
        return self.questionnaire_code


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def visible_to(self, user: Any) -> EnrolmentQuerySet:
        """Enrolments `user` may read.

        - Nobody without `people.view` (monitoring officers see aggregates only).
        - Administrators (`people.all_territories`) see every enrolment.
        - Everyone else: enrolments of a programme run by one of their casework organisations
          (`organisation`), those referred by one of their organisations, those they referred
          themselves, and those of people they may see.
        """
        codes = permissions_of(user)
        if Perm.PEOPLE_VIEW not in codes:
            return self.none()
        if Perm.PEOPLE_ALL_TERRITORIES in codes:
            return self.all()
        orgs = _casework_org_ids(user)
        return self.filter(
            Q(organisation__in=orgs)
            | Q(referring_organisation__in=orgs)
            | Q(referred_by=user)
            | Q(person__in=Person.objects.visible_to(user).values("pk"))
        )

    def open(self) -> EnrolmentQuerySet:
        return self.exclude(state=Enrolment.State.CLOSED)


class Enrolment(PublicIdModel):
    """A person referred to a programme, and then taken in charge (presa in carico)."""

    class State(models.TextChoices):
        REFERRED = "referred", _("Referred")
        CONTACT_ATTEMPTED = "contact_attempted", _("Contact attempted")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    class CloseReason(models.TextChoices):
        GOALS_MET = "goals_met", _("Goals met")
        REFUSED = "refused", _("Refused")
        MOVED = "moved", _("Moved away")
        DECEASED = "deceased", _("Deceased")
        TRANSFERRED = "transferred", _("Transferred to another service")
        UNREACHABLE = "unreachable", _("Unreachable")

    class Consent(models.TextChoices):
        GIVEN = "given", _("Given to the social worker")
        TO_ASK = "to_ask", _("To be asked at the first contact")
        REFUSED = "refused", _("Refused")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("programme")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("organisation in charge"),
    )
    # The referral (segnalazione).
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("referred by"),
    )
    referring_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_made",
        verbose_name=_("referring organisation"),
    )
    referred_at = models.DateTimeField(_("referred at"))
    reason = models.TextField(_("reason for the referral"))
    fragility_notes = models.TextField(_("fragility notes"), blank=True)
    preferred_contact_times = models.CharField(
        _("preferred contact times"), max_length=200, blank=True
    )
    consent = models.CharField(
        _("consent status"), max_length=10, choices=Consent.choices, default=Consent.TO_ASK
    )
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    # Taking in charge.
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.REFERRED, db_index=True
    )
    state_changed_at = models.DateTimeField(_("state changed at"))
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coordinator"),
    )
    suspended_until = models.DateField(_("resume on"), null=True, blank=True)
    closed_reason = models.CharField(
        _("reason for closing"), max_length=20, choices=CloseReason.choices, blank=True
    )
    version = models.PositiveIntegerField(default=1)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_at"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme"],
                condition=~Q(state="closed"),
                name="one_open_enrolment_per_programme",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "state"]),
            models.Index(fields=["referred_by", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.get_state_display()}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)}


# The state machine: from → the states it may move to.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Enrolment.State.REFERRED: frozenset(
        {Enrolment.State.CONTACT_ATTEMPTED, Enrolment.State.ACTIVE, Enrolment.State.CLOSED}
    ),
    Enrolment.State.CONTACT_ATTEMPTED: frozenset({Enrolment.State.ACTIVE, Enrolment.State.CLOSED}),
    Enrolment.State.ACTIVE: frozenset({Enrolment.State.SUSPENDED, Enrolment.State.CLOSED}),
    Enrolment.State.SUSPENDED: frozenset({Enrolment.State.ACTIVE, Enrolment.State.CLOSED}),
    Enrolment.State.CLOSED: frozenset(),
}


class EnrolmentTransition(models.Model):
    """One move of an enrolment's state: who, when, why."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(
        _("from"), max_length=20, choices=Enrolment.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=20, choices=Enrolment.State.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(
        _("reason"), max_length=20, choices=Enrolment.CloseReason.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    resume_on = models.DateField(_("resume on"), null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")

    def __str__(self) -> str:
        return f"{self.from_state or '—'} → {self.to_state}"


class CallPlan(TimeStamped):
    """How often, when and by whom an enrolled person is called."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.CASCADE, related_name="plan")
    rhythm = models.CharField(_("rhythm"), max_length=20, choices=Rhythm.choices)
    weekdays = models.PositiveSmallIntegerField(
        _("days (bit mask, Monday = 1)"),
        default=0,
        help_text=_("For a weekly rhythm: the days of the week to call on."),
    )
    interval_days = models.PositiveSmallIntegerField(_("every N days"), null=True, blank=True)
    starts_on = models.DateField(_("first call on"))
    window_start = models.TimeField(_("from"))
    window_end = models.TimeField(_("to"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=2, help_text=_("1 is the highest.")
    )
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="call_plans",
        verbose_name=_("volunteer"),
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backup_call_plans",
        verbose_name=_("backup volunteer"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("call plan")
        verbose_name_plural = _("call plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__lt=models.F("window_end")), name="window_in_order"
            ),
            models.CheckConstraint(
                condition=(Q(rhythm="weekly") & Q(weekdays__gt=0))
                | (Q(rhythm="every_n_days") & Q(interval_days__gte=1)),
                name="rhythm_complete",
            ),
        ]


class Absence(TimeStamped):
    """A volunteer away (holiday, illness): their planned calls go to the backup."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (included)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        indexes = [models.Index(fields=["user", "starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=models.F("ends_on")), name="absence_in_order"
            )
        ]


class PlannedCallQuerySet(models.QuerySet["PlannedCall"]):
    def visible_to(self, user: Any) -> PlannedCallQuerySet:
        """Planned calls of enrolments the user may read (`Enrolment.objects.visible_to`)."""
        if Perm.PEOPLE_VIEW not in permissions_of(user):
            return self.none()
        return self.filter(enrolment__in=Enrolment.objects.visible_to(user).values("pk"))


class PlannedCall(PublicIdModel):
    """One call due on one day for one plan; worked in the assignee's "Chiamate di oggi"."""

    class Status(models.TextChoices):
        DUE = "due", _("To do")
        DONE = "done", _("Done")
        NOT_REACHED = "not_reached", _("Not reached")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(CallPlan, on_delete=models.CASCADE, related_name="calls")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="calls")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    window_start = models.TimeField(_("from"))
    window_end = models.TimeField(_("to"))
    priority = models.PositiveSmallIntegerField(_("priority"), default=2)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="planned_calls",
        verbose_name=_("assigned to"),
    )
    by_backup = models.BooleanField(_("assigned to the backup"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DUE
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("try again from"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = PlannedCallQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "window_start", "priority"]
        verbose_name = _("planned call")
        verbose_name_plural = _("planned calls")
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_on"], name="one_call_per_plan_and_day")
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"]),
            models.Index(fields=["organisation", "due_on"]),
            # Open calls by day: ending the carry-over (open calls of earlier days) reads
            # these few rows, not a history that grows by a call per plan and day.
            models.Index(
                fields=["due_on"],
                condition=Q(status="due"),
                name="programmes_open_calls_day_idx",
            ),
        ]

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)}


class CallAttempt(PublicIdModel):
    """One try at a planned call, and how it went."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        REFUSED = "refused", _("Refused the call")

    FAILED = frozenset({Outcome.NO_ANSWER, Outcome.BUSY, Outcome.WRONG_NUMBER})

    call = models.ForeignKey(PlannedCall, on_delete=models.CASCADE, related_name="attempt_set")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices)
    # The listening-line contact logged during an answered call (notes, needs, red flags).
    contact = models.OneToOneField(
        "listening.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="call_attempt",
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        indexes = [models.Index(fields=["enrolment", "at"])]

    def get_additional_data(self) -> dict[str, Any]:
        return {"enrolment": str(self.enrolment_id)}


class ImportJob(PublicIdModel):
    """The writing of a confirmed spreadsheet of referrals, done by the worker (`tasks.
    run_referral_import`): 2,000 rows take some 20 seconds, too long for one request.

    Until the worker reads them, the rows stay on disk encrypted (`imports`), and `key` holds
    the key to read them; the worker wipes it as it reads. `results` holds, row by row, what
    was done: the outcome, a message, the enrolment's id — never names or other personal
    data. Only the user who confirmed sees the job."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("In progress")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped by an error")

    FINISHED = frozenset({State.DONE, State.FAILED})

    class Error(models.TextChoices):
        ROWS_EXPIRED = "rows_expired", _("The rows waited too long")
        STOPPED = "stopped", _("An error stopped the import")

    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    choices = models.JSONField(default=dict, blank=True)
    key = models.CharField(max_length=100, blank=True)
    results = models.JSONField(default=list, blank=True)
    # Why the job failed.
    error = models.CharField(max_length=20, choices=Error.choices, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("referral import")
        verbose_name_plural = _("referral imports")

    def __str__(self) -> str:
        return f"{self.programme_id} {self.created_at:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED
