"""Forms of the desk, "Oggi" and alert pages. They only parse input; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class VersionForm(forms.Form):
    """The version of the record the user was looking at when they pressed the button."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def version(self) -> int:
        """The version to check; a missing or broken one never matches, so nothing is written
        from a page of unknown age."""
        return self.cleaned_data["expected_version"] if self.is_valid() else 0


class CloseNeedForm(forms.Form):
    MET = "met"
    UNMET = "unmet"

    result = forms.ChoiceField(
        label=_("Was the need met?"),
        choices=[(MET, _("Met")), (UNMET, _("Not met"))],
        widget=forms.RadioSelect,
    )
    outcome = forms.CharField(
        label=_("What was done"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Whoever handed the need over reads this: say what happened and why."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ResolveAlertForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: called the daughter, who went round; the GP visited at 11."),
    )


class FollowUpDoneForm(forms.Form):
    DONE = "done"
    CANCEL = "cancel"

    action = forms.ChoiceField(choices=[(DONE, _("Done")), (CANCEL, _("Cancelled"))])
