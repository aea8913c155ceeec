"""Forms of the referral and taking-in-charge pages. They parse input; services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from prossimo.core.forms import error_summary_items
from prossimo.programmes import imports
from prossimo.programmes.models import Enrolment, Programme
from prossimo.programmes.selectors import active_programmes
from prossimo.programmes.services import ReferralInput


class ProgrammeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ReferralForm(forms.Form):
    """What the social worker says about the referral itself (the person comes apart)."""

    programme = ProgrammeChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        empty_label=_("Choose the programme"),
        to_field_name="code",
    )
    reason = forms.CharField(
        label=_("Reason for the referral"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the person needs and why the programme can help."),
    )
    fragility_notes = forms.CharField(
        label=_("Fragility notes"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Health, loneliness, hearing or memory problems the callers should know."),
    )
    preferred_contact_times = forms.CharField(
        label=_("Preferred contact times"),
        max_length=200,
        required=False,
        help_text=_("E.g. mornings after 10, not on Sundays."),
    )
    consent = forms.ChoiceField(
        label=_("Consent to be contacted by the programme"),
        choices=Enrolment.Consent.choices,
        initial=Enrolment.Consent.TO_ASK,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = active_programmes()  # type: ignore[attr-defined]

    def referral_input(self) -> ReferralInput:
        data = self.cleaned_data
        return ReferralInput(
            reason=data["reason"],
            fragility_notes=data["fragility_notes"],
            preferred_contact_times=data["preferred_contact_times"],
            consent=data["consent"],
        )

    def error_summary(self) -> list[dict[str, Any]]:
        return error_summary_items(
            self, form_anchor="referral-form", anchors={"consent": "id_consent_0"}
        )


# Keys of `refer_person`'s errors that belong to the referral form; the others are the person's.
REFERRAL_KEYS = frozenset(
    {"programme", "reason", "fragility_notes", "preferred_contact_times", "consent"}
)


def split_errors(error: ValidationError) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """A service's ValidationError as (the referral form's errors, the person's errors).

    Errors about the person as a whole ("person", or no field) go to the referral form's top.
    """
    if not hasattr(error, "error_dict"):
        return {"__all__": list(error.messages)}, {}
    referral: dict[str, list[Any]] = {}
    person: dict[str, list[Any]] = {}
    for key, errors in error.message_dict.items():
        if key in REFERRAL_KEYS:
            referral[key] = errors
        elif key in ("person", "__all__"):
            referral.setdefault("__all__", []).extend(errors)
        else:
            person[key] = errors
    return referral, person


def add_referral_errors(form: ReferralForm, errors: dict[str, list[Any]]) -> None:
    for key, messages in errors.items():
        form.add_error(None if key == "__all__" or key not in form.fields else key, messages)


class ReferSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Surname and name, phone number or codice fiscale"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


# --- taking in charge -------------------------------------------------------------------


class StateChangeForm(forms.Form):
    """Move an enrolment to the state of the button pressed (each state has its prefix)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def error_summary(self) -> list[dict[str, Any]]:
        return error_summary_items(self, form_anchor=f"state-{self.prefix}")


class SuspendForm(StateChangeForm):
    resume_on = forms.DateField(
        label=_("Resume the calls on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The enrolment becomes active again on this day by itself."),
    )
    field_order = ["expected_version", "resume_on", "note"]


class CloseForm(StateChangeForm):
    reason = forms.ChoiceField(
        label=_("Reason for closing"),
        choices=[("", _("Choose the reason")), *Enrolment.CloseReason.choices],
    )
    field_order = ["expected_version", "reason", "note"]


STATE_FORMS: dict[str, type[StateChangeForm]] = {
    Enrolment.State.SUSPENDED: SuspendForm,
    Enrolment.State.CLOSED: CloseForm,
}


def state_form(to_state: str, data: Any = None, *, version: int) -> StateChangeForm:
    form_class = STATE_FORMS.get(to_state, StateChangeForm)
    return form_class(data, prefix=to_state, initial={"expected_version": version})


class EnrolmentConsentForm(forms.Form):
    prefix = "consent"

    consent = forms.ChoiceField(
        label=_("Consent to be in charge"),
        choices=Enrolment.Consent.choices,
        widget=forms.RadioSelect,
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class QueueFilterForm(forms.Form):
    stato = forms.ChoiceField(choices=Enrolment.State.choices, required=False)

    def state(self) -> str:
        if self.is_valid() and self.cleaned_data["stato"]:
            return str(self.cleaned_data["stato"])
        return Enrolment.State.REFERRED


# --- spreadsheet import -----------------------------------------------------------------


ACCEPTED_FILES = (
    ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)


class ImportUploadForm(forms.Form):
    programme = ProgrammeChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        empty_label=_("Choose the programme"),
        to_field_name="code",
    )
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        help_text=_("At most 2 MB and 2,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = active_programmes()  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_FILE_BYTES:
            raise ValidationError(
                _("The file is larger than %(mb)s MB: split it into smaller files.")
                % {"mb": imports.MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload
