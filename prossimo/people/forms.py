"""Forms of the people registry. Validation rules live in services; forms only parse input."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.forms.utils import ErrorDict
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prossimo.core.forms import error_summary_items
from prossimo.core.phones import format_phone
from prossimo.core.text import fold
from prossimo.people.models import LANGUAGE_CHOICES, Consent, Person, Phone
from prossimo.people.services import (
    ConsentInput,
    PersonInput,
    PhoneInput,
    ReferencePersonInput,
    clean_person_input,
)
from prossimo.territory.models import Municipality
from prossimo.territory.selectors import search_municipalities


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Surname and name, phone number or codice fiscale"),
        max_length=100,
        help_text=_("Phone numbers in any format, e.g. 340 123 4567 or +39 340-1234567."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    include_inactive = forms.BooleanField(label=_("Include inactive records"), required=False)


# --- municipalities typed as text -------------------------------------------------------

# "Lecco (LC)": what the autocomplete offers; "Lecco" alone is accepted when unambiguous.
_LABEL_RE = re.compile(r"^(?P<name>.+?)\s*\(\s*(?P<province>[A-Za-z]{2})\s*\)$")


def resolve_municipality(text: str, *, include_former: bool = False) -> Municipality:
    """The one municipality the typed text names, ignoring case and accents.

    Raises ValidationError saying what to type when no municipality or several match.
    Former municipalities (no longer in ISTAT's list) count only with `include_former`, and
    then only when no current one has the same name: people were born in them.
    """
    text = " ".join((text or "").split())
    match = _LABEL_RE.match(text)
    name, province = (match["name"], match["province"].upper()) if match else (text, "")
    candidates = Municipality.objects.select_related("province").filter(name_search=fold(name))
    if province:
        candidates = candidates.filter(province__abbreviation=province)
    if not include_former:
        candidates = candidates.filter(is_active=True)
    found = list(candidates.order_by("-is_active", "province__abbreviation")[:10])
    current = [m for m in found if m.is_active]
    if len(found) > 1 and len(current) == 1:
        found = current
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationError(
            gettext("Several municipalities are called “%(name)s”: type one of %(choices)s."),
            code="ambiguous",
            params={"name": name, "choices": ", ".join(f"“{m.label}”" for m in found)},
        )
    suggestions = search_municipalities(name, limit=5)
    if suggestions:
        raise ValidationError(
            gettext(
                "No municipality is called “%(text)s”. Did you mean %(choices)s? "
                "Type the name as in the list, with the province, e.g. “Lecco (LC)”."
            ),
            code="unknown",
            params={"text": text, "choices": ", ".join(f"“{m.label}”" for m in suggestions)},
        )
    raise ValidationError(
        gettext(
            "No municipality is called “%(text)s”. Type the name as in the list, with the "
            "province, e.g. “Lecco (LC)”."
        ),
        code="unknown",
        params={"text": text},
    )


class MunicipalityField(forms.CharField):
    """A municipality typed as text ("Lecco" or "Lecco (LC)"), with suggestions in a datalist.

    The input asks the server for `<option>`s as the user types (HTMX, into the `<datalist>`
    the template renders under the field with id `<input id>_options`); without JavaScript
    the text alone is enough.
    """

    def __init__(self, *, include_former: bool = False, **kwargs: Any) -> None:
        self.include_former = include_former
        kwargs.setdefault("max_length", 160)
        kwargs.setdefault(
            "help_text", _("Type the first letters and choose from the list, e.g. Lecco (LC).")
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse_lazy("territory:municipality_autocomplete"),
                "hx-trigger": "input changed delay:250ms",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        return attrs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Municipality):
            return value.label
        return value

    def clean(self, value: Any) -> Municipality | None:
        text = super().clean(value)
        if not text:
            return None
        return resolve_municipality(text, include_former=self.include_former)


class MunicipalityInput(forms.TextInput):
    """A text input tied to the `<datalist>` that the template renders after it."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        if widget_attrs.get("id"):
            options_id = f"{widget_attrs['id']}_options"
            widget_attrs["list"] = options_id
            widget_attrs["hx-target"] = f"#{options_id}"
        return context


# --- the person form --------------------------------------------------------------------

LIVES_ALONE_CHOICES = [("unknown", _("Not known")), ("yes", _("Yes")), ("no", _("No"))]
_LIVES_ALONE = {"unknown": None, "yes": True, "no": False}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonForm(forms.Form):
    """A person's own data. Phones and reference persons come in their own formsets."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Surname"), max_length=100)
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=[*Person.Sex.choices, ("", _("Not stated"))],
        required=False,
        widget=forms.RadioSelect,
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=_date_input())
    birth_municipality = MunicipalityField(
        label=_("Place of birth (municipality in Italy)"),
        required=False,
        include_former=True,
        widget=MunicipalityInput,
    )
    birth_country = forms.CharField(
        label=_("Country of birth (if born abroad)"),
        max_length=100,
        required=False,
        help_text=_("Leave empty if the person was born in Italy."),
    )
    fiscal_code = forms.CharField(
        label=_("Codice fiscale"),
        max_length=20,
        required=False,
        help_text=_("Optional. It is checked against name, sex, date and place of birth."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "text-uppercase"}),
    )
    # Optional, as in the API: a caller at night may not give an address.
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=5,
        required=False,
        validators=[RegexValidator(r"^\d{5}$", _("A postal code has five digits."))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    municipality = MunicipalityField(label=_("Municipality of residence"), widget=MunicipalityInput)
    lives_alone = forms.ChoiceField(
        label=_("Lives alone"),
        choices=LIVES_ALONE_CHOICES,
        initial="unknown",
        widget=forms.RadioSelect,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    gp_name = forms.CharField(label=_("General practitioner"), max_length=150, required=False)
    gp_phone = forms.CharField(
        label=_("General practitioner's phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    legal_basis = forms.ChoiceField(
        label=_("Legal basis for processing"),
        choices=Person.LegalBasis.choices,
        initial=Person.LegalBasis.CONSENT,
    )
    # Set by the "It is a different person: register anyway" button of the duplicates panel.
    confirm_not_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, person: Person) -> dict[str, Any]:
        lives_alone = {None: "unknown", True: "yes", False: "no"}[person.lives_alone]
        return {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "sex": person.sex,
            "birth_date": person.birth_date,
            "birth_municipality": person.birth_municipality,
            "birth_country": person.birth_country,
            "fiscal_code": person.fiscal_code or "",
            "address": person.address,
            "postal_code": person.postal_code,
            "municipality": person.municipality,
            "lives_alone": lives_alone,
            "languages": list(person.languages or []),
            "gp_name": person.gp_name,
            "gp_phone": format_phone(person.gp_phone) if person.gp_phone else "",
            "notes": person.notes,
            "legal_basis": person.legal_basis,
        }


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Number"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Phone.Kind.choices, initial="mobile")
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class ReferencePersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    relationship = forms.CharField(
        label=_("Relationship"),
        max_length=100,
        required=False,
        help_text=_("E.g. daughter, neighbour, friend."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    is_caregiver = forms.BooleanField(label=_("Caregiver"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


PHONES_PREFIX = "phones"
REFERENCE_PERSONS_PREFIX = "reference_persons"

PhoneFormSet = forms.formset_factory(
    PhoneForm, extra=1, can_delete=True, max_num=20, validate_max=True
)
ReferencePersonFormSet = forms.formset_factory(
    ReferencePersonForm, extra=1, can_delete=True, max_num=20, validate_max=True
)


class RegistrationConsentsForm(forms.Form):
    """The consents collected when a person is registered: a checkbox and a date each."""

    prefix = "consents"
    KINDS = (Consent.Kind.PRIVACY_NOTICE, Consent.Kind.CALLS, Consent.Kind.SHARE_SOCIAL)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in self.KINDS:
            self.fields[kind] = forms.BooleanField(label=kind.label, required=False)
            self.fields[f"{kind}_on"] = forms.DateField(
                label=format_lazy("{}: {}", kind.label, _("date")),
                required=False,
                initial=timezone.localdate,
                widget=_date_input(),
            )

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[kind], self[f"{kind}_on"]) for kind in self.KINDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for kind in self.KINDS:
            if (
                cleaned.get(kind)
                and not cleaned.get(f"{kind}_on")
                and not self.has_error(f"{kind}_on")
            ):
                self.add_error(f"{kind}_on", gettext("Enter the date."))
        return cleaned

    def consent_inputs(self) -> list[ConsentInput]:
        return [
            ConsentInput(kind=kind, given_on=self.cleaned_data[f"{kind}_on"])
            for kind in self.KINDS
            if self.cleaned_data.get(kind)
        ]


# --- from forms to the service's input, and the service's errors back to the forms ------


class PersonForms:
    """The person form with its phones, reference persons and (on registration) consents.

    Knows how to build the service's `PersonInput` and where each of the service's error
    keys ("fiscal_code", "phones.0.number", "consents.1.given_on") belongs on the page.
    """

    def __init__(
        self,
        data: Any = None,
        *,
        person: Person | None = None,
        phones: list[Phone] | None = None,
        reference_persons: list[Any] | None = None,
        with_consents: bool = False,
    ) -> None:
        initial = PersonForm.initial_for(person) if person is not None else None
        self.form = PersonForm(data, initial=initial)
        self.phones = PhoneFormSet(
            data,
            prefix=PHONES_PREFIX,
            initial=[
                {"number": format_phone(p.number), "kind": p.kind, "note": p.note}
                for p in phones or []
            ],
        )
        self.reference_persons = ReferencePersonFormSet(
            data,
            prefix=REFERENCE_PERSONS_PREFIX,
            initial=[
                {
                    "name": r.name,
                    "relationship": r.relationship,
                    "phone": format_phone(r.phone) if r.phone else "",
                    "is_caregiver": r.is_caregiver,
                    "note": r.note,
                }
                for r in reference_persons or []
            ],
        )
        self.consents = RegistrationConsentsForm(data) if with_consents else None
        self._phone_forms: list[forms.Form] = []
        self._reference_forms: list[forms.Form] = []

    def _all_forms(self) -> list[Any]:
        return [self.form, self.phones, self.reference_persons] + (
            [self.consents] if self.consents is not None else []
        )

    def is_valid(self) -> bool:
        if all([f.is_valid() for f in self._all_forms()]):
            return True
        # The service's rules run on what could be read, so that every problem shows at once
        # (a wrong codice fiscale together with a misspelt municipality).
        try:
            clean_person_input(self.person_input(partial=True))
        except ValidationError as exc:
            self.add_service_errors(exc, only_new=True)
        return False

    @staticmethod
    def _kept(formset: forms.BaseFormSet, *, partial: bool) -> list[forms.Form]:
        """The rows to save: existing ones and filled-in new ones, less those to delete."""
        kept = []
        for i, form in enumerate(formset.forms):
            cleaned = getattr(form, "cleaned_data", {})
            if cleaned.get(forms.formsets.DELETION_FIELD_NAME):
                continue
            if i >= formset.initial_form_count() and not form.has_changed():
                continue
            if partial and form.errors:
                continue
            kept.append(form)
        return kept

    def person_input(self, *, partial: bool = False) -> PersonInput:
        """The service's input. `partial`: from a form with errors, leaving out what has them."""
        data = self.form.cleaned_data
        self._phone_forms = self._kept(self.phones, partial=partial)
        self._reference_forms = self._kept(self.reference_persons, partial=partial)
        return PersonInput(
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            sex=data.get("sex", ""),
            birth_date=data.get("birth_date"),
            birth_municipality=data.get("birth_municipality"),
            birth_country=data.get("birth_country", ""),
            fiscal_code=data.get("fiscal_code") or None,
            address=data.get("address", ""),
            postal_code=data.get("postal_code", ""),
            municipality=data.get("municipality"),
            lives_alone=_LIVES_ALONE[data.get("lives_alone", "unknown")],
            languages=[
                code for code, _label in LANGUAGE_CHOICES if code in data.get("languages", [])
            ],
            gp_name=data.get("gp_name", ""),
            gp_phone=data.get("gp_phone", ""),
            notes=data.get("notes", ""),
            legal_basis=data.get("legal_basis", Person.LegalBasis.CONSENT),
            phones=[
                PhoneInput(
                    number=f.cleaned_data["number"],
                    kind=f.cleaned_data["kind"],
                    note=f.cleaned_data["note"],
                )
                for f in self._phone_forms
            ],
            reference_persons=[
                ReferencePersonInput(
                    name=f.cleaned_data["name"],
                    relationship=f.cleaned_data["relationship"],
                    phone=f.cleaned_data["phone"],
                    is_caregiver=f.cleaned_data["is_caregiver"],
                    note=f.cleaned_data["note"],
                )
                for f in self._reference_forms
            ],
        )

    def consent_inputs(self) -> list[ConsentInput]:
        return self.consents.consent_inputs() if self.consents is not None else []

    def add_service_errors(self, error: ValidationError, *, only_new: bool = False) -> None:
        """Show a service's ValidationError next to the fields its keys name.

        `only_new`: leave out errors on fields that already show one, and general errors.
        """
        if not hasattr(error, "error_dict"):
            if not only_new:
                self.form.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            form, field = self._locate(key)
            if only_new and (field is None or form.has_error(field)):
                continue
            form.add_error(field, errors)

    def _locate(self, key: str) -> tuple[forms.Form, str | None]:
        parts = key.split(".")
        if len(parts) == 3 and parts[1].isdigit():
            group, index, field = parts[0], int(parts[1]), parts[2]
            if group == PHONES_PREFIX and index < len(self._phone_forms):
                return self._field_or_form(self._phone_forms[index], field)
            if group == REFERENCE_PERSONS_PREFIX and index < len(self._reference_forms):
                return self._field_or_form(self._reference_forms[index], field)
            if group == "consents" and self.consents is not None:
                kinds = [c.kind for c in self.consent_inputs()]
                if index < len(kinds):
                    return self._field_or_form(self.consents, f"{kinds[index]}_on")
        return self._field_or_form(self.form, key)

    def _field_or_form(self, form: forms.Form, field: str) -> tuple[forms.Form, str | None]:
        if field in form.fields and field != NON_FIELD_ERRORS:
            return form, field
        return self.form, None

    def quiet(self) -> None:
        """Render what was typed without errors (the page only grew a row)."""
        for form in [self.form, *self.phones, *self.reference_persons, self.consents]:
            if form is not None:
                form._errors = ErrorDict()
        formset: Any
        for formset in (self.phones, self.reference_persons):
            formset._errors = []
            formset._non_form_errors = formset.error_class(renderer=formset.renderer)

    def error_summary(self) -> list[dict[str, Any]]:
        """Every error on the page, as links to the fields (for the summary at the top)."""

        def collect(form: forms.Form, label_prefix: str = "") -> None:
            items.extend(
                error_summary_items(form, form_anchor="person-form", label_prefix=label_prefix)
            )

        items: list[dict[str, Any]] = []
        collect(self.form)
        for title, formset in (
            (gettext("Phone number %(n)d"), self.phones),
            (gettext("Reference person %(n)d"), self.reference_persons),
        ):
            for message in formset.non_form_errors():
                items.append({"anchor": f"{formset.prefix}-rows", "label": "", "message": message})
            for i, form in enumerate(formset.forms, start=1):
                if form.errors:
                    collect(form, title % {"n": i})
        if self.consents is not None:
            collect(self.consents)
        return items


def with_extra_row(data: Any, prefix: str) -> Any:
    """A copy of the POST data with one more (empty) row in the formset `prefix`."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, "0"))
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, 20))
    return data


# --- smaller forms ----------------------------------------------------------------------


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("E.g. moved away, deceased, no longer followed."),
    )


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Consent.Kind.choices)
    given_on = forms.DateField(
        label=_("Given on"), initial=timezone.localdate, widget=_date_input()
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class WithdrawConsentForm(forms.Form):
    withdrawn_on = forms.DateField(
        label=_("Withdrawn on"), initial=timezone.localdate, widget=_date_input()
    )


class MergeSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find the other record: surname and name, phone number or codice fiscale"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MergeConfirmForm(forms.Form):
    """Which of the two records stays; the other is absorbed into it."""

    other = forms.UUIDField(widget=forms.HiddenInput)
    keep = forms.ChoiceField(
        label=_("Record to keep"),
        choices=[("this", _("This record")), ("other", _("The other record"))],
        initial="this",
        widget=forms.RadioSelect,
    )


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on `form`: on the fields it names, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        form.add_error(key if key in form.fields else None, errors)
