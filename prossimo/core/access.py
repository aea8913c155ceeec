"""The one door for access checks in views: log in, hold the permission, reach the object.

Outside a user's scope an object does not exist for them (404); inside the scope but without the
permission the answer is 403. Selectors' `access_<thing>` functions raise these exceptions, so
views and API endpoints behave the same.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from prossimo.core.permissions import user_can


def require_permission(code: str) -> Callable[[Callable[..., HttpResponse]], Any]:
    """View decorator: anonymous users go to the login page; users without `code` get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_can(request.user, code):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_permission = code  # type: ignore[attr-defined]
        return wrapped

    return decorator


def require_login(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.required_permission = None  # type: ignore[attr-defined]
    return wrapped
