"""API tokens for integrations (hashed at rest)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Every token starts with this marker, so a leaked one is easy to recognise (secret scanners).
TOKEN_MARKER = "prs_"  # noqa: S105 - a public marker, not a secret
#: How many characters of a token are kept in clear, to tell tokens apart in lists and logs.
PREFIX_LENGTH = 12


def hash_token(secret: str) -> str:
    """The SHA-256 of a token: tokens are random and long, so a plain hash is enough."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    return TOKEN_MARKER + secrets.token_urlsafe(32)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Tokens that authenticate: not revoked, not expired, of an active user."""
        now = timezone.now()
        return self.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            revoked_at__isnull=True,
            user__is_active=True,
        )


class ApiToken(models.Model):
    """A secret an integration sends as `Authorization: Bearer <token>` to act as `user`.

    Only the SHA-256 of the secret is stored, with its first characters to recognise it; the
    secret itself is shown once, when the token is created.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the integration.")
    )
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def get_additional_data(self) -> dict[str, Any]:
        return {"api_token": self.pk, "user": self.user_id}
