"""The directory's search form: it only parses what the user asked into a `ServiceQuery`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from prossimo.directory.search import ServiceQuery
from prossimo.listening.forms import NeedChoices
from prossimo.people.forms import MunicipalityField, MunicipalityInput

# Languages a service may be asked for (ISO 639-1, as HSDS `language.code` gives them): those
# most spoken by people living in Italy whose first language is not Italian. Django names them
# in the user's language; `zh` is named by Django's `zh-hans`.
LANGUAGE_CODES = (
    "ar", "bn", "de", "en", "es", "fa", "fr", "hi", "pa", "pl", "pt", "ro", "ru", "sq", "tr",
    "uk", "ur", "zh",
)  # fmt: skip


def _language_choices() -> list[tuple[str, str]]:
    named = [
        (code, capfirst(get_language_info("zh-hans" if code == "zh" else code)["name_translated"]))
        for code in LANGUAGE_CODES
    ]
    return [("", _t("Any language")), *sorted(named, key=lambda choice: choice[1])]


class DirectorySearchForm(forms.Form):
    """What to look for: words, a need, a municipality, when it should be open, a language.
    Every field is optional; an empty form lists every active service."""

    q = forms.CharField(
        label=_("What is needed"),
        max_length=200,
        required=False,
        help_text=_("Words of the service, e.g. accompagnamento visita, spesa, farmacia."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    need = forms.ChoiceField(label=_("Need"), required=False)
    municipality = MunicipalityField(
        label=_("Municipality"), required=False, widget=MunicipalityInput
    )
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    open_date = forms.DateField(
        label=_("Open on (day)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    open_time = forms.TimeField(
        label=_("Open at (time)"),
        required=False,
        help_text=_("Leave the day empty for today."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    language = forms.ChoiceField(label=_("Language spoken"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = list(NeedChoices().choices)
        choices[0] = ("", _t("Any need"))
        self.fields["need"].choices = choices  # type: ignore[attr-defined]
        self.fields["language"].choices = _language_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, time = cleaned.get("open_date"), cleaned.get("open_time")
        if day and not time and "open_time" not in self.errors:
            self.add_error("open_time", _t("Give the time too, or empty the day."))
        return cleaned

    def open_at(self) -> dt.datetime | None:
        """The moment the services should be open at: now, the day and time asked (today when
        no day is given), or None."""
        data = self.cleaned_data
        if data.get("open_now"):
            return timezone.now()
        if data.get("open_time"):
            day = data.get("open_date") or timezone.localdate()
            return timezone.make_aware(dt.datetime.combine(day, data["open_time"]))
        return None

    def query(self) -> ServiceQuery:
        """The search to run (call after `is_valid()`)."""
        data = self.cleaned_data
        municipality = data.get("municipality")
        return ServiceQuery(
            text=" ".join(data.get("q", "").split()),
            need=int(data["need"]) if data.get("need") else None,
            municipality=municipality.pk if municipality is not None else None,
            open_at=self.open_at(),
            language=data.get("language", ""),
        )
