"""Closed-loop referrals: a need sent to a service of the directory, and what became of it.

A `Referral` carries a listening-line need of a person to a formal service of the resource
directory (`directory.Service`, HSDS). The organisation that delivers the service receives it
in Prossimo when its HSDS organization is linked to a Prossimo organisation
(`ReferralDestination`); otherwise a partner system updates it over FHIR, or nobody does and
the sender follows it up by phone, recording what the service tells them. Its states are the
FHIR Task statuses as the Gravity Project's SDOH Clinical Care guide uses them
(`ALLOWED_TRANSITIONS`); every move is a `ReferralTransition` (who, when, why, through which
channel). What leaves the sending organisation depends on the person's consent to share
(decision 0013).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from prossimo.core.models import PublicIdModel, TimeStamped
from prossimo.core.permissions import Perm, permissions_of
from prossimo.people.models import CASEWORK_ROLES, Person
from prossimo.territory.models import Organisation


class ReferralDestination(TimeStamped):
    """Where the referrals to the services of a directory organization go: the Prossimo
    organisation that works them, or the account a partner system uses to update them over
    FHIR (`PUT /api/fhir/Task/{id}`), or both. Set by administrators in the admin."""

    directory_organization = models.OneToOneField(
        "directory.Organization",
        on_delete=models.CASCADE,
        related_name="referral_destination",
        verbose_name=_("directory organization"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referral_destinations",
        verbose_name=_("receiving organisation in Prossimo"),
        help_text=_("Its members work the referrals in Prossimo. Empty: it does not use Prossimo."),
    )
    partner_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner system's account"),
        help_text=_(
            "The user whose API token a partner system uses to update these referrals over FHIR."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("referral destination")
        verbose_name_plural = _("referral destinations")

    def __str__(self) -> str:
        return str(self.directory_organization_id)


def _casework_org_ids(user: Any) -> Any:
    from prossimo.territory.selectors import organisation_ids_with_roles

    return organisation_ids_with_roles(user, CASEWORK_ROLES)


def partner_of(user: Any) -> Q:
    """Referrals to the services of the directory organizations whose active destination has
    `user` as its partner system's account."""
    return Q(
        service__organization__referral_destination__partner_account=user,
        service__organization__referral_destination__is_active=True,
    )


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: Any) -> ReferralQuerySet:
        """Referrals `user` may read.

        - A partner system's account: the referrals to the directory organizations it is the
          partner of (`ReferralDestination.partner_account`), and nothing else.
        - Nobody else without `people.view` (monitoring officers see no referral).
        - Administrators (`people.all_territories`) see every referral.
        - Everyone else: the referrals sent by, or to, one of their casework organisations,
          those they sent, and those of the people they follow as social worker.
        """
        if not getattr(user, "is_authenticated", False):
            return self.none()
        as_partner = partner_of(user)
        codes = permissions_of(user)
        if Perm.PEOPLE_VIEW not in codes:
            return self.filter(as_partner)
        if Perm.PEOPLE_ALL_TERRITORIES in codes:
            return self.all()
        orgs = _casework_org_ids(user)
        return self.filter(
            Q(sending_organisation__in=orgs)
            | Q(receiving_organisation__in=orgs)
            | Q(sender=user)
            | Q(person__social_worker=user)
            | as_partner
        )

    def open(self) -> ReferralQuerySet:
        return self.exclude(state__in=Referral.FINAL)


