"""Admin for telephone lines (never their secrets) and duty periods. Lines are created, and
their secrets rotated, with `prossimo telephony_line`, which shows the secret once."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from prossimo.telephony.models import OnDuty, TelephonyLine


@admin.register(TelephonyLine)
class TelephonyLineAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "organisation", "is_active", "secret_hint"]
    list_filter = ["is_active"]
    search_fields = ["name", "number", "organisation__name"]
    list_select_related = ["organisation"]
    fields = ("name", "number", "organisation", "is_active", "secret_hint", "created_at")
    readonly_fields = ("number", "organisation", "secret_hint", "created_at")

    @admin.display(description=_("secret"))
    def secret_hint(self, obj: TelephonyLine) -> str:
        return obj.secret_hint

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The secret must be shown once, to whoever creates the line: the command line does.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Calls refer to their line: deactivate it instead.
        return False


@admin.register(OnDuty)
class OnDutyAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "started_at", "ended_at"]
    list_filter = [("ended_at", admin.EmptyFieldListFilter), "organisation"]
    list_select_related = ["user", "organisation"]
    readonly_fields = ("user", "organisation", "started_at")
