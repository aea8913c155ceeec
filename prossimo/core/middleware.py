"""Request middleware: interface language and no caching of pages with personal data."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

LANGUAGE_SESSION_KEY = "prossimo_language"
_CODES = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    """Italian first. `?lang=en` switches for the session; a user's profile choice also counts.

    The browser's Accept-Language is deliberately not used: the service is Italian and a
    volunteer's English-language browser must not change the screens colleagues describe.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        asked = request.GET.get("lang")
        if asked in _CODES:
            request.session[LANGUAGE_SESSION_KEY] = asked
        language = request.session.get(LANGUAGE_SESSION_KEY)
        if language not in _CODES:
            user = getattr(request, "user", None)
            preferred = getattr(user, "preferred_language", "") if user is not None else ""
            language = preferred if preferred in _CODES else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response: HttpResponse = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
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
