"""The REST API: one NinjaAPI, with one router module per app mounted here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from prossimo.api.auth import TokenAuth, require
from prossimo.api.errors import error_body, install_error_handlers
from prossimo.api.fhir import router as fhir_router
from prossimo.api.hsds import PublicWhenOpen
from prossimo.api.hsds import router as hsds_router
from prossimo.api.listening import router as listening_router
from prossimo.api.people import router as people_router
from prossimo.api.programmes import router as programmes_router

DESCRIPTION = """\
Prossimo's REST API for integrations.

**Authentication.** Send an API token, `Authorization: Bearer <token>`; an administrator
issues it with `prossimo api_token create <username> --name NAME`, and the token acts with
that user's roles and territory. In the browser the Prossimo session works too; then `POST`,
`PATCH` and the other unsafe methods need the CSRF token in the `X-CSRFToken` header.
The HSDS directory (`/api/hsds/`) needs neither while it is public (PROSSIMO_HSDS_API_PUBLIC):
its operations then list no security.

**Access.** The same rules as the pages: a person outside the caller's territory does not
exist for them (404, as for an id that does not exist); an operation the caller's role does
not allow is 403. Every person shown (read, listed or found by a search) is recorded in the
audit trail, and so is every change.

**Errors.** Always JSON: `{"detail": "...", "errors": [{"field": "phones.0.number",
"message": "...", "code": "..."}]}`, with messages in Italian (or the user's language).
401 no valid credentials, 403 not allowed, 404 not found, 409 likely duplicate,
422 data not valid.

**Privacy.** Search with `POST /api/people/search`: names, phone numbers and codici fiscali
in a URL end up in logs.
"""


def docs_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The schema and the docs are public outside production (PROSSIMO_API_PUBLIC_DOCS);
    otherwise they need a logged-in user or a valid token."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.PROSSIMO_API_PUBLIC_DOCS or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        try:
            user = TokenAuth()(request)
        except AuthenticationError:
            user = None
        if user is not None:
            return view(request, *args, **kwargs)
        match = request.resolver_match
        if match is not None and match.url_name == "openapi-view":
            return redirect_to_login(request.get_full_path())
        return api.create_response(
            request,
            error_body(_("Log in or send a valid API token to read the schema.")),
            status=401,
        )

    return wrapped


class _Schema(OpenAPISchema):
    """The schema as the API answers now: while the HSDS API is public its operations declare
    no security (a token sent there is not even read), otherwise a token or a session."""

    def operation_security(self, operation: Operation) -> list[dict[str, Any]] | None:
        if any(
            isinstance(auth, PublicWhenOpen) and auth.lets_anyone_in()
            for auth in operation.auth_callbacks
        ):
            return None
        return super().operation_security(operation)


class ProssimoAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        # Built at each request (ninja keeps no copy), so it follows the settings of the moment.
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _Schema(self, path_prefix)


api = ProssimoAPI(
    title="Prossimo API",
    version="1",
    urls_namespace="api",
    description=DESCRIPTION,
    auth=require(),
    # Swagger UI is served from ninja's static files; its validator badge would call out.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_decorator=docs_access,
)
install_error_handlers(api)
api.add_router("/people", people_router)
api.add_router("/telephony", "prossimo.api.telephony.router")
api.add_router("", listening_router)
api.add_router("", programmes_router)
api.add_router("/hsds", hsds_router)
api.add_router("/fhir", fhir_router)
