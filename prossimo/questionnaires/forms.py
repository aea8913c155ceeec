"""Forms of the questionnaires app: one radio group per question, built from the definition.

Scoring and the rules of a screening live in `scoring.py` and `services.py`; the forms only
parse what was typed and give each question an accessible group (fieldset and legend).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prossimo.core.forms import error_summary_items
from prossimo.questionnaires.definition import item_options, translated
from prossimo.questionnaires.models import Questionnaire

ANSWERS_PREFIX = "answers"


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class AnswersForm(forms.Form):
    """One required choice per question (field name: the item id, stable across versions)."""

    def __init__(self, questionnaire: Questionnaire, language: str, *args: Any, **kwargs: Any):
        kwargs.setdefault("prefix", ANSWERS_PREFIX)
        super().__init__(*args, **kwargs)
        definition = questionnaire.definition
        self.numbers: dict[str, str] = {}
        for item in definition["items"]:
            text = translated(item["text"], language)
            number = item.get("number")
            self.numbers[item["id"]] = number or ""
            self.fields[item["id"]] = forms.ChoiceField(
                label=f"{number}. {text}" if number else text,
                choices=[
                    (option["value"], translated(option["label"], language))
                    for option in item_options(definition, item)
                ],
                widget=forms.RadioSelect,
                required=item.get("required", True),
                help_text=translated(item.get("help"), language),
                error_messages={
                    "required": _("Answer this question."),
                    "invalid_choice": _("Choose one of the answers given."),
                },
            )

    def answers(self) -> dict[str, str]:
        return {key: value for key, value in self.cleaned_data.items() if value}


class ScreeningForm(forms.Form):
    """When the screening was taken, in which language, and what it was taken for."""

    taken_at = forms.DateTimeField(
        label=_("Taken on"),
        initial=_now_local,
        help_text=_("Change it when you record a screening taken earlier."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    language = forms.CharField(widget=forms.HiddenInput, max_length=8)
    context = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)


def error_summary(screening: ScreeningForm, answers: AnswersForm) -> list[dict[str, Any]]:
    """The problems of the whole form, the questions named by their number ("Question 12")
    rather than by their whole text."""
    items = error_summary_items(screening, form_anchor="screening-form")
    for item in error_summary_items(answers, form_anchor="screening-form"):
        name = item["anchor"].removeprefix(f"id_{ANSWERS_PREFIX}-").removesuffix("_0")
        if answers.numbers.get(name):
            item["label"] = gettext("Question %(number)s") % {"number": answers.numbers[name]}
        items.append(item)
    return items
