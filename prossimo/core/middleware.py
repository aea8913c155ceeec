"""Request middleware: interface language and no caching of pages with personal data."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

LANGUAGE_SESSION_KEY = "prossimo_language"
# The user whose profile language has been applied to this session (once per login).
LANGUAGE_APPLIED_KEY = "prossimo_language_user"
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def use_language(request: HttpRequest, language: str) -> None:
    """Show the interface in `language` from the next response on, for this session."""
    if language in LANGUAGE_CODES:
        request.session[LANGUAGE_SESSION_KEY] = language
    else:
        request.session.pop(LANGUAGE_SESSION_KEY, None)


class LanguageMiddleware:
    """Italian first. `?lang=en` switches for the session; the profile's language wins at login.

    The language of a request is, in order: `?lang=` (remembered in the session), the choice
    already in the session, `LANGUAGE_CODE`. On the first request after a login the user's
    `preferred_language`, when set, replaces whatever the session held: a choice made on the
    login page lasts until then, the profile's choice from every login on.

    The browser's Accept-Language is deliberately not used: the service is Italian and a
    volunteer's English-language browser must not change the screens colleagues describe.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            owner = str(user.pk)
            if session.get(LANGUAGE_APPLIED_KEY) != owner:
                session[LANGUAGE_APPLIED_KEY] = owner
                if user.preferred_language in LANGUAGE_CODES:
                    session[LANGUAGE_SESSION_KEY] = user.preferred_language
        asked = request.GET.get("lang")
        if asked in LANGUAGE_CODES:
            session[LANGUAGE_SESSION_KEY] = asked
        language = session.get(LANGUAGE_SESSION_KEY)
        if language not in LANGUAGE_CODES:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response: HttpResponse = self.get_response(request)
        finally:
            translation.deactivate()
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreMiddleware:
    """Pages shown to a logged-in user may hold personal data: browsers must not keep them."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            patch_cache_control(response, no_store=True, private=True)
        return response
