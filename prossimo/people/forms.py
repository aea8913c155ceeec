"""Forms of the people registry. Validation rules live in services; forms only parse input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Surname and name, phone number or codice fiscale"),
        max_length=100,
        help_text=_("Phone numbers in any format, e.g. 340 123 4567 or +39 340-1234567."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    include_inactive = forms.BooleanField(label=_("Include inactive records"), required=False)
