"""Forms of the call screen: who is calling, why, how urgent, what was done.

The rules (danger to life needs 112, red flags raise urgency, who may be logged) live in
`listening.services`; these forms only parse what was typed and put the service's errors back
next to the fields they are about.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from prossimo.core.forms import error_summary_items
from prossimo.listening.models import Contact, NeedCategory, RedFlag, Urgency
from prossimo.listening.services import ContactInput, FollowUpInput, NeedInput
from prossimo.people import selectors as people_selectors
from prossimo.people.forms import MunicipalityField, MunicipalityInput, SearchForm
from prossimo.people.models import Person
from prossimo.territory.models import Municipality

NEEDS_PREFIX = "needs"
MAX_CALL_LENGTH = dt.timedelta(hours=3)
WHO_ANONYMOUS = "anonymous"
WHO_NEW = "new"
#: What the call form posts that is not part of the call (kept out of drafts).
NOT_DRAFTED = frozenset({"csrfmiddlewaretoken", "version", "draft", "action", "pick", "part"})

# The outcomes the volunteer ticks; the others (handed to the desk, follow-up planned,
# escalated) are recorded by `log_contact` from the needs, the follow-up and the red flags.
TICKED_OUTCOMES = [
    (Contact.Outcome.INFORMATION.value, Contact.Outcome.INFORMATION.label),
    (Contact.Outcome.NOTHING.value, Contact.Outcome.NOTHING.label),
]


def draft_form_data(data: QueryDict) -> dict[str, list[str]]:
    """What to keep of a posted call form in a draft: every value typed, as lists."""
    return {key: data.getlist(key) for key in data if key not in NOT_DRAFTED}


def draft_query(form_data: dict[str, Any]) -> QueryDict:
    """The posted form again, from a draft's `form_data` (lists or single values)."""
    query = QueryDict(mutable=True)
    for key, value in (form_data or {}).items():
        values = value if isinstance(value, list) else [value]
        query.setlist(str(key), [str(v) for v in values if v is not None])
    return query


