"""Forms of the territory pages. They parse input; the rules live in `territory.services`."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from prossimo.territory import selectors
from prossimo.territory.models import Ambito, Municipality, Province

_CODE_SEPARATORS = re.compile(r"[\s,;]+")


class MunicipalityChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Municipality) -> str:
        return obj.label


def _as_id(value: Any) -> int | None:
    return int(value) if str(value).isdigit() else None


class ProvinceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Province) -> str:
        return f"{obj.name} ({obj.abbreviation})"


class AmbitoForm(forms.Form):
    """An ambito's name, code and municipalities.

    Municipalities are ticked in the list of one province at a time (`province` chooses which;
    the ones already in the ambito stay listed whatever their province) or pasted as ISTAT
    codes. The form's `municipality_ids` is the union of both.
    """

    name = forms.CharField(label=_("Name"), max_length=150)
    code = forms.CharField(
        label=_("Code"),
        max_length=30,
        required=False,
        help_text=_("The code the region or the ATS uses for the ambito, if any."),
    )
    province = ProvinceChoiceField(
        label=_("Province"),
        queryset=selectors.provinces_for_choice(),
        required=False,
        empty_label=_("Choose a province"),
        help_text=_("Then press “Show municipalities” to list the municipalities to tick."),
    )
    municipalities = MunicipalityChoiceField(
        label=_("Municipalities"),
        queryset=Municipality.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    istat_codes = forms.CharField(
        label=_("Add municipalities by ISTAT code"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Six-digit ISTAT codes separated by spaces, commas or new lines, e.g. 097042 108033."
        ),
    )

    def __init__(
        self,
        *args: Any,
        ambito: Ambito | None = None,
        province_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.ambito = ambito
        current = list(ambito.municipalities.values_list("pk", flat=True)) if ambito else []
        if ambito is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": ambito.name,
                "code": ambito.code,
                "municipalities": current,
            }
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # What the select shows is what was sent: list that province, or none.
            province_id = _as_id(self.data.get(self.add_prefix("province")))
        elif province_id is None and ambito is not None:
            # Editing: start from the province holding most of the ambito's municipalities.
            province_id = selectors.main_province_of(ambito)
        self.province_id = province_id
        if province_id is not None:
            self.initial["province"] = province_id
        # Listed: the chosen province's municipalities, plus the ones ticked (now or before),
        # so that saving never drops a municipality of another province unseen.
        if self.is_bound:
            ticked = self.data.getlist(self.add_prefix("municipalities"))  # type: ignore[attr-defined]
        else:
            ticked = self.initial.get("municipalities", [])
        ticked_ids = {i for i in map(_as_id, [*ticked, *current]) if i is not None}
        field = cast(MunicipalityChoiceField, self.fields["municipalities"])
        field.queryset = selectors.municipalities_for_ambito_form(
            province_id=province_id, ticked_ids=ticked_ids
        )

    @classmethod
    def redisplay(cls, data: Any, *, ambito: Ambito | None, province_id: int | None) -> AmbitoForm:
        """The form as typed, listing another province's municipalities, without errors."""
        initial = {
            "name": data.get("name", ""),
            "code": data.get("code", ""),
            "istat_codes": data.get("istat_codes", ""),
            "municipalities": [i for i in map(_as_id, data.getlist("municipalities")) if i],
        }
        return cls(initial=initial, ambito=ambito, province_id=province_id)

    def clean_istat_codes(self) -> list[Municipality]:
        text = self.cleaned_data.get("istat_codes", "")
        codes = []
        for token in _CODE_SEPARATORS.split(text.strip()):
            if not token:
                continue
            # Spreadsheets drop the leading zeros of numeric codes: 97042 means 097042.
            if not token.isdigit() or len(token) > 6:
                raise forms.ValidationError(
                    _("“%(code)s” is not an ISTAT code: codes have six digits."),
                    code="invalid",
                    params={"code": token},
                )
            codes.append(token.zfill(6))
        found = selectors.municipalities_by_istat_codes(codes)
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(
                ngettext(
                    "No municipality has the ISTAT code %(codes)s.",
                    "No municipality has the ISTAT codes %(codes)s.",
                    len(missing),
                ),
                code="unknown",
                params={"codes": ", ".join(missing)},
            )
        return list(found.values())

    @property
    def municipality_ids(self) -> list[int]:
        chosen = {m.pk for m in self.cleaned_data.get("municipalities", [])}
        chosen |= {m.pk for m in self.cleaned_data.get("istat_codes", [])}
        return sorted(chosen)
