"""Territory reference data (ISTAT), ambiti, organisations and users' memberships in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prossimo.core.models import TimeStamped
from prossimo.core.permissions import Role


class Region(models.Model):
    istat_code = models.CharField(_("ISTAT code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Province(models.Model):
    """A province or equivalent unit (ISTAT 'unità territoriale sovracomunale')."""

    istat_code = models.CharField(_("ISTAT code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=100)
    abbreviation = models.CharField(_("abbreviation"), max_length=2, db_index=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="provinces", verbose_name=_("region")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """An Italian comune, with its ISTAT code and cadastral (Belfiore) code."""

    istat_code = models.CharField(_("ISTAT code"), max_length=6, unique=True)
    cadastral_code = models.CharField(_("cadastral code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=150)
    name_search = models.CharField(max_length=150, db_index=True, editable=False)
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="municipalities",
        verbose_name=_("province"),
    )
    nuts3 = models.CharField(_("NUTS 3 code"), max_length=5, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("False for a municipality no longer in ISTAT's current list."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """Name with the province abbreviation; select_related("province") before listing."""
        return f"{self.name} ({self.province.abbreviation})"


class Ambito(TimeStamped):
    """An 'ambito territoriale': a named group of municipalities planning social services."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    code = models.CharField(_("code"), max_length=30, blank=True)
    municipalities = models.ManyToManyField(
        Municipality, related_name="ambiti", blank=True, verbose_name=_("municipalities")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("ambito territoriale")
        verbose_name_plural = _("ambiti territoriali")

    def __str__(self) -> str:
        return self.name


class Organisation(TimeStamped):
    """An organisation of the network; it serves municipalities, directly or through ambiti."""

    class Kind(models.TextChoices):
        ATS = "ats", _("Health protection agency (ATS)")
        MUNICIPALITY = "municipality", _("Municipality")
        COOPERATIVE = "cooperative", _("Social cooperative")
        ASSOCIATION = "association", _("Association / ODV")
        HEALTH_SERVICE = "health_service", _("Health service")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    tax_code = models.CharField(_("tax code"), max_length=16, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    municipalities = models.ManyToManyField(
        Municipality,
        related_name="served_by",
        blank=True,
        verbose_name=_("municipalities served"),
    )
    ambiti = models.ManyToManyField(
        Ambito,
        related_name="served_by",
        blank=True,
        verbose_name=_("ambiti served"),
        help_text=_("Every municipality of these ambiti is served, as the ambito changes."),
    )
    runs_proximity_desk = models.BooleanField(
        _("runs a proximity desk"),
        default=False,
        help_text=_("Needs handed over by the listening line go to this organisation's desk."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(TimeStamped):
    """A user works for an organisation in a role. A user may hold several memberships."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="unique_membership_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"
