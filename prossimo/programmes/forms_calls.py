"""Forms of the call pages: a call plan, an absence, a quick outcome. They only parse what
was typed; the rules (and their messages) live in `prossimo.programmes.calls`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from prossimo.programmes.calls import MAX_INTERVAL_DAYS, PRIORITY_CHOICES
from prossimo.programmes.models import (
    CallAttempt,
    CallPlan,
    Programme,
    Rhythm,
    Weekday,
    weekdays_of,
)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _person_label(user: Any) -> str:
    return user.get_full_name() or user.username


class CallPlanForm(forms.Form):
    rhythm = forms.ChoiceField(
        label=_("How often"),
        choices=Rhythm.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how often to call.")},
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On these days"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a weekly rhythm."),
    )
    interval_days = forms.IntegerField(
        label=_("Every how many days"),
        required=False,
        min_value=1,
        max_value=MAX_INTERVAL_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("For a rhythm of every N days, counted from the first call."),
    )
    starts_on = forms.DateField(
        label=_("First call on"),
        widget=_date_input(),
        error_messages={"required": _("Give the date of the first call.")},
    )
    window_start = forms.TimeField(
        label=_("Call from"),
        widget=_time_input(),
        error_messages={"required": _("Give the start of the time window.")},
    )
    window_end = forms.TimeField(
        label=_("Call by"),
        widget=_time_input(),
        error_messages={"required": _("Give the end of the time window.")},
    )
    volunteer = forms.ChoiceField(
        label=_("Volunteer who calls"),
        error_messages={"required": _("Choose who makes the calls.")},
    )
    backup = forms.ChoiceField(
        label=_("Backup volunteer"),
        required=False,
        help_text=_("Makes the calls when the volunteer is away."),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=PRIORITY_CHOICES,
        coerce=int,
        initial=2,
        widget=forms.RadioSelect,
        help_text=_("Within the same time window, higher-priority calls come first."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, callers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.callers = {str(u.pk): u for u in callers}
        people = [(pk, _person_label(u)) for pk, u in self.callers.items()]
        self.fields["volunteer"].choices = [("", _("— choose —")), *people]  # type: ignore[attr-defined]
        self.fields["backup"].choices = [("", _("No backup")), *people]  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, plan: CallPlan | None, programme: Programme) -> dict[str, Any]:
        if plan is None:
            return {
                "rhythm": programme.default_rhythm,
                "weekdays": weekdays_of(programme.default_weekdays),
                "interval_days": programme.default_interval_days,
                "priority": 2,
                "version": 0,
            }
        return {
            "rhythm": plan.rhythm,
            "weekdays": weekdays_of(plan.weekdays),
            "interval_days": plan.interval_days,
            "starts_on": plan.starts_on,
            "window_start": plan.window_start,
            "window_end": plan.window_end,
            "volunteer": str(plan.volunteer_id),
            "backup": str(plan.backup_id or ""),
            "priority": plan.priority,
            "version": plan.version,
        }

    def plan_input(self) -> dict[str, Any]:
        """The keyword arguments of `calls.set_call_plan`."""
        data = self.cleaned_data
        return {
            "rhythm": data["rhythm"],
            "weekdays": list(data["weekdays"]),
            "interval_days": data["interval_days"],
            "starts_on": data["starts_on"],
            "window_start": data["window_start"],
            "window_end": data["window_end"],
            "volunteer": self.callers.get(data["volunteer"]),
            "backup": self.callers.get(data["backup"] or ""),
            "priority": data["priority"],
            "expected_version": data["version"],
        }


class AbsenceForm(forms.Form):
    user = forms.ChoiceField(
        label=_("Who is away"), error_messages={"required": _("Choose who is away.")}
    )
    starts_on = forms.DateField(
        label=pgettext_lazy("start of a period", "From"),
        widget=_date_input(),
        error_messages={"required": _("Give the first day of the absence.")},
    )
    ends_on = forms.DateField(
        label=_("To (included)"),
        widget=_date_input(),
        error_messages={"required": _("Give the last day of the absence.")},
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, candidates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {str(u.pk): u for u in candidates}
        self.fields["user"].choices = [  # type: ignore[attr-defined]
            ("", _("— choose —")),
            *((pk, _person_label(u)) for pk, u in self.candidates.items()),
        ]

    def absence_input(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "user": self.candidates[data["user"]],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "note": data["note"],
        }


#: The outcomes recorded with one click from the worklist; an answered call goes through the
#: call form, which records it with the conversation.
QUICK_OUTCOMES = [
    CallAttempt.Outcome.NO_ANSWER,
    CallAttempt.Outcome.BUSY,
    CallAttempt.Outcome.WRONG_NUMBER,
    CallAttempt.Outcome.REFUSED,
]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(o.value, o.label) for o in QUICK_OUTCOMES])
    notes = forms.CharField(label=_("Note"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AbsenceCancelForm(forms.Form):
    absence = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
