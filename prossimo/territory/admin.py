"""Django admin for territory data: ISTAT tables (read-only), ambiti, organisations, members."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from prossimo.core.admin import add_user_inline
from prossimo.territory.models import (
    Ambito,
    Membership,
    Municipality,
    Organisation,
    Province,
    Region,
)


class IstatAdmin(admin.ModelAdmin):
    """ISTAT's tables change only through `prossimo load_territory`: look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(IstatAdmin):
    list_display = ("name", "istat_code")
    search_fields = ("name", "istat_code")


@admin.register(Province)
class ProvinceAdmin(IstatAdmin):
    list_display = ("name", "abbreviation", "istat_code", "region")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("name", "abbreviation", "istat_code")


@admin.register(Municipality)
class MunicipalityAdmin(IstatAdmin):
    list_display = ("name", "province", "istat_code", "cadastral_code", "is_active")
    list_filter = ("is_active", "province__region")
    list_select_related = ("province",)
    search_fields = ("name", "istat_code", "cadastral_code", "province__abbreviation")
    show_full_result_count = False


def _labelled_municipalities(formfield: Any) -> Any:
    """Municipality choices as “Name (PV)”: many names exist in more than one province."""
    formfield.queryset = formfield.queryset.select_related("province")
    formfield.label_from_instance = lambda m: m.label
    return formfield


@admin.register(Ambito)
class AmbitoAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "n_municipalities")
    search_fields = ("name", "code")
    filter_horizontal = ("municipalities",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ambito]:
        return super().get_queryset(request).annotate(n_municipalities=Count("municipalities"))

    @admin.display(description=_("municipalities"), ordering="n_municipalities")
    def n_municipalities(self, obj: Ambito) -> int:
        return obj.n_municipalities  # type: ignore[attr-defined]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _labelled_municipalities(field) if db_field.name == "municipalities" else field


class OrganisationMembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "is_active")
    autocomplete_fields = ("user",)
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "tax_code", "email")
    filter_horizontal = ("municipalities", "ambiti")
    inlines = (OrganisationMembershipInline,)
    fieldsets = (
        (None, {"fields": ("name", "kind", "is_active")}),
        (_("Contacts"), {"fields": ("tax_code", "phone", "email")}),
        (_("Territory served"), {"fields": ("ambiti", "municipalities")}),
    )

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _labelled_municipalities(field) if db_field.name == "municipalities" else field


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "is_active")
    list_filter = ("role", "is_active", "organisation")
    list_select_related = ("user", "organisation")
    search_fields = ("user__username", "user__last_name", "organisation__name")
    autocomplete_fields = ("user", "organisation")


class UserMembershipInline(admin.TabularInline):
    model = Membership
    fields = ("organisation", "role", "is_active")
    autocomplete_fields = ("organisation",)
    extra = 0


add_user_inline(UserMembershipInline)
