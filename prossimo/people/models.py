"""The people registry (assistiti): people, their phones, reference persons and consents."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from prossimo.core.models import PublicIdModel, TimeStamped
from prossimo.core.permissions import Perm, Role, permissions_of
from prossimo.territory.models import Municipality, Organisation

# Languages most often met in Italian social services; ISO 639-1 codes.
LANGUAGE_CHOICES = [
    ("it", _("Italian")),
    ("en", _("English")),
    ("fr", _("French")),
    ("de", _("German")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("ro", _("Romanian")),
    ("sq", _("Albanian")),
    ("ar", _("Arabic")),
    ("zh", _("Chinese")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("pl", _("Polish")),
    ("hi", _("Hindi")),
    ("bn", _("Bengali")),
    ("ur", _("Urdu")),
    ("pa", _("Punjabi")),
    ("tl", _("Tagalog")),
    ("wo", _("Wolof")),
    ("lis", _("Italian Sign Language (LIS)")),
]

# Roles whose memberships open the records of the people of their organisations' territory.
CASEWORK_ROLES = frozenset(
    {
        Role.VOLUNTEER,
        Role.PROXIMITY_OPERATOR,
        Role.SOCIAL_WORKER,
        Role.COORDINATOR,
        Role.ADMINISTRATOR,
    }
)


def territory_rule(user: Any, prefix: str = "") -> Q | None:
    """Which people `user` may open, as a condition on a person's own row: None for nobody,
    an empty Q for everyone (administrators), else the people living in a municipality one
    of the user's casework organisations serves (directly or through an ambito) and the
    people shared with one of them. Person-side filters on three small subqueries: cheap to
    plan and execute, and each can use the (municipality, …) index. `prefix` ("person__")
    states the rule from a row that points at the person, for a query that evaluates it row
    by row (`listening.selectors.open_needs_of`)."""
    from prossimo.territory.selectors import (
        municipality_ids_served_by,
        organisation_ids_with_roles,
    )

    codes = permissions_of(user)
    if Perm.PEOPLE_VIEW not in codes:
        return None
    if Perm.PEOPLE_ALL_TERRITORIES in codes:
        return Q()
    org_ids = organisation_ids_with_roles(user, CASEWORK_ROLES)
    if not org_ids:
        return None
    direct, via_ambiti = municipality_ids_served_by(org_ids)
    shared = PersonShare.objects.filter(organisation_id__in=org_ids).values("person_id")
    return (
        Q(**{f"{prefix}municipality_id__in": direct})
        | Q(**{f"{prefix}municipality_id__in": via_ambiti})
        | Q(**{f"{prefix}{'id' if prefix else 'pk'}__in": shared})
    )


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: Any) -> PersonQuerySet:
        """People whose records `user` may open.

        - No one for anonymous users and for users without the `people.view` permission
          (monitoring officers see aggregates only).
        - Administrators (permission `people.all_territories`) see everyone.
        - Everyone else sees the people living in a municipality that one of their
          organisations serves (directly or through an ambito) in a casework role, and the
          people explicitly shared with one of those organisations.
        Merged-away records are never visible; deactivated ones are (filter them if needed).
        """
        rule = territory_rule(user)
        if rule is None:
            return self.none()
        return self.filter(rule, merged_into__isnull=True)

    def active(self) -> PersonQuerySet:
        return self.filter(is_active=True)


class Person(PublicIdModel):
    """An assistito: a person the network listens to, calls, visits or refers."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Consent of the person (GDPR art. 6.1.a, 9.2.a)")
        PUBLIC_TASK = "public_task", _("Public task of social services (art. 6.1.e, 9.2.g/h)")
        AGREEMENT = "agreement", _("Agreement with a public body (art. 6.1.e, 9.2.h)")

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("surname"), max_length=100)
    first_name_search = models.CharField(max_length=100, db_index=True, editable=False)
    last_name_search = models.CharField(max_length=100, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True, db_index=True)
    birth_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("place of birth (Italy)"),
    )
    birth_country = models.CharField(_("country of birth (if abroad)"), max_length=100, blank=True)
    fiscal_code = models.CharField(
        _("codice fiscale"), max_length=16, null=True, blank=True, unique=True
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="residents",
        verbose_name=_("municipality of residence"),
    )
    lives_alone = models.BooleanField(_("lives alone"), null=True, blank=True)
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    gp_name = models.CharField(_("general practitioner"), max_length=150, blank=True)
    gp_phone = models.CharField(_("general practitioner's phone"), max_length=20, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    legal_basis = models.CharField(
        _("legal basis for processing"),
        max_length=20,
        choices=LegalBasis.choices,
        default=LegalBasis.CONSENT,
    )
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followed_people",
        verbose_name=_("social worker"),
        help_text=_("The municipal social worker who follows the person, if any."),
    )
    registered_by_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    deactivation_reason = models.CharField(_("reason"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
        # Almost every row is NULL here: a full index would lead SQLite (no statistics) to
        # walk every live person; the partial index below serves `merged_from` only.
        db_index=False,
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["last_name_search", "first_name_search"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["municipality", "last_name_search"]),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="people_person_merged_into_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.pk)}


class PersonChild(TimeStamped):
    """Rows that belong to one person; their audit entries join the person's trail."""

    person: models.ForeignKey[Person, Person]
    person_id: Any

    class Meta:
        abstract = True

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)}


class Phone(PersonChild):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        LANDLINE = "landline", _("Landline")
        CAREGIVER = "caregiver", _("Caregiver")
        OTHER = "other", _("Other")

    number = models.CharField(_("number"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.MOBILE)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [
            models.UniqueConstraint(fields=["person", "number"], name="unique_person_phone")
        ]

    def __str__(self) -> str:
        return self.number


class ReferencePerson(PersonChild):
    """A caregiver, relative or neighbour to call about the person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reference_persons")

    name = models.CharField(_("name"), max_length=150)
    relationship = models.CharField(_("relationship"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    is_caregiver = models.BooleanField(_("caregiver"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("reference person")
        verbose_name_plural = _("reference persons")

    def __str__(self) -> str:
        return self.name


class Consent(PersonChild):
    """A consent or notice, given on a date, recorded by a user, possibly withdrawn later."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")

    class Kind(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", _("Privacy notice given")
        CALLS = "calls", _("Consent to be called")
        SHARE_SOCIAL = "share_social", _("Consent to share with social services")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    given_on = models.DateField(_("given on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawal recorded by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "-given_on"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return str(self.get_kind_display())

    @property
    def is_in_force(self) -> bool:
        return self.withdrawn_on is None


class PersonShare(PersonChild):
    """A person's record explicitly shared with an organisation outside their territory."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="shares")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="shared_people",
        verbose_name=_("organisation"),
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sharing")
        verbose_name_plural = _("sharings")
        constraints = [
            models.UniqueConstraint(fields=["person", "organisation"], name="unique_share")
        ]
