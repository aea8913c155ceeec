"""The resource directory: the HSDS 3.0 tables, one model each, and Prossimo's own additions.

Every HSDS table (organization, service, location, service_at_location, address, phone,
schedule, …) is a model of the same name whose fields carry the standard's names and types, and
whose primary key is the record's HSDS id, so that an import followed by an export gives back
the same records (decision 0011). Texts the standard leaves out are empty strings; numbers,
dates and times it leaves out are NULL.

Links come in two kinds. The links the standard's tabular form requires (a service's
organization, a program's organization, both ends of a service_at_location, …) are real foreign
keys: they always point at a record. The optional links (a phone's service, a location's
organization, a term's parent, …) are foreign keys without a database constraint: HSDS
datasets are often extracts of a larger directory, and a link to a record we don't hold is kept
as it was given, to be written back on export.

Prossimo's own: `ServiceNeed` (which needs of the listening line's taxonomy a service meets),
`ServiceMunicipality` (which municipalities it serves), `ServiceSearch` and `ServiceOpening`
(what search reads: a text document and opening spans per service, derived from the rest),
and `InformalResource` (a person or group who agreed to be listed, seen by staff only, never
exported). `HsdsImport` records each import.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from prossimo.core.models import PublicIdModel, TimeStamped
from prossimo.core.permissions import Perm, permissions_of
from prossimo.listening.models import NeedCategory
from prossimo.territory.models import Municipality

_M = TypeVar("_M", bound=models.Model)


class DirectoryQuerySet(models.QuerySet[_M]):
    def visible_to(self, user: Any) -> DirectoryQuerySet[_M]:
        """Formal directory records (HSDS) are public information about public and third-sector
        services: everyone sees all of them. Whether anonymous visitors reach them is decided
        by the page or API that shows them (behind a setting), not here."""
        return self.all()


class HsdsRecord(TimeStamped):
    """A row of an HSDS table, addressed by its HSDS id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        abstract = True


def _text(label: Any, *, required: bool = False) -> Any:
    if required:
        return models.TextField(label)
    return models.TextField(label, blank=True, default="")


def _number(label: Any) -> Any:
    return models.FloatField(label, null=True, blank=True)


def _date(label: Any) -> Any:
    return models.DateField(label, null=True, blank=True)


def _link(to: str | type[models.Model], label: Any, related_name: str) -> Any:
    """An optional HSDS link: kept as given even when we don't hold the record it names."""
    return models.ForeignKey(
        to,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name=related_name,
        verbose_name=label,
    )


class Organization(HsdsRecord):
    """HSDS organization: a body that delivers services (not a `territory.Organisation`, which
    is an organisation using Prossimo)."""

    name = _text(_("name"), required=True)
    alternate_name = _text(_("alternate name"))
    description = _text(_("description"), required=True)
    email = _text(_("e-mail"))
    website = _text(_("website"))
    tax_status = _text(_("tax status"))
    tax_id = _text(_("tax id"))
    year_incorporated = _number(_("year incorporated"))
    legal_status = _text(_("legal status"))
    logo = _text(_("logo"))
    uri = _text(_("URI"))
    parent_organization = _link("self", _("parent organization"), "child_organizations")

    class Meta:
        verbose_name = _("directory organization")
        verbose_name_plural = _("directory organizations")

    def __str__(self) -> str:
        return self.name


