"""Shared forms: the login form, made to work with django-axes' lockout."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from django.forms.renderers import TemplatesSetting


class LoginForm(AllauthLoginForm):
    """allauth's login form; axes identifies the account by the `login` credential."""

    def user_credentials(self) -> dict[str, Any]:
        credentials: dict[str, Any] = super().user_credentials()
        credentials["login"] = credentials.get("email") or credentials.get("username")
        return credentials


class FormRenderer(TemplatesSetting):
    """Every `{{ form.field.as_field_group }}` uses Prossimo's accessible field template."""

    field_template_name = "core/forms/field.html"
