"""FHIR R4 exchange of closed-loop referrals and screenings (decision 0013).

- `GET /api/fhir/ServiceRequest/{id}`: a referral as the request for a service;
- `GET /api/fhir/Task/{id}`: the same referral as the Task that tracks it (its `status` is the
  referral's state: Prossimo's states are FHIR Task's codes);
- `PUT /api/fhir/Task/{id}`: a partner system (or a receiving organisation's own system)
  reports a new status, with `statusReason.text` as the reason; nothing else of the Task
  changes. The move follows the same state machine and rules as the pages
  (`referrals.services.change_referral_state`, `via="fhir"`). `If-Match: W/"<version>"` or
  `meta.versionId` guard against overwriting a newer state (412 / 409);
- `GET /api/fhir/QuestionnaireResponse/{id}`: a screening (`questionnaires.Response`).

The ids are Prossimo's (a referral's id is both its ServiceRequest's and its Task's). Access
is the API's: a token or the session; outside the caller's scope 404, without the permission
403, each read in the audit trail (`via="fhir"`). Errors of these operations are FHIR
`OperationOutcome`s; a request without valid credentials gets the API's usual 401.
Documents are `application/fhir+json` (plain `application/json` is accepted too). What a
document says of the person follows their consent to share: without it the ServiceRequest and
the Task name nobody and carry only the need and the contact phone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from fhir.resources.R4B.task import Task as FhirTask
from ninja import Router
from pydantic import ValidationError as PydanticValidationError

from prossimo.api.auth import require
from prossimo.core.audit import audit_detail_access
from prossimo.core.permissions import Perm, user_can
from prossimo.listening.services import ConcurrentEdit
from prossimo.questionnaires.definition import item_options, translated
from prossimo.questionnaires.models import Response
from prossimo.questionnaires.selectors import access_response
from prossimo.referrals import selectors as referral_selectors
from prossimo.referrals import services as referral_services
from prossimo.referrals.models import Referral, ReferralTransition

router = Router(tags=["fhir"])

FHIR_JSON = "application/fhir+json"
#: Where Prossimo's canonical URLs (code systems, questionnaires) live.
CANONICAL_BASE: str = getattr(
    settings, "PROSSIMO_FHIR_CANONICAL_BASE", "https://prossimo.example.org/fhir"
)
NEED_CATEGORY_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/need-category"
#: HSDS ids are UUIDs: identifiers in the URN form FHIR uses for them.
URI_SYSTEM = "urn:ietf:rfc:3986"
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"

S = Referral.State

#: The referral's state as the ServiceRequest's status (FHIR request-status).
SERVICE_REQUEST_STATUS = {
    S.REQUESTED: "active",
    S.RECEIVED: "active",
    S.ACCEPTED: "active",
    S.IN_PROGRESS: "active",
    S.ON_HOLD: "on-hold",
    S.COMPLETED: "completed",
    S.CANCELLED: "revoked",
    S.REJECTED: "revoked",
    S.FAILED: "revoked",
}


# --- answers and errors ---------------------------------------------------------------------


def fhir_response(document: dict[str, Any], *, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    version = document.get("meta", {}).get("versionId")
    if version:
        response["ETag"] = f'W/"{version}"'
    return response


def operation_outcome(status: int, code: str, message: str, *, where: str = "") -> HttpResponse:
    """A FHIR OperationOutcome with one error issue (`code` from the issue-type code system)."""
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": message}
    if where:
        issue["expression"] = [where]
    return fhir_response({"resourceType": "OperationOutcome", "issue": [issue]}, status=status)


def _validation_outcome(exc: ValidationError) -> HttpResponse:
    messages = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            messages += [(field, m) for e in errors for m in e.messages]
    else:
        messages = [("", m) for m in exc.messages]
    field, message = messages[0] if messages else ("", _("The data sent are not valid."))
    where = {"to_state": "Task.status", "reason": "Task.statusReason"}.get(field, "")
    return operation_outcome(422, "business-rule", message, where=where)


def fhir_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer the exceptions of the access rules and the services as OperationOutcomes."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return operation_outcome(404, "not-found", _("Not found."))
        except PermissionDenied:
            return operation_outcome(403, "forbidden", _("You do not have permission to do this."))
        except ConcurrentEdit as exc:
            return operation_outcome(409, "conflict", exc.messages[0], where="Task.meta.versionId")
        except ValidationError as exc:
            return _validation_outcome(exc)

    return wrapped


# --- documents ------------------------------------------------------------------------------


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _name(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _patient(referral: Referral, *, named: bool) -> dict[str, Any]:
    """The person, contained: with consent to share their name, birth date and municipality;
    without, only the phone they agreed to give."""
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "person",
        "telecom": [{"system": "phone", "value": referral.contact_phone, "use": "mobile"}],
    }
    if named:
        person = referral.person
        patient["name"] = [{"family": person.last_name, "given": [person.first_name]}]
        if person.birth_date:
            patient["birthDate"] = person.birth_date.isoformat()
        if person.municipality_id:
            patient["address"] = [{"city": person.municipality.name, "country": "IT"}]
    return patient


def _hsds_organization(referral: Referral) -> dict[str, Any]:
    organization = referral.service.organization
    return {
        "type": "Organization",
        "identifier": {"system": URI_SYSTEM, "value": f"urn:uuid:{organization.pk}"},
        "display": organization.name,
    }


def _meta(referral: Referral) -> dict[str, Any]:
    return {"versionId": str(referral.version), "lastUpdated": _when(referral.updated_at)}


def service_request(referral: Referral, *, named: bool) -> dict[str, Any]:
    """The referral as a FHIR R4 ServiceRequest."""
    category = referral.need.category
    document: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": _meta(referral),
        "contained": [_patient(referral, named=named)],
        "status": SERVICE_REQUEST_STATUS[S(referral.state)],
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": NEED_CATEGORY_SYSTEM,
                    "code": category.code,
                    "display": category.name,
                }
            ],
            "text": category.name,
        },
        "subject": {"reference": "#person"},
        "authoredOn": _when(referral.requested_at),
        "requester": {
            "type": "Organization",
            "display": referral.sending_organisation.name,
        },
        "performer": [
            _hsds_organization(referral),
            {
                "type": "HealthcareService",
                "identifier": {"system": URI_SYSTEM, "value": f"urn:uuid:{referral.service_id}"},
                "display": referral.service.name,
            },
        ],
    }
    if named and referral.share_consent and referral.shared_summary:
        document["note"] = [{"text": referral.shared_summary}]
    return document


def task(referral: Referral, *, named: bool) -> dict[str, Any]:
    """The referral as the FHIR R4 Task that tracks it (status = the referral's state)."""
    receiving = referral.receiving_organisation
    owner = (
        {"type": "Organization", "display": receiving.name}
        if receiving is not None
        else _hsds_organization(referral)
    )
    document: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(referral.pk),
        "meta": _meta(referral),
        "contained": [_patient(referral, named=named)],
        "status": referral.state,
        "intent": "order",
        "code": {"coding": [{"system": TASK_CODE_SYSTEM, "code": "fulfill"}]},
        "focus": {"reference": f"ServiceRequest/{referral.pk}"},
        "for": {"reference": "#person"},
        "authoredOn": _when(referral.requested_at),
        "lastModified": _when(referral.state_changed_at),
        "requester": {"type": "Organization", "display": referral.sending_organisation.name},
        "owner": owner,
    }
    if referral.reason:
        document["statusReason"] = {"text": referral.reason}
        document["businessStatus"] = {"text": referral.reason}
    return document


