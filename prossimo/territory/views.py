"""Territory pages: municipality autocomplete (for forms) and the ambiti list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from prossimo.core.access import require_login, require_permission
from prossimo.core.permissions import Perm
from prossimo.territory import selectors


@require_login
def municipality_autocomplete(request: HttpRequest) -> HttpResponse:
    """Options for the municipality field: a fragment HTMX swaps in under the input."""
    text = request.GET.get("q", "")
    return render(
        request,
        "territory/municipality_options.html",
        {"municipalities": selectors.search_municipalities(text), "q": text},
    )


@require_permission(Perm.TERRITORY_MANAGE)
def ambiti(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "territory/ambiti.html",
        {"nav": "territory", "ambiti": selectors.ambiti_with_counts()},
    )
