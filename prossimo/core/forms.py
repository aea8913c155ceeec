"""Shared forms: the login form (made to work with django-axes) and one's own profile."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.renderers import TemplatesSetting
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """allauth's login form; axes identifies the account by the `login` credential."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Username or e-mail address")
        login.widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        # A visible label is always there: a placeholder would only repeat it.
        for name in ("login", "password"):
            self.fields[name].widget.attrs.pop("placeholder", None)

    def user_credentials(self) -> dict[str, Any]:
        credentials: dict[str, Any] = super().user_credentials()
        credentials["login"] = credentials.get("email") or credentials.get("username")
        return credentials


class ProfileForm(forms.Form):
    """What a user may set about themselves: the language of the interface."""

    preferred_language = forms.ChoiceField(
        label=_("Language of the interface"),
        help_text=_("Applied now, and every time you log in."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each language is named in itself, so that anyone can find their own.
        self.fields["preferred_language"].choices = [  # type: ignore[attr-defined]
            (code, capfirst(get_language_info(code)["name_local"]))
            for code, _name in settings.LANGUAGES
        ]


class FormRenderer(TemplatesSetting):
    """Every `{{ form.field.as_field_group }}` uses Prossimo's accessible field template."""

    field_template_name = "core/forms/field.html"


def error_summary_items(
    form: forms.Form,
    *,
    form_anchor: str,
    label_prefix: str = "",
    anchors: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """A form's errors as links to its fields, for the error summary at the top of a page.

    `form_anchor` is where errors of the whole form point; `anchors` names other targets for
    fields whose widget has no single id (e.g. a fieldset of radio buttons).
    """
    items: list[dict[str, Any]] = [
        {"anchor": form_anchor, "label": label_prefix, "message": message}
        for message in form.non_field_errors()
    ]
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS:
            continue
        bound = form[name]
        label = f"{label_prefix}, {bound.label}" if label_prefix else str(bound.label)
        anchor = (anchors or {}).get(name) or bound.id_for_label or f"{bound.auto_id}_0"
        items.extend({"anchor": anchor, "label": label, "message": m} for m in errors)
    return items