def person_id_of(value: Any) -> uuid.UUID | None:
    """The person a "who" value names, if it names one."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


# --- needs --------------------------------------------------------------------------------


class NeedChoices:
    """The active categories as grouped choices: one `<optgroup>` per parent with children."""

    def __init__(self) -> None:
        language = (get_language() or "it")[:2]
        categories = list(NeedCategory.objects.filter(is_active=True).order_by("position", "name"))
        self.by_id = {str(c.pk): c for c in categories}
        children: dict[Any, list[NeedCategory]] = defaultdict(list)
        for category in categories:
            parent = category.parent_id if str(category.parent_id) in self.by_id else None
            children[parent].append(category)

        def descendants(category: NeedCategory, path: str) -> list[tuple[str, str]]:
            found = []
            for child in children.get(category.pk, []):
                label = f"{path} › {child.label(language)}" if path else child.label(language)
                found.append((str(child.pk), label))
                found.extend(descendants(child, label))
            return found

        self.choices: list[Any] = [("", gettext("— choose —"))]
        for top in children[None]:
            below = descendants(top, "")
            label = top.label(language)
            if below:
                general = gettext("%(need)s (in general)") % {"need": label}
                self.choices.append((label, [(str(top.pk), general), *below]))
            else:
                self.choices.append((str(top.pk), label))


class NeedForm(forms.Form):
    category = forms.ChoiceField(label=_("Need"), required=False)
    note = forms.CharField(label=_("Short note"), max_length=500, required=False)
    hand_over = forms.BooleanField(label=_("Hand to the proximity desk"), required=False)

    def __init__(self, *args: Any, need_choices: NeedChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.need_choices = need_choices
        self.fields["category"].choices = need_choices.choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("category") and (cleaned.get("note") or cleaned.get("hand_over")):
            self.add_error("category", gettext("Choose the kind of need, or empty this row."))
        return cleaned

    @property
    def is_blank(self) -> bool:
        cleaned = getattr(self, "cleaned_data", {})
        return not (cleaned.get("category") or cleaned.get("note") or cleaned.get("hand_over"))

    def need_input(self) -> NeedInput:
        return NeedInput(
            category=self.need_choices.by_id[self.cleaned_data["category"]],
            note=self.cleaned_data["note"],
            hand_over=self.cleaned_data["hand_over"],
        )


NeedFormSet = forms.formset_factory(NeedForm, extra=1, max_num=20, validate_max=True)
_NEED_CATEGORY_KEY = re.compile(rf"^{NEEDS_PREFIX}-(\d+)-category$")


def chosen_categories(data: QueryDict | None, need_choices: NeedChoices) -> list[NeedCategory]:
    """The kinds of need chosen in the form's rows, each once, in the order of the rows
    (whether or not the rest of the form is valid): what the call panels look up."""
    if data is None:
        return []
    rows = sorted(
        (int(match[1]), str(data.get(key, "")))
        for key in data
        if (match := _NEED_CATEGORY_KEY.match(key))
    )
    found: dict[str, NeedCategory] = {}
    for _index, value in rows[: NeedFormSet.max_num]:
        if value in need_choices.by_id and value not in found:
            found[value] = need_choices.by_id[value]
    return list(found.values())


def caller_municipality_of(data: QueryDict | None) -> Municipality | None:
    """The municipality typed for an anonymous caller, if it names one."""
    text = str(data.get("caller_municipality", "") or "").strip() if data is not None else ""
    if not text:
        return None
    try:
        return CallForm.base_fields["caller_municipality"].clean(text)
    except ValidationError:
        return None


# --- the call form ------------------------------------------------------------------------


class CallForm(forms.Form):
    """Everything about the call but its needs. `who` is a person's UUID, "anonymous" or
    "new"; the page renders its choices itself, with what is known about each person."""

    who = forms.CharField(
        label=_("Who is calling"),
        error_messages={"required": _("Say who is calling.")},
    )
    caller_first_name = forms.CharField(
        label=_("First name the caller gives"), max_length=100, required=False
    )
    caller_approx_age = forms.IntegerField(
        label=_("Approximate age"),
        required=False,
        min_value=1,
        max_value=119,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    caller_municipality = MunicipalityField(
        label=_("Municipality where the caller lives"),
        required=False,
        widget=MunicipalityInput,
    )
    caller_number = forms.CharField(
        label=_("Caller's number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    search_q = forms.CharField(
        label=SearchForm.base_fields["q"].label,
        help_text=SearchForm.base_fields["q"].help_text,
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent"),
        choices=Urgency.choices,
        initial=Urgency.LOW,
        widget=forms.RadioSelect,
    )
    red_flags = forms.MultipleChoiceField(
        label=_("Red flags"),
        choices=RedFlag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each one alerts the coordinators and the person's social worker."),
    )
    emergency_called = forms.BooleanField(
        label=_("112 was called (by me, or by someone with the caller)"), required=False
    )
    outcomes = forms.MultipleChoiceField(
        label=_("What was done"),
        choices=TICKED_OUTCOMES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Handing a need to the desk, planning a call-back and escalating a red flag are "
            "recorded by themselves."
        ),
    )
    follow_up_on = forms.DateField(label=_("Call back on"), required=False, widget=_date_input())
    follow_up_from = forms.TimeField(label=_("From"), required=False, widget=_time_input())
    follow_up_to = forms.TimeField(label=_("To"), required=False, widget=_time_input())
    follow_up_assignee = forms.ChoiceField(label=_("Who calls back"), required=False)
    follow_up_reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    channel = forms.ChoiceField(
        label=_("How the contact came"),
        choices=Contact.Channel.choices,
        initial=Contact.Channel.INBOUND_CALL,
    )
    opened_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        user: Any,
        candidates: list[Person],
        assignees: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.candidates = {str(p.pk): p for p in candidates}
        self.fields["follow_up_assignee"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Whoever is on duty")),
            *((str(u.pk), str(u)) for u in assignees),
        ]
        self.assignees = {str(u.pk): u for u in assignees}
        self.person: Person | None = None

    def clean_who(self) -> str:
        value: str = self.cleaned_data["who"]
        if value in (WHO_ANONYMOUS, WHO_NEW):
            return value
        if value in self.candidates:
            self.person = self.candidates[value]
            return value
        if person_id_of(value) is None:
            raise ValidationError(gettext("Say who is calling."))
        try:
            self.person = people_selectors.access_person(self.user, value)
        except Http404:
            raise ValidationError(gettext("Say who is calling.")) from None
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        planned = any(
            cleaned.get(name) for name in ("follow_up_from", "follow_up_to", "follow_up_reason")
        )
        if planned and not cleaned.get("follow_up_on") and not self.has_error("follow_up_on"):
            self.add_error(
                "follow_up_on",
                gettext("Give the date of the call-back, or empty the other call-back fields."),
            )
        # Also checked by the service; said here too so it shows with the other errors at once.
        if RedFlag.DANGER_TO_LIFE in (cleaned.get("red_flags") or []) and not cleaned.get(
            "emergency_called"
        ):
            self.add_error(
                "emergency_called",
                gettext(
                    "Danger to life: call 112 now, then tick that you called (or had someone call)."
                ),
            )
        return cleaned

    def contact_input(self, *, number: str, started_at: Any = None) -> ContactInput:
        data = self.cleaned_data
        anonymous = self.person is None
        opened_at = data.get("opened_at")
        now = timezone.now()
        # The time the form was opened is the start of the call, unless the page was left
        # open for hours before the phone rang.
        if started_at is None and opened_at and now - MAX_CALL_LENGTH <= opened_at <= now:
            started_at = opened_at
        return ContactInput(
            channel=data["channel"],
            started_at=started_at,
            person=self.person,
            caller_number=data["caller_number"] or number,
            caller_first_name=data["caller_first_name"] if anonymous else "",
            caller_approx_age=data["caller_approx_age"] if anonymous else None,
            caller_municipality=data["caller_municipality"] if anonymous else None,
            urgency=data["urgency"],
            red_flags=[f for f in RedFlag.values if f in data["red_flags"]],
            emergency_called=data["emergency_called"],
            outcomes=list(data["outcomes"]),
            notes=data["notes"],
        )

    def follow_up_input(self) -> FollowUpInput | None:
        data = self.cleaned_data
        if not data.get("follow_up_on"):
            return None
        return FollowUpInput(
            due_on=data["follow_up_on"],
            window_start=data["follow_up_from"],
            window_end=data["follow_up_to"],
            assignee=self.assignees.get(data["follow_up_assignee"] or ""),
            reason=data["follow_up_reason"],
        )


# Where each key of `log_contact`'s errors belongs on the page.
SERVICE_FIELDS = {
    "person": "who",
    "caller_number": "caller_number",
    "caller_approx_age": "caller_approx_age",
    "caller_first_name": "caller_first_name",
    "urgency": "urgency",
    "red_flags": "red_flags",
    "emergency_called": "emergency_called",
    "outcomes": "outcomes",
    "channel": "channel",
    "notes": "notes",
    "follow_up.due_on": "follow_up_on",
    "follow_up.window_start": "follow_up_from",
    "follow_up.window_end": "follow_up_to",
    "follow_up.assignee": "follow_up_assignee",
    "follow_up.reason": "follow_up_reason",
}


class CallForms:
    """The call form with its needs: builds the service's inputs and puts its errors back."""

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        user: Any,
        candidates: list[Person],
        assignees: list[Any],
        initial: dict[str, Any] | None = None,
    ) -> None:
        self.form = CallForm(
            data, user=user, candidates=candidates, assignees=assignees, initial=initial
        )
        self.needs = NeedFormSet(
            data, prefix=NEEDS_PREFIX, form_kwargs={"need_choices": NeedChoices()}
        )
        self._kept: list[NeedForm] = []

    def is_valid(self) -> bool:
        valid = all([self.form.is_valid(), self.needs.is_valid()])
        self._kept = [f for f in self.needs.forms if not f.is_blank]
        return valid

    def need_inputs(self) -> list[NeedInput]:
        return [f.need_input() for f in self._kept]

    @property
    def red_flags(self) -> list[str]:
        """The red flags ticked, whether or not the form is valid (for the 112 alert)."""
        if self.form.is_bound:
            data: Any = self.form.data
            return list(data.getlist("red_flags"))
        return list(self.form.initial.get("red_flags", []))

    @property
    def who(self) -> str:
        return str(self.form["who"].value() or "")

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.form.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == NEEDS_PREFIX and parts[1].isdigit():
                index = int(parts[1])
                if index < len(self._kept) and parts[2] in self._kept[index].fields:
                    self._kept[index].add_error(parts[2], errors)
                    continue
            self.form.add_error(SERVICE_FIELDS.get(key), errors)

    def quiet(self) -> None:
        """Show what was typed without judging it (a draft reopened, a row added)."""
        form: Any
        for form in [self.form, *self.needs.forms]:
            form._errors = ErrorDict()
            form.cleaned_data = {}
        formset: Any = self.needs
        formset._errors = []
        formset._non_form_errors = formset.error_class(renderer=formset.renderer)

    def error_summary(self) -> list[dict[str, Any]]:
        """Every error on the page, as links to the fields (for the summary at the top)."""

        def collect(form: forms.Form, label_prefix: str = "") -> None:
            items.extend(
                error_summary_items(
                    form,
                    form_anchor="call-form",
                    label_prefix=label_prefix,
                    anchors={"who": "who-fieldset"},
                )
            )

        items: list[dict[str, Any]] = []
        collect(self.form)
        for message in self.needs.non_form_errors():
            items.append({"anchor": "needs-rows", "label": "", "message": message})
        for i, form in enumerate(self.needs.forms, start=1):
            if form.errors:
                collect(form, gettext("Need %(n)d") % {"n": i})
        return items


class LinkSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find the person: surname and name, phone number or codice fiscale"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class LinkPersonForm(forms.Form):
    person = forms.UUIDField(widget=forms.HiddenInput)
