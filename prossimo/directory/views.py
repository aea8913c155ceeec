"""The resource directory's pages: the search (a list, and a map of what it found) and a
service's page.

Formal services are public information: any logged-in member of staff sees them, monitoring
officers too, and reading them is not audited. Informal resources are a private person's or
group's details: shown only through `search_informal` (`InformalResource.visible_to`), on the
search page only, and every one shown is recorded in the audit trail.

The map is an enhancement: the pages are complete lists without it. Informal resources have
no address of their own, only a municipality, and the territory holds no coordinates of
municipalities: they are placed at the centre of the directory's own geolocated places in
that municipality (the mean of the locations whose address is in it), marked as approximate,
and listed but not mapped when the directory has no place there.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from prossimo.core.audit import audit_access
from prossimo.core.forms import error_summary_items
from prossimo.core.permissions import Perm, permissions_of, user_can
from prossimo.directory import formatting
from prossimo.directory.forms import DirectorySearchForm
from prossimo.directory.models import (
    Address,
    CostOption,
    InformalResource,
    Language,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceMunicipality,
    ServiceNeed,
)
from prossimo.directory.search import SearchPage, ServiceHit, search_informal, search_services
from prossimo.territory.models import Municipality

PAGE_SIZE = 20
MAX_PAGE = 500


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def require_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the login page; users without any role in an organisation get
    403. Every role may read the directory (monitoring officers too)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions_of(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.required_permission = None  # type: ignore[attr-defined]
    return wrapped


def _language() -> str:
    return (get_language() or "it")[:2]


def _map_settings() -> dict[str, str] | None:
    """The tile server of the map, or None when none is set (no map at all, lists only)."""
    url = getattr(settings, "PROSSIMO_MAP_TILES_URL", "")
    if not url:
        return None
    return {"tiles": url, "attribution": getattr(settings, "PROSSIMO_MAP_TILES_ATTRIBUTION", "")}


def _phones(numbers: Iterable[str]) -> list[dict[str, str]]:
    return [{"number": n, "href": formatting.tel_href(n)} for n in numbers if n]


def _schedules(schedules: Iterable[Schedule]) -> list[dict[str, str]]:
    rows = []
    for schedule in schedules:
        summary = formatting.schedule_summary(schedule)
        rows.append(
            {
                "summary": summary,
                "validity": formatting.schedule_validity(schedule),
                # The description, when the summary is not already it.
                "description": schedule.description if schedule.description != summary else "",
                "notes": schedule.notes,
            }
        )
    return rows


def _today_text(schedules: list[Schedule]) -> str:
    hours = formatting.hours_on(schedules, timezone.localdate())
    if hours is None:
        return ""
    if not hours:
        return _("Closed today")
    return _("Today: %(hours)s") % {"hours": ", ".join(hours)}


def _service_rows(
    hits: list[ServiceHit], points: list[dict[str, Any]], *, mapped: bool
) -> list[dict[str, Any]]:
    """What each result shows, and (`mapped`) the map's points of its places, appended to
    `points`."""
    language = _language()
    rows = []
    for hit in hits:
        service = hit.service
        url = reverse("directory:service", args=[service.pk])
        places = []
        for place in hit.places:
            key = ""
            if mapped and place.latitude is not None and place.longitude is not None:
                key = f"{service.pk}:{place.location_id}"
                points.append(
                    {
                        "key": key,
                        "kind": "service",
                        "title": service.name,
                        "subtitle": service.organization.name,
                        "address": place.address,
                        "url": url,
                        "lat": place.latitude,
                        "lon": place.longitude,
                    }
                )
            places.append({"name": place.name, "address": place.address, "map_key": key})
        rows.append(
            {
                "pk": service.pk,
                "name": service.name,
                "url": url,
                "organization": service.organization.name,
                "alert": service.alert,
                "phones": _phones(hit.phones),
                "today": _today_text(hit.schedules),
                "schedules": [formatting.schedule_summary(s) for s in hit.schedules],
                "eligibility": formatting.eligibility_text(service),
                "needs": [n.label(language) for n in hit.needs],
                "places": places,
            }
        )
    return rows


def _centres(municipalities: Iterable[Municipality]) -> dict[int, tuple[float, float]]:
    """Where to place a municipality on the map: the mean position of the directory's
    locations whose address is in it (one query)."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for municipality in municipalities:
        by_name[municipality.name.casefold()].append(municipality.pk)
    if not by_name:
        return {}
    in_them = Q()
    for name in by_name:
        in_them |= Q(city__iexact=name)
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for row in (
        Address.objects.filter(
            in_them, location__latitude__isnull=False, location__longitude__isnull=False
        )
        .values("city")
        .annotate(lat=Avg("location__latitude"), lon=Avg("location__longitude"), n=Count("pk"))
        .order_by()
    ):
        total = sums[row["city"].strip().casefold()]
        total[0] += row["lat"] * row["n"]
        total[1] += row["lon"] * row["n"]
        total[2] += row["n"]
    centres: dict[int, tuple[float, float]] = {}
    for name, (lat, lon, n) in sums.items():
        for pk in by_name.get(name, []):
            centres[pk] = (lat / n, lon / n)
    return centres


