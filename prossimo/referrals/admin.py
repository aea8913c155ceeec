"""Django admin of the referrals app: administrators link the directory's organizations to the
Prossimo organisations (or partner systems) that receive their referrals; referrals are only
looked at, without the person's data (their life goes through the services, on their page)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from prossimo.referrals.models import (
    Referral,
    ReferralDestination,
    ReferralTransition,
    ServiceInformation,
)


@admin.register(ReferralDestination)
class ReferralDestinationAdmin(admin.ModelAdmin):
    list_display = ("directory_organization", "organisation", "partner_account", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("directory_organization", "organisation", "partner_account")
    raw_id_fields = ("directory_organization", "partner_account")
    autocomplete_fields = ()
    search_fields = ("directory_organization__name", "organisation__name")


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TransitionInline(ReadOnly, admin.TabularInline):
    model = ReferralTransition
    fields = ("at", "from_state", "to_state", "by", "via", "reason")
    readonly_fields = fields
    extra = 0


@admin.register(Referral)
class ReferralAdmin(ReadOnly, admin.ModelAdmin):
    list_display = (
        "pk",
        "state",
        "service",
        "sending_organisation",
        "receiving_organisation",
        "requested_at",
    )
    list_filter = ("state",)
    list_select_related = ("service", "sending_organisation", "receiving_organisation")
    fields = (
        "state",
        "service",
        "sending_organisation",
        "receiving_organisation",
        "share_consent",
        "requested_at",
        "received_at",
        "state_changed_at",
        "version",
    )
    readonly_fields = fields
    inlines = [TransitionInline]


@admin.register(ServiceInformation)
class ServiceInformationAdmin(ReadOnly, admin.ModelAdmin):
    """What callers were told about: looked at only, without the person's data."""

    list_display = ("given_at", "service", "given_by")
    list_select_related = ("service", "given_by")
    fields = ("given_at", "service", "given_by")
    readonly_fields = fields
