"""Punto di Ascolto: contacts (calls, visits), the needs they bring, red-flag alerts, follow-ups.

A contact is one interaction with a known person or an anonymous caller. It records one or more
needs (from an editable taxonomy); each need has a status and an owner and may be handed over
to the proximity desk (Sportello di Prossimità). Red flags raise alerts for the coordinators of
the organisation and, where the person has one, their social worker. Follow-ups are planned
call-backs that appear in someone's "Oggi" worklist.
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
from prossimo.territory.models import Municipality, Organisation


def _casework_org_ids(user: Any) -> Any:
    from prossimo.territory.selectors import organisation_ids_with_roles

    return organisation_ids_with_roles(user, CASEWORK_ROLES)


class ContactQuerySet(models.QuerySet["Contact"]):
    def visible_to(self, user: Any) -> ContactQuerySet:
        """Contacts `user` may read: those logged by one of their organisations, those about a
        person they may see, and those whose needs were handed to one of their organisations.
        Nobody without `listening.log` (monitoring officers see aggregates only)."""
        if Perm.LISTENING_LOG not in permissions_of(user):
            return self.none()
        orgs = _casework_org_ids(user)
        people = Person.objects.visible_to(user).values("pk")
        handed = Need.objects.filter(owner_organisation__in=orgs).values("contact_id")
        return self.filter(Q(organisation__in=orgs) | Q(person__in=people) | Q(pk__in=handed))


class NeedQuerySet(models.QuerySet["Need"]):
    def visible_to(self, user: Any) -> NeedQuerySet:
        """Needs owned by, or recorded by, one of the user's organisations, or about a person
        the user may see."""
        if Perm.LISTENING_LOG not in permissions_of(user):
            return self.none()
        orgs = _casework_org_ids(user)
        people = Person.objects.visible_to(user).values("pk")
        return self.filter(
            Q(owner_organisation__in=orgs)
            | Q(contact__organisation__in=orgs)
            | Q(person__in=people)
        )

    def open(self) -> NeedQuerySet:
        return self.exclude(status__in=Need.CLOSED)


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, user: Any) -> AlertQuerySet:
        """Alerts of the user's organisations, and those sent to the user as social worker."""
        if Perm.LISTENING_LOG not in permissions_of(user):
            return self.none()
        return self.filter(Q(organisation__in=_casework_org_ids(user)) | Q(social_worker=user))

    def unresolved(self) -> AlertQuerySet:
        return self.exclude(status=Alert.Status.RESOLVED)


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def visible_to(self, user: Any) -> FollowUpQuerySet:
        """Follow-ups of the user's organisations."""
        if Perm.LISTENING_LOG not in permissions_of(user):
            return self.none()
        return self.filter(organisation__in=_casework_org_ids(user))


