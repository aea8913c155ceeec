"""Admin for API tokens: see and revoke them. Tokens are issued with `prossimo api_token create`,
which shows the secret once; the admin never shows the stored hash."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from prossimo.api import services
from prossimo.api.models import ApiToken
from prossimo.core.permissions import Perm, user_can


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at",
                    "revoked_at"]  # fmt: skip
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    fields = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The secret must be shown once, to whoever issues it: the command line does that.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked tokens stay, so that the audit trail can name them.
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        if not user_can(request.user, Perm.API_TOKENS):
            self.message_user(request, _("Only administrators revoke tokens."), messages.ERROR)
            return
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                services.revoke_token(request.user, token=token)
            except ValidationError:
                continue
            revoked += 1
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )
