"""The read-only HSDS 3.0 API of the resource directory: the standard's paths and shapes.

`/api/hsds/` describes the API; `/services`, `/organizations`, `/taxonomies`,
`/taxonomy_terms` and `/service_at_locations` are pages in the standard's shape
(`{total_items, total_pages, page_number, size, first_page, last_page, empty, contents}`, with
the `*_list` records), and `/{table}/{id}` give one record fully nested (`service_full`,
`organization_full`…), the same JSON as `prossimo hsds export` (decision 0011).

**Public** when `PROSSIMO_HSDS_API_PUBLIC` is true (the default): formal HSDS records are public
information about public and third-sector services. When it is false, a valid API token (or a
logged-in session) is needed: 401 otherwise.

**Only formal services.** Only the HSDS tables are read: informal resources (people and
groups listed with their consent) are never served here. No personal data is served, so no
access is written to the audit trail, unlike the people endpoints.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator

from prossimo.api.auth import require
from prossimo.api.errors import ErrorOut
from prossimo.api.people import _storable
from prossimo.directory import models as m
from prossimo.directory import selectors

HSDS_VERSION = "3.0"
#: No HSDS profile: the base standard, as published by Open Referral.
PROFILE = "https://docs.openreferral.org/en/v3.0/"


class PublicWhenOpen:
    """Lets everyone in while `PROSSIMO_HSDS_API_PUBLIC` is true (read at each request); the
    OpenAPI schema asks `lets_anyone_in` too, so that it declares no security then."""

    def lets_anyone_in(self) -> bool:
        return bool(settings.PROSSIMO_HSDS_API_PUBLIC)

    def __call__(self, request: HttpRequest) -> Any:
        return True if self.lets_anyone_in() else None


router = Router(tags=["HSDS directory"], auth=[PublicWhenOpen(), *require()])

SearchText = Annotated[str, Field(max_length=200), AfterValidator(_storable)]
ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ApiInfo(Schema):
    version: str = Field(description="HSDS version of this API.")
    profile: str = Field(description="URL of the information on the HSDS profile of this API.")
    openapi_url: str = Field(description="URL of the OpenAPI file which defines this API.")


class HsdsPage(Schema):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1.")
    per_page: int = Field(
        selectors.DEFAULT_PER_PAGE,
        ge=1,
        le=selectors.MAX_PER_PAGE,
        description=f"Records in a page, at most {selectors.MAX_PER_PAGE}.",
    )
    search: SearchText = Field("", description="Text in the records' names.")


class ServiceQuery(PageQuery):
    search: SearchText = Field(
        "", description="Text in the services' name, alternate name or description."
    )
    taxonomy_term_id: uuid.UUID | None = Field(
        None, description="Only services with this taxonomy term (as an attribute)."
    )
    taxonomy_id: uuid.UUID | None = Field(
        None, description="Only services with a term of this taxonomy."
    )
    organization_id: uuid.UUID | None = Field(
        None, description="Only services of this organization."
    )
    full: bool = Field(False, description="Fully nested services (`service_full`).")


class ServiceAtLocationQuery(PageQuery):
    organization_id: uuid.UUID | None = Field(
        None, description="Only services of this organization."
    )
    full: bool = Field(False, description="Fully nested records.")


class OrganizationQuery(PageQuery):
    full: bool = Field(False, description="Fully nested organizations, with their services.")


def _page(table: str, queryset: Any, filters: PageQuery, *, full: bool = False) -> Any:
    return selectors.page(
        table, queryset, page_number=filters.page, per_page=filters.per_page, full=full
    ).as_hsds()


def _one(table: str, record_id: str) -> dict[str, Any]:
    found = selectors.record(table, record_id)
    if found is None:
        raise Http404
    return found


@router.get(
    "/",
    response={200: ApiInfo, 401: ErrorOut},
    operation_id="hsds_api_info",
    summary="About this HSDS API",
)
def api_info(request: HttpRequest) -> dict[str, Any]:
    return {
        "version": HSDS_VERSION,
        "profile": PROFILE,
        "openapi_url": request.build_absolute_uri(reverse("api:openapi-json")),
    }


@router.get(
    "/services",
    response={200: HsdsPage, **ERRORS},
    operation_id="hsds_services_list",
    summary="List services",
    description="A page of services, by name, as the standard's `service_list` (one-to-one "
    "fields, their organization and program); with `full=true` as `service_full`.",
)
def list_services(request: HttpRequest, filters: Query[ServiceQuery]) -> Any:
    services = selectors.services(
        search=filters.search,
        taxonomy_term_id=filters.taxonomy_term_id,
        taxonomy_id=filters.taxonomy_id,
        organization_id=filters.organization_id,
    )
    return _page("service", services, filters, full=filters.full)


@router.get(
    "/services/{id}",
    response={200: dict[str, Any], **ERRORS},
    operation_id="hsds_service",
    summary="A service, fully nested (service_full)",
)
def get_service(request: HttpRequest, id: str) -> dict[str, Any]:
    return _one("service", id)


@router.get(
    "/organizations",
    response={200: HsdsPage, **ERRORS},
    operation_id="hsds_organizations_list",
    summary="List organizations",
    description="A page of organizations, by name, as the standard's `organization_list`; "
    "with `full=true` as `organization_full`, with their services.",
)
def list_organizations(request: HttpRequest, filters: Query[OrganizationQuery]) -> Any:
    organizations = selectors.named(m.Organization, filters.search)
    return _page("organization", organizations, filters, full=filters.full)


@router.get(
    "/organizations/{id}",
    response={200: dict[str, Any], **ERRORS},
    operation_id="hsds_organization",
    summary="An organization, fully nested with its services (organization_full)",
)
def get_organization(request: HttpRequest, id: str) -> dict[str, Any]:
    return _one("organization", id)


@router.get(
    "/taxonomies",
    response={200: HsdsPage, **ERRORS},
    operation_id="hsds_taxonomies_list",
    summary="List taxonomies",
)
def list_taxonomies(request: HttpRequest, filters: Query[PageQuery]) -> Any:
    return _page("taxonomy", selectors.named(m.Taxonomy, filters.search), filters)


@router.get(
    "/taxonomies/{id}",
    response={200: dict[str, Any], **ERRORS},
    operation_id="hsds_taxonomy",
    summary="A taxonomy",
)
def get_taxonomy(request: HttpRequest, id: str) -> dict[str, Any]:
    return _one("taxonomy", id)


@router.get(
    "/taxonomy_terms",
    response={200: HsdsPage, **ERRORS},
    operation_id="hsds_taxonomy_terms_list",
    summary="List taxonomy terms",
)
def list_taxonomy_terms(request: HttpRequest, filters: Query[PageQuery]) -> Any:
    return _page("taxonomy_term", selectors.named(m.TaxonomyTerm, filters.search), filters)


@router.get(
    "/taxonomy_terms/{id}",
    response={200: dict[str, Any], **ERRORS},
    operation_id="hsds_taxonomy_term",
    summary="A taxonomy term",
)
def get_taxonomy_term(request: HttpRequest, id: str) -> dict[str, Any]:
    return _one("taxonomy_term", id)


@router.get(
    "/service_at_locations",
    response={200: HsdsPage, **ERRORS},
    operation_id="hsds_service_at_locations_list",
    summary="List services at locations",
    description="A page of services at locations as the standard's "
    "`service_at_location_list` (with their location and service); with `full=true` fully "
    "nested.",
)
def list_service_at_locations(request: HttpRequest, filters: Query[ServiceAtLocationQuery]) -> Any:
    records = selectors.service_at_locations(
        search=filters.search, organization_id=filters.organization_id
    )
    return _page("service_at_location", records, filters, full=filters.full)


@router.get(
    "/service_at_locations/{id}",
    response={200: dict[str, Any], **ERRORS},
    operation_id="hsds_service_at_location",
    summary="A service at a location, fully nested (service_at_location_full)",
)
def get_service_at_location(request: HttpRequest, id: str) -> dict[str, Any]:
    return _one("service_at_location", id)