class Referral(PublicIdModel):
    """A person's need sent to a service; its state follows FHIR Task's `status`."""

    class State(models.TextChoices):
        # The values are FHIR Task status codes.
        REQUESTED = "requested", _("Requested")
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Declined")
        IN_PROGRESS = "in-progress", _("In progress")
        ON_HOLD = "on-hold", _("On hold")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", pgettext_lazy("referral state", "Cancelled")
        FAILED = "failed", _("Failed")

    FINAL = (State.COMPLETED, State.CANCELLED, State.FAILED, State.REJECTED)
    #: States whose move needs a reason (said to the other side).
    NEED_REASON = (State.REJECTED, State.CANCELLED, State.FAILED, State.ON_HOLD)

    need = models.ForeignKey(
        "listening.Need", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("need")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="service_referrals", verbose_name=_("person")
    )
    service = models.ForeignKey(
        "directory.Service",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("service"),
    )
    receiving_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
        verbose_name=_("receiving organisation"),
        help_text=_("Empty when the service's organization does not use Prossimo."),
    )
    sending_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals_sent",
        verbose_name=_("sending organisation"),
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REQUESTED, db_index=True
    )
    reason = models.CharField(
        _("reason"), max_length=500, blank=True, help_text=_("Of the last change of state.")
    )
    shared_summary = models.TextField(
        _("summary shared"),
        blank=True,
        help_text=_("Only with the person's consent to share; otherwise empty."),
    )
    share_consent = models.BooleanField(_("consent to share"), default=False)
    share_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent recorded by"),
    )
    share_consent_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=20,
        help_text=_("A number of the person's that they agreed to give to the service."),
    )
    requested_at = models.DateTimeField(_("sent at"))
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state changed at"))
    receipt_alert = models.ForeignKey(
        "listening.Alert",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("alert: not received"),
    )
    version = models.PositiveIntegerField(default=1)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("referral to a service")
        verbose_name_plural = _("referrals to services")
        indexes = [
            models.Index(fields=["receiving_organisation", "state", "requested_at"]),
            models.Index(fields=["sending_organisation", "state"]),
            models.Index(fields=["state", "requested_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} {self.requested_at:%Y-%m-%d}"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)}


S = Referral.State

# The state machine (FHIR Task as the Gravity SDOH Clinical Care guide uses it): from → to.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.RECEIVED, S.ACCEPTED, S.REJECTED, S.CANCELLED}),
    S.RECEIVED: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.COMPLETED, S.CANCELLED, S.FAILED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.CANCELLED, S.FAILED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset(),
    S.REJECTED: frozenset(),
}

#: The one move the sending side makes; every other is the receiving side's.
SENDER_STATES = frozenset({S.CANCELLED})
#: The receiving side's moves. When nobody receives a referral in Prossimo (no receiving
#: organisation, no partner system), the sending side records them as the service told it
#: (`ReferralTransition.Via.PHONE`).
RECEIVER_STATES = frozenset(S.values) - SENDER_STATES - {S.REQUESTED}


class ReferralTransition(models.Model):
    """One move of a referral's state: from, to, who, when, why, and through what."""

    class Via(models.TextChoices):
        UI = "ui", _("Prossimo's pages")
        API = "api", _("API")
        FHIR = "fhir", _("FHIR")
        SYSTEM = "system", _("Prossimo itself")
        #: Recorded by the sending side as a service outside Prossimo told it.
        PHONE = "phone", _("Told by the service (phone, e-mail)")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(_("from"), max_length=12, choices=S.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=S.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    via = models.CharField(_("through"), max_length=6, choices=Via.choices, default=Via.UI)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("referral state change")
        verbose_name_plural = _("referral state changes")

    def __str__(self) -> str:
        return f"{self.from_state or '—'} → {self.to_state}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.referral.person_id)}


class ServiceInformationQuerySet(models.QuerySet["ServiceInformation"]):
    def visible_to(self, user: Any) -> ServiceInformationQuerySet:
        """What callers were told about, for the needs `user` may see
        (`listening.Need.objects.visible_to`): the listening line's own record, with no data
        leaving the organisation."""
        from prossimo.listening.models import Need

        return self.filter(need__in=Need.objects.visible_to(user).values("pk"))


class ServiceInformation(PublicIdModel):
    """ "Information given": a caller was told about a service that meets one of their needs
    (its phone, its hours), to contact it themselves. Nothing is sent to the service."""

    need = models.ForeignKey(
        "listening.Need",
        on_delete=models.PROTECT,
        related_name="information_given",
        verbose_name=_("need"),
    )
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    contact = models.ForeignKey(
        "listening.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
        help_text=_("The call on which the information was given."),
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("given by"),
    )
    given_at = models.DateTimeField(_("given at"))

    objects = ServiceInformationQuerySet.as_manager()

    class Meta:
        ordering = ["given_at", "pk"]
        verbose_name = _("information given about a service")
        verbose_name_plural = _("information given about services")
        constraints = [
            models.UniqueConstraint(fields=["need", "service"], name="referrals_information_once")
        ]

    def __str__(self) -> str:
        return f"{self.given_at:%Y-%m-%d}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.need.person_id) if self.need.person_id else None}
