"""Template helpers for accessible Bootstrap Italia forms and plain display of values."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils.safestring import SafeString

from prossimo.core.phones import format_phone

register = template.Library()

_TEXTUAL = (
    forms.TextInput,
    forms.EmailInput,
    forms.NumberInput,
    forms.PasswordInput,
    forms.URLInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.Textarea,
)


def widget_kind(bound: forms.BoundField) -> str:
    widget = bound.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "choices"
    if isinstance(widget, forms.Select):
        return "select"
    return "text"


@register.filter
def kind(bound: forms.BoundField) -> str:
    return widget_kind(bound)


@register.filter
def widget(bound: forms.BoundField) -> SafeString:
    """The field's widget with the classes and ARIA links Bootstrap Italia and WCAG expect."""
    attrs: dict[str, Any] = {}
    k = widget_kind(bound)
    css = {"checkbox": "form-check-input", "choices": "", "select": "form-select"}.get(
        k, "form-control"
    )
    if bound.errors:
        css += " is-invalid"
        attrs["aria-invalid"] = "true"
    if css.strip():
        existing = bound.field.widget.attrs.get("class", "")
        attrs["class"] = f"{existing} {css}".strip()
    described = []
    if bound.help_text:
        described.append(f"{bound.auto_id}_help")
    if bound.errors:
        described.append(f"{bound.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if bound.field.required and k != "choices":
        attrs["aria-required"] = "true"
    return bound.as_widget(attrs=attrs)


@register.filter
def phone(value: str) -> str:
    return format_phone(value) if value else ""
