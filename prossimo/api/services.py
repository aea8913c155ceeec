"""Writes for the API: issuing and revoking tokens, noting when a token was last used."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.api.models import PREFIX_LENGTH, ApiToken, hash_token, new_secret
from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, user_can

#: `last_used_at` is a hint for administrators, not an audit record: write it at most this often.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def _check_issuer(actor: Any) -> None:
    # `None` is the server's operator, at the command line.
    if actor is not None and not user_can(actor, Perm.API_TOKENS):
        raise PermissionDenied


@transaction.atomic(durable=True)
def issue_token(
    actor: Any, *, user: Any, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token acting as `user`; return it with its secret, which is never stored.

    Rules: only administrators (or the operator at the command line, `actor=None`) issue
    tokens; the user must be active; the token needs a name; an expiry must be in the future.
    """
    _check_issuer(actor)
    name = " ".join((name or "").split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Say what the token is for.")]
    elif len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        errors["name"] = [_("The name is too long.")]
    if not user.is_active:
        errors["user"] = [_("The user is not active.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry date must be in the future.")]
    if errors:
        raise ValidationError(errors)
    secret = new_secret()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_token(secret),
        expires_at=expires_at,
    )
    audit_event(actor, "api.token.created", obj=token)
    return token, secret


@transaction.atomic(durable=True)
def revoke_token(actor: Any, *, token: ApiToken) -> ApiToken:
    """Revoke a token for good: it stops authenticating at once. Revoking twice is an error."""
    _check_issuer(actor)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError(_("This token was already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_event(actor, "api.token.revoked", obj=token)
    return token


def record_token_use(token: ApiToken) -> None:
    """Note that the token was just used (at most once a minute, to spare the database)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