def _informal_rows(
    resources: list[InformalResource], points: list[dict[str, Any]], *, mapped: bool
) -> list[dict[str, Any]]:
    """What each informal resource shows; one approximate point per municipality."""
    language = _language()
    centres = _centres({r.municipality for r in resources}) if mapped else {}
    by_municipality: dict[int, list[InformalResource]] = defaultdict(list)
    rows = []
    for resource in resources:
        key = ""
        if resource.municipality_id in centres:
            key = f"informal:{resource.municipality_id}"
            by_municipality[resource.municipality_id].append(resource)
        rows.append(
            {
                "pk": resource.pk,
                "anchor": f"informal-{resource.pk}",
                "kind": resource.get_kind_display(),
                "name": resource.name,
                "description": resource.description,
                "phones": _phones([resource.phone]),
                "municipality": resource.municipality.name,
                "needs": [n.label(language) for n in resource.needs.all()],
                "map_key": key,
            }
        )
    for pk, group in by_municipality.items():
        lat, lon = centres[pk]
        points.append(
            {
                "key": f"informal:{pk}",
                "kind": "informal",
                "title": _("Informal resources in %(municipality)s")
                % {"municipality": group[0].municipality.name},
                "subtitle": _("Approximate position: the municipality, not an address."),
                "items": [{"name": r.name, "anchor": f"#informal-{r.pk}"} for r in group],
                "lat": lat,
                "lon": lon,
            }
        )
    return rows


def _page_number(value: str | None) -> int:
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def _page_url(params: QueryDict, number: int) -> str:
    query = params.copy()
    query.pop("page", None)
    if number > 1:
        query["page"] = str(number)
    items = [(k, v) for k, values in query.lists() for v in values if v != ""]
    encoded = urlencode(items)
    return reverse("directory:search") + (f"?{encoded}" if encoded else "")


