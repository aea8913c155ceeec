"""allauth and axes glue: no sign-up, and one lockout per account whatever identifier is typed."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpRequest

_CACHE_ATTR = "_prossimo_axes_usernames"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Staff accounts are created by administrators, never by sign-up."""
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """A locked-out account gets axes' lockout page, before allauth's own throttling.

        allauth checks its rate limits before calling `authenticate()`, where axes' backend
        would notice the lockout; without this check a locked-out user would see allauth's
        "too many attempts" form error instead of the lockout page (status 429).
        """
        if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str:
    """The account a login attempt is aimed at, as axes counts it (`AXES_USERNAME_CALLABLE`).

    allauth's form sends `login` (username or e-mail), Django's admin and allauth's
    reauthentication send `username`/`email`. All are mapped to the account's username, so
    failures typed with the e-mail address and with the username (in any case) add up.
    Identifiers that match no account are counted as typed, case-folded.
    """
    data = credentials or {}
    typed = data.get("login") or data.get("username") or data.get("email")
    if not typed and request is not None:
        post = getattr(request, "POST", None) or {}
        typed = post.get("login") or post.get("username")
    typed = str(typed or "").strip()
    if not typed:
        return ""
    cache: dict[str, str] = getattr(request, _CACHE_ATTR, None) or {}
    if typed not in cache:
        cache[typed] = _account_username(typed)
        if request is not None:
            setattr(request, _CACHE_ATTR, cache)
    return cache[typed]


def _account_username(typed: str) -> str:
    user_model = get_user_model()
    match = Q(username__iexact=typed)
    if "@" in typed:
        match |= Q(email__iexact=typed) | Q(emailaddress__email__iexact=typed)
    usernames = list(
        user_model._default_manager.filter(match).values_list("username", flat=True).distinct()[:2]
    )
    return usernames[0] if len(usernames) == 1 else typed.casefold()
