"""Django admin of the programmes app: programmes and their rules are configured here;
volunteers' absences are recorded here; enrolments are only looked at (their life goes through
the services, on the enrolment's page), and without the person's data, which are read on the
audited pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from prossimo.programmes.models import (
    Absence,
    Enrolment,
    EnrolmentTransition,
    Programme,
    ScreeningRule,
    Weekday,
    weekday_mask,
    weekdays_of,
)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScreeningRuleInline(admin.TabularInline):
    model = ScreeningRule
    extra = 1
    fields = ("questionnaire_code", "threshold", "worsening_by")


class ProgrammeForm(forms.ModelForm):
    """The default call days as tick boxes (stored as a bit mask)."""

    default_days = forms.TypedMultipleChoiceField(
        label=_("Default days"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a weekly rhythm: the days of the week new call plans call on."),
    )

    class Meta:
        model = Programme
        fields = (
            "name",
            "name_en",
            "code",
            "description",
            "is_active",
            "organisations",
            "target_people",
            "default_rhythm",
            "default_interval_days",
            "attempts_per_call",
            "retry_after_minutes",
            "escalate_failed_attempts",
            "escalate_failed_within_days",
            "escalate_red_flags",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["default_days"] = weekdays_of(self.instance.default_weekdays)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("default_rhythm") == "weekly" and not cleaned.get("default_days"):
            self.add_error("default_days", _("Choose at least one day for a weekly rhythm."))
        return cleaned

    def save(self, commit: bool = True) -> Programme:
        self.instance.default_weekdays = weekday_mask(self.cleaned_data.get("default_days") or [])
        programme: Programme = super().save(commit=commit)
        return programme


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeForm
    list_display = ("name", "code", "is_active", "target_people", "n_organisations")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    filter_horizontal = ("organisations",)
    inlines = [ScreeningRuleInline]
    fieldsets = (
        (None, {"fields": ("name", "name_en", "code", "description", "is_active")}),
        (_("Who runs it"), {"fields": ("organisations", "target_people")}),
        (
            _("Default call rhythm"),
            {"fields": ("default_rhythm", "default_days", "default_interval_days")},
        ),
        (_("Unanswered calls"), {"fields": ("attempts_per_call", "retry_after_minutes")}),
        (
            _("Escalation rules"),
            {
                "fields": (
                    "escalate_failed_attempts",
                    "escalate_failed_within_days",
                    "escalate_red_flags",
                ),
                "description": _(
                    "When to alert the referring social worker and the coordinators. Rules on "
                    "questionnaire scores are listed below."
                ),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Programme]:
        return super().get_queryset(request).annotate(n_organisations=Count("organisations"))

    @admin.display(description=_("organisations"), ordering="n_organisations")
    def n_organisations(self, obj: Programme) -> int:
        return obj.n_organisations  # type: ignore[attr-defined]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("user", "starts_on", "ends_on", "note", "recorded_by")
    list_select_related = ("user", "recorded_by")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    date_hierarchy = "starts_on"
    raw_id_fields = ("user",)
    fields = ("user", "starts_on", "ends_on", "note")

    def save_model(self, request: HttpRequest, obj: Absence, form: Any, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]  # admin needs a login
        super().save_model(request, obj, form, change)


class EnrolmentTransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EnrolmentTransition
    fields = ("at", "from_state", "to_state", "by", "reason", "resume_on")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who is where in the workflow, without the person's data (read on the audited page)."""

    list_display = (
        "short_id",
        "programme",
        "organisation",
        "state",
        "state_changed_at",
        "referred_at",
        "consent",
    )
    list_filter = ("state", "programme", "organisation", "consent")
    list_select_related = ("programme", "organisation")
    date_hierarchy = "referred_at"
    show_full_result_count = False
    fields = (
        "page",
        "programme",
        "organisation",
        "referring_organisation",
        "referred_by",
        "referred_at",
        "consent",
        "consent_recorded_at",
        "state",
        "state_changed_at",
        "coordinator",
        "suspended_until",
        "closed_reason",
        "version",
    )
    readonly_fields = fields
    inlines = [EnrolmentTransitionInline]

    @admin.display(description=_("enrolment"))
    def short_id(self, obj: Enrolment) -> str:
        return str(obj.pk)[:8]

    @admin.display(description=_("page"))
    def page(self, obj: Enrolment) -> str:
        url = reverse("programmes:enrolment_detail", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open the enrolment's page"))
