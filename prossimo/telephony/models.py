"""Telephony: the lines a PBX reports calls on, the calls it reports, and who is on duty.

A PBX (Asterisk, a cloud provider) signs each event with its line's shared secret and posts it
to `POST /api/telephony/events` (docs/telephony.md). Each call becomes an `IncomingCall`, which
the operators on duty for the line's organisation see ringing in a banner; the one who takes it
gets a draft contact of the listening line, which the call's "ended" event completes with the
call's end and duration.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from prossimo.core.models import PublicIdModel
from prossimo.core.permissions import Perm, permissions_of
from prossimo.listening.models import Contact
from prossimo.people.models import CASEWORK_ROLES
from prossimo.territory.models import Organisation

#: How many characters of a line's secret the admin and `telephony_line list` show.
SECRET_HINT_LENGTH = 8


class TelephonyLine(PublicIdModel):
    """A telephone number of an organisation whose PBX reports its calls to Prossimo.

    The shared secret signs the PBX's requests (HMAC-SHA256). It must be usable to check
    signatures, so it is stored as issued — not hashed; it is shown once, when the line is
    created or its secret rotated (`prossimo telephony_line`), and only its first characters
    afterwards.
    """

    name = models.CharField(_("name"), max_length=100)
    number = models.CharField(
        _("number"), max_length=20, unique=True, help_text=_("The number called, in E.164.")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="telephony_lines",
        verbose_name=_("organisation"),
    )
    secret = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("telephone line")
        verbose_name_plural = _("telephone lines")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:SECRET_HINT_LENGTH]}…" if self.secret else ""


class IncomingCallQuerySet(models.QuerySet["IncomingCall"]):
    def visible_to(self, user: Any) -> IncomingCallQuerySet:
        """Calls on the lines of the organisations where the user does casework (volunteers,
        operators, social workers, coordinators, administrators); nobody without
        `listening.log`, so not monitoring officers."""
        if Perm.LISTENING_LOG not in permissions_of(user):
            return self.none()
        from prossimo.territory.selectors import organisation_ids_with_roles

        return self.filter(line__organisation__in=organisation_ids_with_roles(user, CASEWORK_ROLES))


class IncomingCall(PublicIdModel):
    """A call to a line, as the PBX reported it: ringing, then answered and ended, or missed."""

    class State(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        ENDED = "ended", _("Ended")
        MISSED = "missed", _("Missed")

    line = models.ForeignKey(
        TelephonyLine, on_delete=models.PROTECT, related_name="calls", verbose_name=_("line")
    )
    call_id = models.CharField(
        _("PBX call id"), max_length=128, help_text=_("The PBX's identifier of the call.")
    )
    caller_number = models.CharField(
        _("caller's number"),
        max_length=20,
        blank=True,
        help_text=_("E.164; empty when the number was withheld or not valid."),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RINGING
    )
    ringing_at = models.DateTimeField(_("ringing at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(
        _("duration (seconds)"), null=True, blank=True, help_text=_("From answer to end.")
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
        help_text=_("Who opened the call form from the banner."),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="telephony_calls",
        verbose_name=_("contact"),
    )

    objects = IncomingCallQuerySet.as_manager()

    class Meta:
        ordering = ["-ringing_at"]
        verbose_name = _("incoming call")
        verbose_name_plural = _("incoming calls")
        constraints = [
            models.UniqueConstraint(fields=["line", "call_id"], name="unique_call_id_per_line")
        ]
        indexes = [models.Index(fields=["line", "state", "ringing_at"])]

    def __str__(self) -> str:
        # Never the caller's number: this text ends up in the audit trail.
        return f"{self.get_state_display()} {self.ringing_at:%Y-%m-%d %H:%M}"


class OnDuty(models.Model):
    """A user's turn answering an organisation's lines: open while `ended_at` is empty."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="duty_periods",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="duty_periods",
        verbose_name=_("organisation"),
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("duty period")
        verbose_name_plural = _("duty periods")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(ended_at__isnull=True),
                name="one_open_duty_per_user_and_organisation",
            )
        ]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation}"


class SeenSignature(models.Model):
    """A signature already accepted on a line, kept while its timestamp is within the allowed
    clock skew: the same signed request sent again is a replay. A database row, with a unique
    constraint, so that replays are refused whichever process receives them."""

    line = models.ForeignKey(TelephonyLine, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=64)
    signed_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "signature"], name="unique_line_signature")
        ]

    def __str__(self) -> str:
        return self.signature[:12]