def questionnaire_response(response: Response) -> dict[str, Any]:
    """A screening as a FHIR R4 QuestionnaireResponse: the answers by item (`linkId` = the
    item's stable id), each as the option's code and label in the language it was asked in."""
    questionnaire = response.questionnaire
    definition = questionnaire.definition
    language = response.language
    items = []
    for item in definition["items"]:
        value = response.answers.get(item["id"])
        entry: dict[str, Any] = {
            "linkId": item["id"],
            "text": translated(item["text"], language),
        }
        if value not in (None, ""):
            option = next(
                (o for o in item_options(definition, item) if str(o["value"]) == str(value)), None
            )
            coding: dict[str, Any] = {"code": str(value)}
            if option is not None:
                coding["display"] = translated(option["label"], language)
            entry["answer"] = [{"valueCoding": coding}]
        items.append(entry)
    person = response.person
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "meta": {"lastUpdated": _when(response.updated_at)},
        "language": language,
        "questionnaire": f"{CANONICAL_BASE}/Questionnaire/{questionnaire.code}"
        f"|{questionnaire.version}",
        "status": "completed",
        "subject": {
            "type": "Patient",
            "identifier": {"system": URI_SYSTEM, "value": f"urn:uuid:{person.pk}"},
            "display": person.full_name,
        },
        "authored": _when(response.taken_at),
        "author": {"type": "Practitioner", "display": _name(response.recorded_by)},
        "item": items,
    }


# --- endpoints ------------------------------------------------------------------------------

_READ = "Answers with the FHIR R4 document (`application/fhir+json`); 404 OperationOutcome "
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


