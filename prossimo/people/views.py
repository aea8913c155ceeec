"""People pages: thin views over `selectors` (reads) and `services` (writes)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.permissions import Perm, user_can
from prossimo.people import selectors
from prossimo.people.forms import SearchForm


@require_permission(Perm.PEOPLE_VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """Search by POST, so that names, phones and fiscal codes never appear in a URL or log."""
    results = None
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            results = selectors.search_people(
                request.user,
                form.cleaned_data["q"],
                include_inactive=form.cleaned_data["include_inactive"],
            )
            audit_access(request.user, results, via="search")
    else:
        form = SearchForm()
    context = {"form": form, "results": results, "nav": "people"}
    if request.htmx and request.method == "POST":
        return render(request, "people/search.html#results", context)
    return render(request, "people/search.html", context)


@require_permission(Perm.PEOPLE_VIEW)
def detail(request: HttpRequest, person_id: str) -> HttpResponse:
    person = selectors.access_person(request.user, person_id)
    audit_detail_access(request.user, person, via="page")
    context = {
        "person": person,
        "nav": "people",
        "can_change": user_can(request.user, Perm.PEOPLE_CHANGE),
        "can_audit": user_can(request.user, Perm.PEOPLE_AUDIT),
        **selectors.person_record(person),
    }
    return render(request, "people/detail.html", context)
