"""Reads for the API: finding the token a request presents."""

from __future__ import annotations

from django.db.models import QuerySet

from prossimo.api.models import TOKEN_MARKER, ApiToken, hash_token

#: Longer headers are not tokens of ours: don't hash arbitrary amounts of data.
MAX_SECRET_LENGTH = 200


def token_for_secret(secret: str) -> ApiToken | None:
    """The usable token with this secret (with its user loaded), or None."""
    secret = (secret or "").strip()
    if not secret.startswith(TOKEN_MARKER) or len(secret) > MAX_SECRET_LENGTH:
        return None
    return (
        ApiToken.objects.usable()
        .select_related("user")
        .filter(token_hash=hash_token(secret))
        .first()
    )


def tokens_for_listing() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