@router.get(
    "/ServiceRequest/{referral_id}",
    auth=require(),
    operation_id="fhir_service_request_read",
    summary="Read a referral as a FHIR ServiceRequest",
    description=_READ + "for a referral outside the caller's scope (or none). The person is "
    "named only with their consent to share; the summary is the note.",
    response={200: dict, 404: dict},
)
@fhir_errors
def read_service_request(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = referral_selectors.access_referral(request.user, referral_id)
    audit_detail_access(request.user, referral, via="fhir")
    named = referral_selectors.shows_person(request.user, referral)
    return fhir_response(service_request(referral, named=named))


@router.get(
    "/Task/{referral_id}",
    auth=require(),
    operation_id="fhir_task_read",
    summary="Read a referral's FHIR Task",
    description=_READ + "for a referral outside the caller's scope (or none). `status` is the "
    "referral's state, `statusReason` the reason of the last change.",
    response={200: dict, 404: dict},
)
@fhir_errors
def read_task(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = referral_selectors.access_referral(request.user, referral_id)
    audit_detail_access(request.user, referral, via="fhir")
    named = referral_selectors.shows_person(request.user, referral)
    return fhir_response(task(referral, named=named))


def _expected_version(request: HttpRequest) -> tuple[int | None, bool]:
    """The version named by `If-Match` (and True), else None."""
    header = request.headers.get("If-Match")
    if not header:
        return None, False
    match = _ETAG.match(header)
    if match is None:
        raise ValueError
    return int(match.group(1)), True


@router.put(
    "/Task/{referral_id}",
    auth=require(),
    operation_id="fhir_task_update",
    summary="Report a referral's new status (FHIR Task)",
    description="Send the Task with its new `status` (and `statusReason.text`: required when "
    "rejecting, cancelling, failing or putting on hold). Only the status changes, by the "
    "referral's state machine: the receiving organisation (or its partner system's account) "
    'accepts, rejects, works and closes; the sending side cancels. `If-Match: W/"<version>"` '
    "(412 when stale) or `meta.versionId` (409 when stale) protect a newer state. Sending the "
    "same status again changes nothing (a retry is safe); a different `statusReason` with "
    "the same status is refused (422). Errors are OperationOutcomes: 400 not a Task, 403 not "
    "allowed, 404 unknown, 422 a move the rules refuse. Answers with the Task as it now is.",
    response={200: dict, 400: dict, 403: dict, 404: dict, 409: dict, 412: dict, 422: dict},
)
@fhir_errors
def update_task(request: HttpRequest, referral_id: str) -> HttpResponse:
    user = request.user
    referral = referral_selectors.access_referral(user, referral_id, for_write=True)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return operation_outcome(400, "structure", _("The request body is not valid JSON."))
    if not isinstance(body, dict) or body.get("resourceType") != "Task":
        return operation_outcome(400, "structure", _("Send a FHIR Task resource."))
    try:
        sent = FhirTask.model_validate(body)
    except (PydanticValidationError, ValueError, TypeError):
        return operation_outcome(400, "structure", _("The Task is not a valid FHIR R4 Task."))
    if sent.id is not None and sent.id != str(referral.pk):
        return operation_outcome(
            400, "invalid", _("The Task's id is not the one in the address."), where="Task.id"
        )
    if sent.status not in S.values:
        return operation_outcome(400, "value", _("Unknown Task status."), where="Task.status")
    try:
        version, from_header = _expected_version(request)
    except ValueError:
        return operation_outcome(400, "invalid", _('If-Match must be W/"<version>".'))
    if version is None and sent.meta is not None and sent.meta.versionId:
        try:
            version = int(sent.meta.versionId)
        except ValueError:
            return operation_outcome(
                400, "value", _("Unknown version."), where="Task.meta.versionId"
            )
    stale = operation_outcome(
        412,
        "conflict",
        _("Someone else changed this referral since the version sent: read it again."),
    )
    if from_header and version != referral.version:
        return stale
    reason = ""
    if sent.statusReason is not None:
        reason = (sent.statusReason.text or "").strip()
    if sent.status != referral.state:
        try:
            referral_services.change_referral_state(
                user,
                referral=referral,
                to_state=sent.status,
                reason=reason,
                version=version,
                via=ReferralTransition.Via.FHIR,
            )
        except ConcurrentEdit:
            # Changed between the check above and the service's lock: the same answer.
            if from_header:
                return stale
            raise
        referral = referral_selectors.access_referral(user, referral_id)
    elif version is not None and version != referral.version:
        raise ConcurrentEdit()
    elif sent.statusReason is not None and reason != referral.reason:
        # Only the status changes, and its reason with it: a new reason alone would be lost.
        return operation_outcome(
            422,
            "business-rule",
            _("The reason changes only with the status: send the Task with its new status."),
            where="Task.statusReason",
        )
    audit_detail_access(user, referral, via="fhir")
    named = referral_selectors.shows_person(user, referral)
    return fhir_response(task(referral, named=named))


@router.get(
    "/QuestionnaireResponse/{response_id}",
    auth=require(),
    operation_id="fhir_questionnaire_response_read",
    summary="Read a screening as a FHIR QuestionnaireResponse",
    description=_READ + "for a screening of a person outside the caller's territory (or none).",
    response={200: dict, 404: dict},
)
@fhir_errors
def read_questionnaire_response(request: HttpRequest, response_id: str) -> HttpResponse:
    if not user_can(request.user, Perm.PEOPLE_VIEW):
        raise PermissionDenied
    response = access_response(request.user, response_id)
    audit_detail_access(request.user, response, via="fhir")
    return fhir_response(questionnaire_response(response))