class Program(HsdsRecord):
    """HSDS program: a group of related services of one organization."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="programs",
        verbose_name=_("organization"),
    )
    name = _text(_("name"), required=True)
    alternate_name = _text(_("alternate name"))
    description = _text(_("description"), required=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")

    def __str__(self) -> str:
        return self.name


class Service(HsdsRecord):
    """HSDS service: what an organization offers to people."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        DEFUNCT = "defunct", _("Defunct")
        TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("organization"),
    )
    program = _link(Program, _("program"), "services")
    name = _text(_("name"), required=True)
    alternate_name = _text(_("alternate name"))
    description = _text(_("description"))
    url = _text(_("URL"))
    email = _text(_("e-mail"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    interpretation_services = _text(_("interpretation services"))
    application_process = _text(_("application process"))
    fees_description = _text(_("fees description"))
    wait_time = _text(_("wait time (deprecated)"))
    fees = _text(_("fees (deprecated)"))
    accreditations = _text(_("accreditations"))
    eligibility_description = _text(_("eligibility description"))
    minimum_age = _number(_("minimum age"))
    maximum_age = _number(_("maximum age"))
    assured_date = _date(_("assured date"))
    assurer_email = _text(_("assurer e-mail"))
    licenses = _text(_("licenses (deprecated)"))
    alert = _text(_("alert"))
    last_modified = models.DateTimeField(_("last modified"), null=True, blank=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        # Search lists active services by name: walked in order, stopping at the page's end.
        indexes = [
            models.Index(fields=["status", "name", "id"], name="directory_service_by_name_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Location(HsdsRecord):
    """HSDS location: a place (or a postal or virtual address) where services are delivered."""

    class Type(models.TextChoices):
        PHYSICAL = "physical", _("Physical")
        POSTAL = "postal", _("Postal")
        VIRTUAL = "virtual", _("Virtual")

    location_type = models.CharField(_("location type"), max_length=10, choices=Type.choices)
    url = _text(_("URL"))
    organization = _link(Organization, _("organization"), "locations")
    name = _text(_("name"))
    alternate_name = _text(_("alternate name"))
    description = _text(_("description"))
    transportation = _text(_("transportation"))
    latitude = _number(_("latitude"))
    longitude = _number(_("longitude"))
    external_identifier = _text(_("external identifier"))
    external_identifier_type = _text(_("external identifier type"))

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return self.name or str(self.pk)


class ServiceAtLocation(HsdsRecord):
    """HSDS service_at_location: a service delivered at a location."""

    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="service_at_locations",
        verbose_name=_("service"),
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        related_name="service_at_locations",
        verbose_name=_("location"),
    )
    description = _text(_("description"))

    class Meta:
        verbose_name = _("service at location")
        verbose_name_plural = _("services at locations")

    def __str__(self) -> str:
        return str(self.pk)


class Contact(HsdsRecord):
    """HSDS contact: a named contact person of an organization, service or location."""

    organization = _link(Organization, _("organization"), "contacts")
    service = _link(Service, _("service"), "contacts")
    service_at_location = _link(ServiceAtLocation, _("service at location"), "contacts")
    location = _link(Location, _("location"), "contacts")
    name = _text(_("name"))
    title = _text(_("title"))
    department = _text(_("department"))
    email = _text(_("e-mail"))

    class Meta:
        verbose_name = _("directory contact")
        verbose_name_plural = _("directory contacts")

    def __str__(self) -> str:
        return self.name or str(self.pk)


class Phone(HsdsRecord):
    """HSDS phone: a number of an organization, service, location or contact, kept as given
    (HSDS numbers are free text, often not E.164)."""

    location = _link(Location, _("location"), "phones")
    service = _link(Service, _("service"), "phones")
    organization = _link(Organization, _("organization"), "phones")
    contact = _link(Contact, _("contact"), "phones")
    service_at_location = _link(ServiceAtLocation, _("service at location"), "phones")
    number = _text(_("number"), required=True)
    extension = _number(_("extension"))
    type = _text(_("type"))
    description = _text(_("description"))

    class Meta:
        verbose_name = _("directory phone")
        verbose_name_plural = _("directory phones")

    def __str__(self) -> str:
        return self.number


class Address(HsdsRecord):
    """HSDS address of a location."""

    class Type(models.TextChoices):
        PHYSICAL = "physical", _("Physical")
        POSTAL = "postal", _("Postal")
        VIRTUAL = "virtual", _("Virtual")

    location = _link(Location, _("location"), "addresses")
    attention = _text(_("attention"))
    address_1 = _text(_("address"), required=True)
    address_2 = _text(_("address (continued)"))
    city = _text(_("city"), required=True)
    region = _text(_("region"))
    state_province = _text(_("state or province"), required=True)
    postal_code = _text(_("postal code"), required=True)
    country = _text(_("country"), required=True)
    address_type = models.CharField(_("address type"), max_length=10, choices=Type.choices)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.address_1}, {self.city}"


class Schedule(HsdsRecord):
    """HSDS schedule: when a service or location is open (RFC 5545 recurrence fields)."""

    class Weekday(models.TextChoices):
        MO = "MO", _("Monday")
        TU = "TU", _("Tuesday")
        WE = "WE", _("Wednesday")
        TH = "TH", _("Thursday")
        FR = "FR", _("Friday")
        SA = "SA", _("Saturday")
        SU = "SU", _("Sunday")

    class Frequency(models.TextChoices):
        WEEKLY = "WEEKLY", _("Weekly")
        MONTHLY = "MONTHLY", _("Monthly")

    service = _link(Service, _("service"), "schedules")
    location = _link(Location, _("location"), "schedules")
    service_at_location = _link(ServiceAtLocation, _("service at location"), "schedules")
    valid_from = _date(_("valid from"))
    valid_to = _date(_("valid to"))
    dtstart = _date(_("first occurrence"))
    timezone = _number(_("time zone (UTC offset)"))
    until = _date(_("until"))
    count = _number(_("number of occurrences"))
    wkst = models.CharField(
        _("week starts on"), max_length=2, choices=Weekday.choices, blank=True, default=""
    )
    freq = models.CharField(
        _("frequency"), max_length=7, choices=Frequency.choices, blank=True, default=""
    )
    interval = _number(_("interval"))
    byday = _text(_("days of the week"))
    byweekno = _text(_("weeks of the year"))
    bymonthday = _text(_("days of the month"))
    byyearday = _text(_("days of the year"))
    description = _text(_("description"))
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    schedule_link = _text(_("schedule link"))
    attending_type = _text(_("attending type"))
    notes = _text(_("notes"))

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self) -> str:
        return self.description or str(self.pk)


class Funding(HsdsRecord):
    """HSDS funding: a source of funding of an organization or service."""

    organization = _link(Organization, _("organization"), "funding")
    service = _link(Service, _("service"), "funding")
    source = _text(_("source"))

    class Meta:
        verbose_name = _("funding")
        verbose_name_plural = _("funding")

    def __str__(self) -> str:
        return self.source[:60] or str(self.pk)


class ServiceArea(HsdsRecord):
    """HSDS service_area: where a service is available."""

    service = _link(Service, _("service"), "service_areas")
    name = _text(_("name"))
    description = _text(_("description"))
    extent = _text(_("extent"))
    extent_type = _text(_("extent type"))
    uri = _text(_("URI"))

    class Meta:
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")

    def __str__(self) -> str:
        return self.name[:60] or str(self.pk)


class RequiredDocument(HsdsRecord):
    """HSDS required_document: a document needed to access a service."""

    service = _link(Service, _("service"), "required_documents")
    document = _text(_("document"))
    uri = _text(_("URI"))

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")

    def __str__(self) -> str:
        return self.document[:60] or str(self.pk)


class Language(HsdsRecord):
    """HSDS language: a language spoken at a service, location or phone."""

    service = _link(Service, _("service"), "languages")
    location = _link(Location, _("location"), "languages")
    phone = _link(Phone, _("phone"), "languages")
    name = _text(_("name"))
    code = _text(_("code"))
    note = _text(_("note"))

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return self.name or self.code or str(self.pk)


class Accessibility(HsdsRecord):
    """HSDS accessibility: the accessibility of a location."""

    location = _link(Location, _("location"), "accessibility")
    description = _text(_("description"))
    details = _text(_("details"))
    url = _text(_("URL"))

    class Meta:
        verbose_name = _("accessibility")
        verbose_name_plural = _("accessibility")

    def __str__(self) -> str:
        return self.description[:60] or str(self.pk)


class Taxonomy(HsdsRecord):
    """HSDS taxonomy: a classification whose terms describe services."""

    name = _text(_("name"), required=True)
    description = _text(_("description"), required=True)
    uri = _text(_("URI"))
    version = _text(_("version"))

    class Meta:
        verbose_name = _("taxonomy")
        verbose_name_plural = _("taxonomies")

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(HsdsRecord):
    """HSDS taxonomy_term. `taxonomy` is the standard's free-text field; the link to the
    taxonomy record (HSDS `taxonomy_id`) is `taxonomy_detail`, the name HSDS gives to the
    nested taxonomy."""

    code = _text(_("code"))
    name = _text(_("name"), required=True)
    description = _text(_("description"), required=True)
    parent = _link("self", _("parent"), "children")
    taxonomy = _text(_("taxonomy (free text)"))
    language = _text(_("language"))
    taxonomy_detail = models.ForeignKey(
        Taxonomy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        db_column="taxonomy_id",
        related_name="terms",
        verbose_name=_("taxonomy"),
    )
    term_uri = _text(_("term URI"))

    class Meta:
        verbose_name = _("taxonomy term")
        verbose_name_plural = _("taxonomy terms")

    def __str__(self) -> str:
        return self.name


class Attribute(HsdsRecord):
    """HSDS attribute: a taxonomy term given to any record (`link_id`, of table
    `link_entity`)."""

    link_id = models.UUIDField(_("linked record"), db_index=True)
    taxonomy_term = models.ForeignKey(
        TaxonomyTerm,
        on_delete=models.PROTECT,
        related_name="attributes",
        verbose_name=_("taxonomy term"),
    )
    link_type = _text(_("link type"))
    link_entity = _text(_("linked table"), required=True)
    value = _text(_("value"))

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")

    def __str__(self) -> str:
        return str(self.pk)


class Metadata(HsdsRecord):
    """HSDS metadata: a recorded change of a field of any record (`resource_id`, of table
    `resource_type`)."""

    resource_id = models.UUIDField(_("record"), db_index=True)
    resource_type = _text(_("table"), required=True)
    last_action_date = models.DateField(_("date of the change"))
    last_action_type = _text(_("kind of change"), required=True)
    field_name = _text(_("field"), required=True)
    previous_value = _text(_("previous value"), required=True)
    replacement_value = _text(_("new value"), required=True)
    updated_by = _text(_("changed by"), required=True)

    class Meta:
        verbose_name = _("metadata")
        verbose_name_plural = _("metadata")

    def __str__(self) -> str:
        return str(self.pk)


class MetaTableDescription(HsdsRecord):
    """HSDS meta_table_description: the language and character set of the tables."""

    name = _text(_("name"))
    language = _text(_("language"))
    character_set = _text(_("character set"))

    class Meta:
        verbose_name = _("table description")
        verbose_name_plural = _("table descriptions")

    def __str__(self) -> str:
        return self.name or str(self.pk)


class CostOption(HsdsRecord):
    """HSDS cost_option: what a service costs, in a period."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="cost_options", verbose_name=_("service")
    )
    valid_from = _date(_("valid from"))
    valid_to = _date(_("valid to"))
    option = _text(_("option"))
    currency = _text(_("currency"))
    amount = _number(_("amount"))
    amount_description = _text(_("amount description"))

    class Meta:
        verbose_name = _("cost option")
        verbose_name_plural = _("cost options")

    def __str__(self) -> str:
        return self.option or str(self.pk)


class OrganizationIdentifier(HsdsRecord):
    """HSDS organization_identifier: a registry number of an organization."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="organization_identifiers",
        verbose_name=_("organization"),
    )
    identifier_scheme = _text(_("identifier scheme"))
    identifier_type = _text(_("identifier type"), required=True)
    identifier = _text(_("identifier"), required=True)

    class Meta:
        verbose_name = _("organization identifier")
        verbose_name_plural = _("organization identifiers")

    def __str__(self) -> str:
        return self.identifier


# Prossimo's own ------------------------------------------------------------------------------


class ServiceNeed(TimeStamped):
    """A need of the listening line's taxonomy that a service meets (not part of HSDS)."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="needs_met", verbose_name=_("service")
    )
    category = models.ForeignKey(
        NeedCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("need")
    )

    class Meta:
        verbose_name = _("need met by a service")
        verbose_name_plural = _("needs met by services")
        constraints = [
            models.UniqueConstraint(fields=["service", "category"], name="directory_need_once")
        ]

    def __str__(self) -> str:
        return f"{self.service_id} → {self.category_id}"


class ServiceMunicipality(TimeStamped):
    """A municipality a service serves (not part of HSDS): what "services for people living in
    X" searches. Filled from the service's areas and the addresses of its locations when HSDS
    data are imported (`source` says which), or set by hand by an administrator."""

    class Source(models.TextChoices):
        AREA = "area", _("Service area")
        LOCATION = "location", _("Address of a location")
        MANUAL = "manual", _("Set by hand")

    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="municipalities_served",
        verbose_name=_("service"),
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)

    class Meta:
        verbose_name = _("municipality served")
        verbose_name_plural = _("municipalities served")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "municipality"], name="directory_municipality_once"
            )
        ]
        indexes = [models.Index(fields=["municipality", "service"], name="directory_served_idx")]

    def __str__(self) -> str:
        return f"{self.service_id} → {self.municipality_id}"


class ServiceSearch(models.Model):
    """The search document of a service (not part of HSDS), rebuilt by
    `prossimo.directory.indexing.refresh_services` whenever what it copies changes.

    `name` (the service's names) and `body` (description, eligibility, organization, needs met,
    taxonomy terms, places and areas) are indexed for full-text search: on SQLite by the FTS5
    table `directory_servicesearch_fts` (external content, kept in step by triggers), on
    PostgreSQL by the generated column `document` (a weighted `tsvector`, Italian stemming
    without accents) with a GIN index — both made by migration 0003, unknown to the ORM.
    `stems` holds the Italian stems of the words, so that SQLite's prefix queries on a stem
    also find words whose stem is not their prefix ("assistenza" → "assistent")."""

    service = models.OneToOneField(
        Service,
        on_delete=models.CASCADE,
        related_name="search_document",
        verbose_name=_("service"),
    )
    name = models.TextField(_("names"), blank=True, default="")
    body = models.TextField(_("text"), blank=True, default="")
    stems = models.TextField(_("stems"), blank=True, default="")

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return self.name[:60]


class ServiceOpening(models.Model):
    """When a service is open, precomputed from its schedules (not part of HSDS) for "open
    now" searches: one row per day rule and time span, in minutes of local time (Europe/Rome).

    A row opens on days matching `weekday` (0 Monday … 6 Sunday), optionally only the `nth`
    such weekday of the month (1…5, or -1 the last…), or on day `month_day` of the month (1…31,
    -1 the last…); every week, or every `every_weeks` weeks when the week's number (Monday-based
    weeks since 1970-01-05) modulo `every_weeks` is `week_phase`; between `starts_on` and
    `ends_on` when given. It is open from `opens` to `closes` (minutes, closes > opens).
    A span past midnight is split: the part after midnight is a row with `after_midnight`
    set, whose day rule still describes the day it started on. National holidays count as
    Sundays (decision 0012)."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="openings", verbose_name=_("service")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)
    nth = models.SmallIntegerField(_("week of the month"), null=True, blank=True)
    month_day = models.SmallIntegerField(_("day of the month"), null=True, blank=True)
    every_weeks = models.PositiveSmallIntegerField(_("every N weeks"), null=True, blank=True)
    week_phase = models.PositiveSmallIntegerField(_("week phase"), null=True, blank=True)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    opens = models.PositiveSmallIntegerField(_("opens (minute of the day)"))
    closes = models.PositiveSmallIntegerField(_("closes (minute of the day)"))
    after_midnight = models.BooleanField(_("after midnight"), default=False)

    class Meta:
        verbose_name = _("opening span")
        verbose_name_plural = _("opening spans")
        # Covering indexes: "open at" reads these rows only, never the table.
        _rule = ["nth", "every_weeks", "week_phase", "starts_on", "ends_on", "service"]
        indexes = [
            models.Index(
                fields=["weekday", "after_midnight", "opens", "closes", "month_day", *_rule],
                name="directory_open_weekday_idx",
            ),
            models.Index(
                fields=["month_day", "after_midnight", "opens", "closes", "weekday", *_rule],
                name="directory_open_monthday_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.weekday} {self.opens}-{self.closes}"


class InformalResourceQuerySet(models.QuerySet["InformalResource"]):
    def visible_to(self, user: Any) -> InformalResourceQuerySet:
        """Informal resources are a private person's or group's details, listed with their
        consent for the staff who orient people: never public, never exported.

        - Nobody without `listening.log` (anonymous visitors, monitoring officers).
        - Administrators (`people.all_territories`) see all of them.
        - Other staff see those of the municipalities that one of their casework organisations
          serves (directly or through an ambito), and those they recorded themselves.
        """
        from prossimo.people.models import CASEWORK_ROLES
        from prossimo.territory.selectors import (
            municipality_ids_served_by,
            organisation_ids_with_roles,
        )

        codes = permissions_of(user)
        if Perm.LISTENING_LOG not in codes:
            return self.none()
        if Perm.PEOPLE_ALL_TERRITORIES in codes:
            return self.all()
        direct, via_ambiti = municipality_ids_served_by(
            organisation_ids_with_roles(user, CASEWORK_ROLES)
        )
        return self.filter(
            Q(municipality__in=direct) | Q(municipality__in=via_ambiti) | Q(recorded_by=user)
        )


class InformalResource(PublicIdModel):
    """A person or a group who helps informally (a neighbour who does the shopping, a parish
    group that visits) and agreed to be listed. Not an HSDS record: never exported."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        GROUP = "group", _("Group")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(
        _("description"), blank=True, help_text=_("What they offer, when, to whom.")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    needs = models.ManyToManyField(
        NeedCategory, blank=True, related_name="+", verbose_name=_("needs met")
    )
    consent_to_be_listed = models.DateField(
        _("consent to be listed given on"),
        help_text=_("The day the person or group agreed to be listed in the directory."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("consent recorded by"),
    )

    objects = InformalResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("informal resource")
        verbose_name_plural = _("informal resources")

    def __str__(self) -> str:
        # Not the name: this text is copied into audit entries, which outlive a withdrawal.
        return f"{self.get_kind_display()} {str(self.pk)[:8]}"


class HsdsImport(PublicIdModel):
    """One HSDS import that was written: what, by whom, how many records."""

    source = models.CharField(_("source"), max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created = models.JSONField(_("records created"), default=dict)
    updated = models.JSONField(_("records updated"), default=dict)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    class Meta:
        verbose_name = _("HSDS import")
        verbose_name_plural = _("HSDS imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source} ({self.created_at:%Y-%m-%d %H:%M})"
