"""Who is calling the API: a bearer token (integrations) or the browser's session (with CSRF).

Both set `request.user` to the authenticated user, so that the audit trail written while the
request is served (`prossimo.core.audit`) names them, and both can require a permission code,
checked before the request's parameters are read: 401, then 403, then 422 or 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import translation
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from prossimo.api import selectors, services
from prossimo.core.permissions import user_can

_LANGUAGES = {code for code, _name in settings.LANGUAGES}


class CsrfFailed(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "CSRF check failed")


def _authorise(request: HttpRequest, user: Any, permission: str | None) -> Any:
    request.user = user
    if permission is not None and not user_can(user, permission):
        raise PermissionDenied
    return user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`, a token issued with `prossimo api_token create`.

    A bearer header that is not a usable token (unknown, revoked, expired, of an inactive user)
    is refused at once, without falling back to the session.
    """

    openapi_description = "An API token: `Authorization: Bearer prs_…`."

    def __init__(self, permission: str | None = None) -> None:
        self.permission = permission
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        # HttpBearer.__call__ would log the whole header (the secret) in DEBUG: not here.
        scheme, _sep, secret = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, secret)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = selectors.token_for_secret(token)
        if api_token is None:
            raise AuthenticationError
        services.record_token_use(api_token)
        user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        # No session carries a language here: the user's own choice counts, else Italian.
        if user.preferred_language in _LANGUAGES:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return _authorise(request, user, self.permission)


class SessionAuth(APIKeyCookie):
    """The browser's Django session; unsafe methods need the CSRF token (`X-CSRFToken`)."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = "The session of a user logged in to Prossimo in the browser."

    def __init__(self, permission: str | None = None) -> None:
        self.permission = permission
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        # Without a logged-in user this method does not apply: the answer is 401, not a
        # CSRF failure.
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise CsrfFailed
        return _authorise(request, user, self.permission)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None  # pragma: no cover - __call__ does the work


def require(permission: str | None = None) -> list[Any]:
    """The `auth` of an operation: a token or a session, holding `permission` if given."""
    return [TokenAuth(permission), SessionAuth(permission)]
