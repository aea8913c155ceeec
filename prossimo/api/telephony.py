"""The telephony webhook: a PBX posts a line's call events, signed with the line's secret.

No token and no session: the signature is the authentication (see docs/telephony.md). The body
is read raw, because the signature covers its exact bytes, and parsed only once the signature
is checked: an unsigned caller learns nothing about the format. Answers never repeat what was
sent, and the caller's number is never logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticValidationError

from prossimo.api.errors import ErrorOut, error_body, pydantic_message
from prossimo.telephony import services
from prossimo.telephony.signing import Unauthenticated, authenticate

router = Router(tags=["telephony"])
logger = logging.getLogger("prossimo.telephony.webhook")

LINE_HEADER = "X-Prossimo-Line"
TIMESTAMP_HEADER = "X-Prossimo-Timestamp"
SIGNATURE_HEADER = "X-Prossimo-Signature"


class CallEventIn(Schema):
    # Providers and relays may add fields of their own: ignore them.
    model_config = ConfigDict(extra="ignore")

    event: Literal["ringing", "answered", "ended"]
    call_id: Annotated[str, Field(min_length=1, max_length=128)]
    caller: Annotated[str, Field(max_length=64)] = ""
    at: dt.datetime | None = None


class CallEventOut(Schema):
    call: str
    state: str


def _refused(response: HttpResponse, reason: str) -> Status[dict[str, Any]]:
    logger.warning("Telephony request refused: %s", reason)
    response["WWW-Authenticate"] = 'Signature realm="Prossimo telephony"'
    if reason == "skew":
        detail = _(
            "The timestamp is too far from Prossimo's clock: check the clock of the telephone "
            "system (NTP)."
        )
    else:
        detail = _(
            "The request is not signed correctly: check the line, the timestamp and the "
            "signature headers."
        )
    return Status(401, error_body(detail))


def _invalid(errors: list[dict[str, Any]], detail: str | None = None) -> Status[dict[str, Any]]:
    return Status(
        422, error_body(detail or _("The data sent are not valid: see the errors."), errors)
    )


def _parse(body: bytes) -> CallEventIn | Status[dict[str, Any]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _invalid([], _("The request body is not valid JSON."))
    try:
        return CallEventIn.model_validate(data)
    except PydanticValidationError as exc:
        return _invalid(
            [
                {
                    "field": ".".join(str(p) for p in error["loc"]) or None,
                    "message": _("Give the time in ISO 8601, e.g. 2025-01-31T21:04:05+01:00.")
                    if error["loc"] == ("at",)
                    else pydantic_message(dict(error)),
                    "code": error["type"],
                }
                for error in exc.errors()
            ]
        )


@router.post(
    "/events",
    auth=None,
    # Outside the OpenAPI schema, whose operations all take a token or a session: the
    # format, the signature and PBX examples are in docs/telephony.md.
    include_in_schema=False,
    response={200: CallEventOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="telephony_event",
)
def receive_event(request: HttpRequest, response: HttpResponse) -> Any:
    body = request.body
    try:
        signed = authenticate(
            line_reference=request.headers.get(LINE_HEADER),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            body=body,
        )
    except Unauthenticated as exc:
        return _refused(response, exc.reason)
    payload = _parse(body)
    if isinstance(payload, Status):
        return payload
    at = payload.at
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    try:
        call = services.receive_event(
            line=signed.line,
            signature=signed.signature,
            signed_at=signed.signed_at,
            event=payload.event,
            call_id=payload.call_id,
            caller=payload.caller,
            at=at,
        )
    except services.ReplayedRequest:
        return Status(
            409,
            error_body(
                _("This request was already received: sign every request with a new timestamp.")
            ),
        )
    return {"call": str(call.pk), "state": call.state}
