"""Django admin for the listening line: the needs taxonomy to edit, the records to look at.

Contacts, needs, alerts and follow-ups change only through the listening pages and the API
(their services keep the rules and the audit trail); here administrators see ids, dates, status
and organisations, never who called or what they said.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from prossimo.listening.models import Alert, Contact, FollowUp, Need, NeedCategory


@admin.register(NeedCategory)
class NeedCategoryAdmin(admin.ModelAdmin):
    """The taxonomy, each broader category followed by its narrower ones."""

    list_display = ("name", "name_en", "code", "parent", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "name_en", "code")
    # Each broader category, then its narrower ones by position.
    ordering = (
        Coalesce("parent__position", "position").asc(),
        Coalesce("parent__name", "name").asc(),
        F("parent").asc(nulls_first=True),
        "position",
        "name",
    )
    fields = ("code", "name", "name_en", "parent", "position", "is_active")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "parent" in form.base_fields:
            # Only a broad category can be a parent, never the category itself: no loops.
            parents = NeedCategory.objects.filter(parent__isnull=True)
            if obj is not None:
                parents = parents.exclude(pk=obj.pk)
            form.base_fields["parent"].queryset = parents  # type: ignore[attr-defined]
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Contacts, the API and integrations refer to a category by its code: it stays.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needs keep their category for good: retire one by unticking "active".
        return False


class RecordAdmin(admin.ModelAdmin):
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


@admin.register(Contact)
class ContactAdmin(RecordAdmin):
    list_display = ("id", "started_at", "channel", "status", "urgency", "organisation")
    list_filter = ("status", "channel", "urgency", "organisation")
    list_select_related = ("organisation",)
    date_hierarchy = "started_at"
    fields = (
        "id",
        "status",
        "channel",
        "started_at",
        "ended_at",
        "duration_seconds",
        "urgency",
        "organisation",
        "operator",
        "version",
        "created_at",
        "updated_at",
    )


@admin.register(Need)
class NeedAdmin(RecordAdmin):
    list_display = ("id", "created_at", "category", "status", "owner_organisation")
    list_filter = ("status", "category", "owner_organisation")
    list_select_related = ("category", "owner_organisation")
    fields = (
        "id",
        "contact",
        "category",
        "status",
        "owner_organisation",
        "owner",
        "handed_over_by",
        "handed_over_at",
        "closed_at",
        "version",
        "created_at",
        "updated_at",
    )


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    list_display = ("id", "created_at", "status", "organisation", "acknowledged_at", "resolved_at")
    list_filter = ("status", "red_flag", "organisation")
    list_select_related = ("organisation",)
    fields = (
        "id",
        "contact",
        "red_flag",
        "status",
        "organisation",
        "raised_by",
        "created_at",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
    )


@admin.register(FollowUp)
class FollowUpAdmin(RecordAdmin):
    list_display = ("id", "due_on", "window_start", "status", "organisation")
    list_filter = ("status", "organisation")
    list_select_related = ("organisation",)
    date_hierarchy = "due_on"
    fields = (
        "id",
        "contact",
        "need",
        "due_on",
        "window_start",
        "window_end",
        "status",
        "organisation",
        "assignee",
        "created_by",
        "created_at",
    )