@require_staff
@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    """Services (and, for staff who orient people, informal resources) matching what was
    asked, a page at a time, with a map of where they are. HTMX asks for the results only."""
    form = DirectorySearchForm(request.GET)
    number = _page_number(request.GET.get("page"))
    map_settings = _map_settings()
    points: list[dict[str, Any]] = []
    found: SearchPage | None = None
    rows: list[dict[str, Any]] = []
    informal_rows: list[dict[str, Any]] | None = None
    error_items: list[dict[str, Any]] = []
    if form.is_valid():
        query = form.query()
        found = search_services(query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        rows = _service_rows(found.hits, points, mapped=map_settings is not None)
        if user_can(request.user, Perm.LISTENING_LOG):
            informal: list[InformalResource] = []
            if number == 1:
                informal = search_informal(
                    request.user,
                    text=query.text,
                    need=query.need,
                    municipality=query.municipality,
                )
                audit_access(request.user, informal, via="directory_search")
            informal_rows = _informal_rows(informal, points, mapped=map_settings is not None)
    else:
        error_items = error_summary_items(form, form_anchor="directory-form")
    context = {
        "nav": "directory",
        "form": form,
        "error_items": error_items,
        "found": found,
        "rows": rows,
        "informal_rows": informal_rows,
        "page_number": number,
        "previous_url": _page_url(request.GET, number - 1) if number > 1 else "",
        "next_url": _page_url(request.GET, number + 1) if found and found.has_more else "",
        "map": map_settings if points else None,
        "map_enabled": map_settings is not None,
        "points_json": json.dumps(points),
    }
    if request.htmx and not request.htmx.history_restore_request:
        context["htmx_partial"] = True
        response = render(request, "directory/search.html#search", context)
    else:
        response = render(request, "directory/search.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- a service's page ----------------------------------------------------------------------


def _service_or_404(user: Any, service_id: Any) -> Service:
    """A service of the directory (public information: every service, whatever its status)."""
    service = (
        Service.objects.visible_to(user)
        .select_related("organization", "program")
        .filter(pk=service_id)
        .first()
    )
    if service is None:
        raise Http404(_("No service of the directory has this address."))
    return service


@require_staff
@require_GET
def service_detail(request: HttpRequest, service_id: Any) -> HttpResponse:
    """Everything the directory knows about a service worth showing, and a map of where."""
    service = _service_or_404(request.user, service_id)
    language = _language()
    at_locations = list(
        ServiceAtLocation.objects.filter(service=service)
        .select_related("location")
        .prefetch_related("location__addresses", "location__accessibility", "location__phones")
        .order_by("location__name", "pk")
    )
    sal_ids = [sal.pk for sal in at_locations]
    phones = list(
        Phone.objects.filter(Q(service=service) | Q(service_at_location_id__in=sal_ids)).order_by(
            "pk"
        )
    )
    schedules = list(
        Schedule.objects.filter(
            Q(service=service) | Q(service_at_location_id__in=sal_ids)
        ).order_by("opens_at", "pk")
    )
    map_settings = _map_settings()
    url = reverse("directory:service", args=[service.pk])
    points: list[dict[str, Any]] = []
    places = []
    for sal in at_locations:
        location = sal.location
        key = ""
        addresses = [
            ", ".join(
                p
                for p in (
                    a.address_1,
                    a.address_2,
                    f"{a.postal_code} {a.city}".strip(),
                    a.state_province,
                )
                if p
            )
            for a in location.addresses.all()
        ]
        if map_settings and location.latitude is not None and location.longitude is not None:
            key = f"{service.pk}:{location.pk}"
            points.append(
                {
                    "key": key,
                    "kind": "service",
                    "title": location.name or service.name,
                    "subtitle": service.name,
                    "address": addresses[0] if addresses else "",
                    "url": url,
                    "lat": location.latitude,
                    "lon": location.longitude,
                }
            )
        places.append(
            {
                "name": location.name,
                "description": sal.description or location.description,
                "addresses": addresses,
                "transportation": location.transportation,
                "accessibility": [a.description or a.details for a in location.accessibility.all()],
                "phones": _phones(p.number for p in location.phones.all()),
                "url": formatting.web_link(location.url),
                "map_key": key,
            }
        )
    municipalities = [
        link.municipality.label
        for link in ServiceMunicipality.objects.filter(service=service)
        .select_related("municipality__province")
        .order_by("municipality__name")
    ]
    context = {
        "nav": "directory",
        "service": service,
        "organization": service.organization,
        "service_url": formatting.web_link(service.url),
        "organization_url": formatting.web_link(service.organization.website),
        "phones": [
            {
                "number": p.number,
                "href": formatting.tel_href(p.number),
                "description": p.description or p.type,
            }
            for p in phones
        ],
        "today": _today_text(schedules),
        "schedules": _schedules(schedules),
        "places": places,
        "eligibility": formatting.eligibility_text(service),
        "documents": [
            {"document": d.document, "url": formatting.web_link(d.uri)}
            for d in RequiredDocument.objects.filter(service=service).order_by("document", "pk")
        ],
        "costs": list(CostOption.objects.filter(service=service).order_by("valid_from", "pk")),
        "languages": [
            lang.name or lang.code
            for lang in Language.objects.filter(service=service).order_by("name", "pk")
        ],
        "needs": [
            link.category.label(language)
            for link in ServiceNeed.objects.filter(service=service)
            .select_related("category")
            .order_by("category__position", "category__name")
        ],
        "areas": list(ServiceArea.objects.filter(service=service).order_by("name", "pk")),
        "municipalities": municipalities,
        "map": map_settings if points else None,
        "points_json": json.dumps(points),
        "back_url": reverse("directory:search"),
    }
    return render(request, "directory/service.html", context)
