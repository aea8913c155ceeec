"""One shape for every API error: `{"detail": message, "errors": [{field, message, code}]}`.

Messages are translated (English msgids, Italian by default) and never repeat the values sent,
which may be personal data. Field paths follow the JSON body: `phones.0.number`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from prossimo.api.auth import CsrfFailed
from prossimo.listening.services import ConcurrentEdit

#: Where a parameter came from, first in a ninja error's `loc`: not part of the field's path.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


class FieldError(Schema):
    field: str | None = None
    message: str
    code: str = "invalid"


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


#: The errors every operation may answer: on a listing, on one record, on a versioned write.
LIST_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
ONE_ERRORS: dict[int, Any] = {**LIST_ERRORS, 404: ErrorOut}
LOCKED_ERRORS: dict[int, Any] = {**ONE_ERRORS, 409: ErrorOut}


def error_body(detail: str, errors: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    return {"detail": detail, "errors": list(errors)}


def stale_version_body(exc: ConcurrentEdit, *, field: str) -> dict[str, Any]:
    """The 409 of a write from an outdated copy, pointing at the version sent in `field`."""
    error = {"field": field, "message": exc.messages[0], "code": "stale"}
    detail = _(
        "Someone else changed this record since the version sent: read it again, then retry."
    )
    return error_body(detail, [error])


def _response(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors: Iterable[Any] = ()
) -> HttpResponse:
    return api.create_response(request, error_body(detail, errors), status=status)


def _field_path(loc: Iterable[Any], body_params: set[str]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        # A body schema is one parameter of the view (`payload`): its name is not a field.
        if source == "body" and parts and parts[0] in body_params:
            parts.pop(0)
    return ".".join(str(p) for p in parts) or None


def pydantic_message(error: dict[str, Any]) -> str:
    """A translated message for one of pydantic's error types (its own are in English)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not known.")
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _("This field is required.")
        return _("Use at least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("Use at most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "too_long":
        return _("Give at most %(n)s items.") % {"n": ctx.get("max_length")}
    if kind == "string_type":
        return _("Give a text.")
    if kind in {"text_invalid", "string_unicode"}:
        return _("The text contains characters that cannot be stored.")
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return _("Give a whole number.")
    if kind == "greater_than_equal":
        return _("Give a number greater than or equal to %(n)s.") % {"n": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Give a number less than or equal to %(n)s.") % {"n": ctx.get("le")}
    if kind in {"bool_type", "bool_parsing"}:
        return _("Give true or false.")
    if kind.startswith("date"):  # date_parsing, datetime_type, …
        return _("Give a date as YYYY-MM-DD.")
    if kind in {"literal_error", "enum"}:
        # pydantic says "'a', 'b' or 'c'": keep the values, drop the English "or".
        choices = str(ctx.get("expected", "")).replace(" or ", ", ")
        return _("Choose one of: %(choices)s.") % {"choices": choices}
    if kind in {"list_type", "tuple_type", "set_type"}:
        return _("Give a list.")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Give a JSON object.")
    if kind == "uuid_parsing" or kind == "uuid_type":
        return _("Give an identifier (UUID).")
    return _("This value is not valid.")


def _ninja_validation(
    request: HttpRequest, exc: NinjaValidationError, *, api: NinjaAPI
) -> HttpResponse:
    body_params = {"payload"}
    errors = [
        {
            "field": _field_path(e.get("loc", ()), body_params),
            "message": pydantic_message(e),
            "code": e.get("type") or "invalid",
        }
        for e in exc.errors
    ]
    return _response(api, request, 422, _("The data sent are not valid: see the errors."), errors)


def django_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    """`{field: [messages]}` of a service's ValidationError as a list of field errors."""
    if hasattr(exc, "error_dict"):
        result = []
        for field, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages:
                    result.append(
                        {
                            "field": None if field == NON_FIELD_ERRORS else field,
                            "message": message,
                            "code": error.code or "invalid",
                        }
                    )
        return result
    return [
        {"field": None, "message": message, "code": error.code or "invalid"}
        for error in exc.error_list
        for message in error.messages
    ]


def _django_validation(
    request: HttpRequest, exc: DjangoValidationError, *, api: NinjaAPI
) -> HttpResponse:
    return _response(
        api, request, 422, _("The data sent are not valid: see the errors."), django_errors(exc)
    )


def _stale_version(request: HttpRequest, exc: ConcurrentEdit, *, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, stale_version_body(exc, field="version"), status=409)


def _forbidden(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    return _response(api, request, 403, _("You do not have permission to do this."))


def _not_found(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    # Never the exception's text: it could name what was looked for.
    return _response(api, request, 404, _("Not found."))


def _unauthenticated(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    response = _response(
        api,
        request,
        401,
        _("Authentication needed: send a valid API token (Authorization: Bearer …) or log in."),
    )
    response["WWW-Authenticate"] = 'Bearer realm="Prossimo"'
    return response


def _csrf_failed(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    return _response(
        api,
        request,
        403,
        _("CSRF check failed: send the X-CSRFToken header with the session's CSRF token."),
    )


def _http_error(request: HttpRequest, exc: HttpError, *, api: NinjaAPI) -> HttpResponse:
    messages = {
        400: _("The request body is not valid JSON."),
        403: _("You do not have permission to do this."),
        404: _("Not found."),
        429: _("Too many requests: try again later."),
    }
    detail = messages.get(exc.status_code, _("The request cannot be served."))
    return _response(api, request, exc.status_code, detail)


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers that turn exceptions into the error shape above."""

    def bind(handler: Any) -> Any:
        return lambda request, exc: handler(request, exc, api=api)

    api.add_exception_handler(NinjaValidationError, bind(_ninja_validation))
    api.add_exception_handler(DjangoValidationError, bind(_django_validation))
    api.add_exception_handler(ConcurrentEdit, bind(_stale_version))
    api.add_exception_handler(PermissionDenied, bind(_forbidden))
    api.add_exception_handler(Http404, bind(_not_found))
    api.add_exception_handler(AuthenticationError, bind(_unauthenticated))
    api.add_exception_handler(CsrfFailed, bind(_csrf_failed))
    api.add_exception_handler(HttpError, bind(_http_error))
