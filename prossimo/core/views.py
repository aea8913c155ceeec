"""Pages of the shared kernel: home, one's profile, privacy and accessibility, error pages."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from prossimo.core.access import require_login
from prossimo.core.forms import ProfileForm
from prossimo.core.middleware import use_language
from prossimo.core.models import User
from prossimo.core.permissions import Role, roles_of


@require_login
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/home.html",
        {
            "nav": "home",
            "roles": sorted(roles_of(request.user)),
            "roles_display": [Role(r).label for r in sorted(roles_of(request.user))],
        },
    )


def set_preferred_language(user: User, *, language: str) -> None:
    """A user chooses their own interface language; it applies from each of their logins on."""
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])


@require_login
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """One's own account: the interface language, and the way to password and two-factor pages."""
    user = cast(User, request.user)  # require_login lets only logged-in users through
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            language = form.cleaned_data["preferred_language"]
            set_preferred_language(user, language=language)
            use_language(request, language)
            with translation.override(language):
                messages.success(request, _("Your preferences have been saved."))
            return redirect("core:profile")
    else:
        language = user.preferred_language or request.LANGUAGE_CODE
        form = ProfileForm(initial={"preferred_language": language})
    return render(request, "account/profile.html", {"form": form, "nav": "profile"})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponsePermanentRedirect(static("prossimo/favicon.svg"))
