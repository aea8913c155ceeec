"""Django admin for the resource directory: the HSDS records to curate, imports and informal
resources to look at.

HSDS records are public information and have no rule beyond the standard: administrators may
correct them here (django-auditlog records each change; the search data of the services an edit
touches are rebuilt at once). Links use raw ids: the optional ones
may name records we don't hold (decision 0011). Informal resources and imports change only
through their services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import TextInput
from django.http import HttpRequest

from prossimo.directory import models as m
from prossimo.directory.hsds import tables
from prossimo.directory.indexing import refresh_services, services_touched

# One-line texts: HSDS stores every text as TEXT, but names and codes fit on a line.
_SHORT = {
    "name",
    "alternate_name",
    "email",
    "website",
    "tax_status",
    "tax_id",
    "legal_status",
    "logo",
    "uri",
    "url",
    "number",
    "type",
    "title",
    "department",
    "attention",
    "address_1",
    "address_2",
    "city",
    "region",
    "state_province",
    "postal_code",
    "country",
    "code",
    "currency",
    "option",
    "identifier",
    "identifier_scheme",
    "identifier_type",
    "version",
    "language",
    "term_uri",
    "link_type",
    "link_entity",
    "value",
    "resource_type",
    "field_name",
    "updated_by",
    "last_action_type",
    "schedule_link",
    "byday",
    "byweekno",
    "bymonthday",
    "byyearday",
    "assurer_email",
    "extent_type",
    "external_identifier",
    "external_identifier_type",
    "character_set",
}


class HsdsAdmin(admin.ModelAdmin):
    """An HSDS table: its id shown, links as raw ids, short texts on one line."""

    readonly_fields = ("id", "created_at", "updated_at")
    show_full_result_count = False

    def get_raw_id_fields(self, request: HttpRequest) -> Any:
        return [f.name for f in self.model._meta.concrete_fields if f.is_relation]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, models.TextField) and db_field.name in _SHORT:
            kwargs["widget"] = TextInput(attrs={"class": "vTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Search data (municipalities served, search documents, opening spans) follow each edit.

    def _table(self) -> str:
        return next(name for name, spec in tables().items() if spec.model is self.model)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        refresh_services(services_touched(self._table(), [form.instance.pk]))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        touched = services_touched(self._table(), [obj.pk])
        super().delete_model(request, obj)
        refresh_services(touched)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        touched = services_touched(self._table(), list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        refresh_services(touched)


class ServiceNeedInline(admin.TabularInline):
    model = m.ServiceNeed
    extra = 0
    autocomplete_fields = ("category",)


class ServiceAtLocationInline(admin.TabularInline):
    model = m.ServiceAtLocation
    fk_name = "service"
    extra = 0
    raw_id_fields = ("location",)
    fields = ("id", "location", "description")
    readonly_fields = ("id",)


@admin.register(m.Service)
class ServiceAdmin(HsdsAdmin):
    list_display = ("name", "organization", "status", "last_modified")
    list_filter = ("status",)
    list_select_related = ("organization",)
    search_fields = ("name", "alternate_name", "organization__name")
    ordering = ("name",)
    inlines = (ServiceNeedInline, ServiceAtLocationInline)


@admin.register(m.Organization)
class OrganizationAdmin(HsdsAdmin):
    list_display = ("name", "alternate_name", "email", "website")
    search_fields = ("name", "alternate_name", "tax_id")
    ordering = ("name",)


class AddressInline(admin.StackedInline):
    model = m.Address
    fk_name = "location"
    extra = 0
    readonly_fields = ("id",)


@admin.register(m.Location)
class LocationAdmin(HsdsAdmin):
    list_display = ("name", "location_type", "latitude", "longitude")
    list_filter = ("location_type",)
    search_fields = ("name", "alternate_name", "addresses__city")
    ordering = ("name",)
    inlines = (AddressInline,)


@admin.register(m.TaxonomyTerm)
class TaxonomyTermAdmin(HsdsAdmin):
    list_display = ("name", "code", "taxonomy", "language")
    search_fields = ("name", "code")
    ordering = ("name",)


@admin.register(m.Taxonomy)
class TaxonomyAdmin(HsdsAdmin):
    list_display = ("name", "version", "uri")
    search_fields = ("name",)
    ordering = ("name",)


_CUSTOM = {m.Service, m.Organization, m.Location, m.TaxonomyTerm, m.Taxonomy}
for _spec in tables().values():
    if _spec.model not in _CUSTOM:
        admin.site.register(
            _spec.model,
            type(f"{_spec.model.__name__}Admin", (HsdsAdmin,), {"list_display": ("__str__", "id")}),
        )


class LookAdmin(admin.ModelAdmin):
    """Look, never edit: every change goes through a service."""

    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.InformalResource)
class InformalResourceAdmin(LookAdmin):
    list_display = ("name", "kind", "municipality", "consent_to_be_listed", "recorded_by")
    list_filter = ("kind",)
    list_select_related = ("municipality", "recorded_by")
    search_fields = ("name",)
    fields = (
        "id",
        "kind",
        "name",
        "description",
        "phone",
        "municipality",
        "needs",
        "consent_to_be_listed",
        "recorded_by",
        "created_at",
        "updated_at",
    )


@admin.register(m.HsdsImport)
class HsdsImportAdmin(LookAdmin):
    list_display = ("created_at", "source", "imported_by")
    list_select_related = ("imported_by",)
    fields = ("id", "created_at", "source", "imported_by", "created", "updated", "warnings")
