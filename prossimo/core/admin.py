"""Django admin for the user account. Domain apps add their inlines with `add_user_inline`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from prossimo.core.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin plus the interface language; roles come from memberships."""

    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("preferred_language",)}),
    )
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")


def add_user_inline(inline: type[InlineModelAdmin[Any, Any]]) -> None:
    """Show an app's rows on the user's admin page (core knows no domain app: they call this)."""
    if inline not in UserAdmin.inlines:
        UserAdmin.inlines = (*UserAdmin.inlines, inline)