class NeedCategory(TimeStamped):
    """A kind of need in the taxonomy (editable by administrators); may have a parent."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name (Italian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("need category")
        verbose_name_plural = _("need categories")

    def __str__(self) -> str:
        return self.name

    def label(self, language: str = "it") -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class Urgency(models.TextChoices):
    LOW = "low", _("Low: can wait days")
    MEDIUM = "medium", _("Medium: within a day or two")
    HIGH = "high", _("High: today")
    EMERGENCY = "emergency", _("Emergency: now")


class RedFlag(models.TextChoices):
    DANGER_TO_LIFE = "danger_to_life", _("Danger to life")
    SUICIDAL_THOUGHTS = "suicidal_thoughts", _("Suicidal thoughts")
    VIOLENCE = "violence", _("Violence or abuse")
    NO_FOOD_OR_MEDICINES = "no_food_or_medicines", _("No food or medicines today")
    ALONE_AND_UNWELL = "alone_and_unwell", _("Alone and unwell")


class Contact(PublicIdModel):
    """One interaction: a call in or out, a visit, an e-mail, a video call."""

    class Channel(models.TextChoices):
        INBOUND_CALL = "inbound_call", _("Incoming call")
        OUTBOUND_CALL = "outbound_call", _("Outgoing call")
        DESK_VISIT = "desk_visit", _("Visit to the desk")
        HOME_VISIT = "home_visit", _("Home visit")
        EMAIL = "email", _("E-mail")
        VIDEO_CALL = "video_call", _("Video call")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LOGGED = "logged", _("Logged")

    class Outcome(models.TextChoices):
        INFORMATION = "information", _("Information given")
        HANDED_TO_DESK = "handed_to_desk", _("Handed to the proximity desk")
        FOLLOW_UP = "follow_up", _("Follow-up call planned")
        ESCALATED = "escalated", _("Escalated")
        NOTHING = "nothing", _("Nothing further needed")

    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.INBOUND_CALL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("operator"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("organisation"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("person"),
    )
    caller_number = models.CharField(_("caller's number"), max_length=20, blank=True)
    caller_first_name = models.CharField(_("caller's first name"), max_length=100, blank=True)
    caller_approx_age = models.PositiveSmallIntegerField(
        _("caller's approximate age"), null=True, blank=True
    )
    caller_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("caller's municipality"),
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.LOW
    )
    red_flags = models.JSONField(_("red flags"), default=list, blank=True)
    emergency_call_made_at = models.DateTimeField(
        _("112 called at"),
        null=True,
        blank=True,
        help_text=_("When the volunteer called (or had someone call) 112."),
    )
    outcomes = models.JSONField(_("what was done"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    draft_data = models.JSONField(
        default=dict, blank=True, help_text="What was typed in a call form not yet saved."
    )
    version = models.PositiveIntegerField(default=1)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["person", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_anonymous(self) -> bool:
        return self.person_id is None

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)} if self.person_id else {}


class Need(PublicIdModel):
    """A need brought by a contact: its category, a note, a status and who owns it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        HANDED_OVER = "handed_over", _("Handed over")
        MET = "met", _("Met")
        UNMET = "unmet", _("Unmet")

    CLOSED = (Status.MET, Status.UNMET)

    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="needs", verbose_name=_("contact")
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("person"),
    )
    category = models.ForeignKey(
        NeedCategory, on_delete=models.PROTECT, related_name="needs", verbose_name=_("category")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_needs",
        verbose_name=_("owner"),
    )
    owner_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="owned_needs",
        verbose_name=_("owning organisation"),
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = NeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        indexes = [models.Index(fields=["owner_organisation", "status"])]

    def __str__(self) -> str:
        return str(self.category)

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)} if self.person_id else {}


class Alert(PublicIdModel):
    """A red flag that someone must act on: acknowledged, then resolved."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="alerts",
        verbose_name=_("organisation"),
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )

    class Kind(models.TextChoices):
        RED_FLAG = "red_flag", _("Red flag")
        FAILED_ATTEMPTS = "failed_attempts", _("Repeatedly not reached")
        SCREENING_THRESHOLD = "screening_threshold", _("Screening score over the threshold")
        SCREENING_WORSENED = "screening_worsened", _("Screening score worsened")
        REFERRAL_NOT_RECEIVED = "referral_not_received", _("Referral not received")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.RED_FLAG)
    red_flag = models.CharField(_("red flag"), max_length=30, choices=RedFlag.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("social worker informed"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.TextField(_("what was done"), blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["organisation", "status", "created_at"])]

    def __str__(self) -> str:
        return str(self.title)

    @property
    def title(self) -> str:
        """What the alert is about: the red flag, or the kind of escalation."""
        if self.kind == Alert.Kind.RED_FLAG and self.red_flag:
            return str(self.get_red_flag_display())
        return str(self.get_kind_display())

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)} if self.person_id else {}


class FollowUp(PublicIdModel):
    """A planned call-back: a date, a time window, an assignee or whoever is on duty."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        verbose_name=_("organisation"),
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    need = models.ForeignKey(
        Need, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    due_on = models.DateField(_("date"), db_index=True)
    window_start = models.TimeField(_("from"), null=True, blank=True)
    window_end = models.TimeField(_("to"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("assigned to"),
        help_text=_("Empty: whoever is on duty."),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PLANNED,
        db_index=True,
    )
    done_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "window_start"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["organisation", "status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.due_on}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)} if self.person_id else {}
