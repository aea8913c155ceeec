"""Programme endpoints (Telefonia Sociale & co): programmes, referrals in, enrolments' states.

Thin, like the pages: parse the JSON, call `programmes.selectors` (reads) or
`programmes.services` (writes), shape the answer. The same permission codes as the pages:
referring (`programmes.refer`) for the programmes, the referrals and reading enrolments,
managing (`programmes.manage`) for moving an enrolment along its states. Every enrolment shown
is recorded in the audit trail (`via="api"`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator

from prossimo.api.auth import require
from prossimo.api.errors import LIST_ERRORS, LOCKED_ERRORS, ONE_ERRORS, stale_version_body
from prossimo.api.people import (
    MAX_LIMIT,
    MAX_OFFSET,
    DuplicateOut,
    InputSchema,
    LongText,
    PersonDataIn,
    Text200,
    _apply_values,
    _raise_with_service_errors,
    _storable,
    duplicate_answer,
)
from prossimo.api.shaping import Page, audited_page, current_language, username
from prossimo.core.audit import audit_detail_access
from prossimo.core.permissions import Perm
from prossimo.listening.services import ConcurrentEdit
from prossimo.people import services as people_services
from prossimo.people.selectors import access_person
from prossimo.programmes import selectors, services
from prossimo.programmes.models import ALLOWED_TRANSITIONS, Enrolment, EnrolmentTransition

router = Router(tags=["programmes"])

# --- input types ------------------------------------------------------------------------

ProgrammeCode = Annotated[
    str,
    Field(
        max_length=50,
        description="Code of an active programme (see `GET /api/programmes`).",
        examples=["telefonia-sociale"],
    ),
    AfterValidator(_storable),
]

# The choices of the models, spelled out for the OpenAPI schema (a test keeps them in step).
StateCode = Literal["referred", "contact_attempted", "active", "suspended", "closed"]
#: Why an enrolment is closed; empty for any other move.
CloseReasonCode = Literal[
    "", "goals_met", "refused", "moved", "deceased", "transferred", "unreachable"
]
ConsentCode = Literal["given", "to_ask", "refused"]


class NewPersonIn(PersonDataIn):
    """A person to register while referring them: the fields of `POST /api/people`, without
    its consents (recorded on the person's record) and `confirm_not_duplicate` (given beside
    `new_person`)."""


class ReferralIn(InputSchema):
    """A referral (segnalazione): a person already registered (`person`) or a new one
    (`new_person`), and why they are referred."""

    programme: ProgrammeCode
    person: uuid.UUID | None = Field(
        None, description="A person the caller may see (id from `/api/people`)."
    )
    new_person: NewPersonIn | None = Field(
        None, description="Or a person to register now, with the rules of `POST /api/people`."
    )
    confirm_not_duplicate: bool = Field(
        False,
        description="With `new_person`: register even if the data look like a person already "
        "registered (answer 409 otherwise).",
    )
    reason: LongText = Field(description="Why the person is referred.")
    fragility_notes: LongText = ""
    preferred_contact_times: Text200 = Field("", examples=["mattina, dopo le 10"])
    consent: ConsentCode = Field(
        "to_ask",
        description="`given`: the person consented to the social worker; `to_ask`: the "
        "programme asks at the first contact; `refused`.",
    )


class TransitionIn(InputSchema):
    to_state: StateCode = Field(description="The state to move to.")
    reason: CloseReasonCode = Field(
        "", description="Why the enrolment is closed: required when closing, only then."
    )
    note: LongText = ""
    resume_on: dt.date | None = Field(
        None, description="When suspending: the day the calls resume (after today)."
    )
    expected_version: int = Field(
        ge=1,
        description="The `version` of the enrolment as last read. If someone changed it "
        "since, nothing is saved and the answer is 409: read it again, then retry.",
    )


class PageQuery(Schema):
    state: StateCode | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class EnrolmentQuery(PageQuery):
    programme: ProgrammeCode | None = Field(None, description="Only this programme's.")


# --- output types -----------------------------------------------------------------------


class ProgrammeOut(Schema):
    code: str
    name: str = Field(description="In the request's language.")
    target: int = Field(description="Target number of people in charge.")


class ReferralOut(Schema):
    id: uuid.UUID = Field(description="The enrolment's id (`/api/enrolments/{id}`).")
    person: uuid.UUID
    programme: str = Field(description="Programme code.")
    state: str
    state_changed_at: dt.datetime
    organisation: str = Field(description="The organisation in charge.")
    referred_at: dt.datetime


class ReferralPage(Page):
    items: list[ReferralOut]


class EnrolmentSummary(ReferralOut):
    referred_by: str | None = Field(description="Username of who referred the person.")
    coordinator: str | None
    version: int


class EnrolmentPage(Page):
    items: list[EnrolmentSummary]


class TransitionOut(Schema):
    from_state: str = Field(description="Empty for the referral itself.")
    to_state: str
    at: dt.datetime
    by: str | None = Field(description="Username; null for a change made by the system.")
    reason: str
    note: str
    resume_on: dt.date | None


class EnrolmentDetail(EnrolmentSummary):
    referring_organisation: str | None
    reason: str
    fragility_notes: str
    preferred_contact_times: str
    consent: str
    consent_recorded_at: dt.datetime | None
    suspended_until: dt.date | None
    closed_reason: str
    next_states: list[str] = Field(
        description="The states the state machine allows next (consent, resume date and "
        "reason are still checked)."
    )
    transitions: list[TransitionOut]


# --- shaping answers --------------------------------------------------------------------


def _referral(enrolment: Enrolment) -> dict[str, Any]:
    return {
        "id": enrolment.pk,
        "person": enrolment.person_id,
        "programme": enrolment.programme.code,
        "state": enrolment.state,
        "state_changed_at": enrolment.state_changed_at,
        "organisation": enrolment.organisation.name,
        "referred_at": enrolment.referred_at,
    }


def _summary(enrolment: Enrolment) -> dict[str, Any]:
    return {
        **_referral(enrolment),
        "referred_by": username(enrolment.referred_by),
        "coordinator": username(enrolment.coordinator),
        "version": enrolment.version,
    }


def _transition(t: EnrolmentTransition) -> dict[str, Any]:
    return {
        "from_state": t.from_state,
        "to_state": t.to_state,
        "at": t.at,
        "by": username(t.by),
        "reason": t.reason,
        "note": t.note,
        "resume_on": t.resume_on,
    }


def _detail(enrolment: Enrolment) -> dict[str, Any]:
    referring = enrolment.referring_organisation
    return {
        **_summary(enrolment),
        "referring_organisation": referring.name if referring is not None else None,
        "reason": enrolment.reason,
        "fragility_notes": enrolment.fragility_notes,
        "preferred_contact_times": enrolment.preferred_contact_times,
        "consent": enrolment.consent,
        "consent_recorded_at": enrolment.consent_recorded_at,
        "suspended_until": enrolment.suspended_until,
        "closed_reason": enrolment.closed_reason,
        "next_states": sorted(ALLOWED_TRANSITIONS[enrolment.state]),
        "transitions": [_transition(t) for t in selectors.enrolment_history(enrolment)],
    }


#: What a listed enrolment's answer reads, in the same query.
LIST_RELATED = ("programme", "organisation", "referred_by", "coordinator")


def _page(
    user: Any, enrolments: QuerySet[Enrolment], filters: PageQuery, shape: Any
) -> dict[str, Any]:
    if filters.state:
        enrolments = enrolments.filter(state=filters.state)
    return audited_page(user, enrolments, filters.limit, filters.offset, shape)


# --- reading a referral -----------------------------------------------------------------

#: The keys of a person's data in the service's errors: they are under `new_person` here.
_PERSON_KEYS = {*people_services.PERSON_FIELDS, "phones", "reference_persons", "consents"}


def _under_new_person(exc: ValidationError) -> ValidationError:
    """The errors of the new person's data, with paths in the JSON body
    (`new_person.phones.0.number`); what the referral says about the person (nobody of the
    programme serves them) is about where they live: `new_person.municipality`."""
    if not hasattr(exc, "error_dict"):
        return exc
    moved: dict[str, Any] = {}
    for key, errors in exc.error_dict.items():
        if key == "person":
            key = "municipality"
        if key != NON_FIELD_ERRORS and key.split(".")[0] in _PERSON_KEYS:
            key = f"new_person.{key}"
        moved.setdefault(key, []).extend(errors)
    return ValidationError(moved)


def _new_person_input(payload: NewPersonIn) -> people_services.PersonInput:
    errors: dict[str, list[str]] = {}
    data = people_services.PersonInput(first_name="", last_name="", municipality=None)
    _apply_values(data, payload.model_dump(), errors)
    try:
        _raise_with_service_errors(data, errors)
    except ValidationError as exc:
        raise _under_new_person(exc) from None
    return data


# --- endpoints --------------------------------------------------------------------------


@router.get(
    "/programmes",
    response={200: list[ProgrammeOut], **LIST_ERRORS},
    auth=require(Perm.PROGRAMMES_REFER),
    operation_id="programmes_list",
    summary="List the programmes taking referrals",
    description="The active programmes, by name: their code (to refer a person), name and "
    "target number of people in charge.",
)
def list_programmes(request: HttpRequest) -> list[dict[str, Any]]:
    language = current_language()
    return [
        {"code": p.code, "name": p.label(language), "target": p.target_people}
        for p in selectors.active_programmes()
    ]


@router.post(
    "/referrals",
    response={201: ReferralOut, 409: DuplicateOut, **LIST_ERRORS},
    auth=require(Perm.PROGRAMMES_REFER),
    operation_id="referrals_create",
    summary="Refer a person to a programme",
    description="Refer a person the caller may see (`person`) or a new one, registered now "
    "with the rules of `POST /api/people` (`new_person`): give exactly one. The organisation "
    "of the programme serving the person's municipality takes the referral. 422 when the "
    "programme is unknown or not taking referrals, no organisation of it serves the person, "
    "or the person already has an open referral or enrolment in it. If the new person looks "
    "like someone already registered the answer is 409 with the matches: send again with "
    "`confirm_not_duplicate: true` if it is really someone else, or refer the match by `person`.",
)
def create_referral(request: HttpRequest, payload: ReferralIn) -> Status[dict[str, Any]]:
    user = request.user
    errors: dict[str, list[str]] = {}
    programme = selectors.active_programmes().filter(code=payload.programme).first()
    if programme is None:
        errors["programme"] = [_("No programme taking referrals has this code.")]
    if (payload.person is None) == (payload.new_person is None):
        errors[NON_FIELD_ERRORS] = [_("Give either the person or the new person's data.")]
    person = None
    if payload.person is not None:
        try:
            person = access_person(user, payload.person)
        except Http404:
            # The same answer whether the person does not exist or is out of the territory.
            errors["person"] = [_("You cannot refer this person.")]
    if errors:
        raise ValidationError(errors)
    new_person = _new_person_input(payload.new_person) if payload.new_person else None
    referral = services.ReferralInput(
        reason=payload.reason,
        fragility_notes=payload.fragility_notes,
        preferred_contact_times=payload.preferred_contact_times,
        consent=payload.consent,
    )
    try:
        enrolment = services.refer_person(
            user,
            programme=programme,  # type: ignore[arg-type]  # None raised above
            referral=referral,
            person=person,
            new_person=new_person,
            confirm_not_duplicate=payload.confirm_not_duplicate,
        )
    except ValidationError as exc:
        raise (_under_new_person(exc) if new_person is not None else exc) from None
    except people_services.LikelyDuplicate as exc:
        return duplicate_answer(user, exc)
    return Status(201, _referral(enrolment))


@router.get(
    "/referrals",
    response={200: ReferralPage, **LIST_ERRORS},
    auth=require(Perm.PROGRAMMES_REFER),
    operation_id="referrals_list",
    summary="List the caller's referrals",
    description="The referrals the caller made, newest first, with where each stands "
    "(`state`) and the organisation in charge; `limit`/`offset` paged, at most 100 a page.",
)
def list_referrals(request: HttpRequest, filters: Query[PageQuery]) -> dict[str, Any]:
    return _page(request.user, selectors.referrals_made_by(request.user), filters, _referral)


@router.get(
    "/enrolments",
    response={200: EnrolmentPage, **LIST_ERRORS},
    auth=require(Perm.PROGRAMMES_REFER),
    operation_id="enrolments_list",
    summary="List enrolments",
    description="The enrolments the caller may read (of programmes their organisations run "
    "or referred to, and of people they may see), newest referral first; with `state` or "
    "`programme`, only those. `limit`/`offset` paged, at most 100 a page.",
)
def list_enrolments(request: HttpRequest, filters: Query[EnrolmentQuery]) -> dict[str, Any]:
    user = request.user
    enrolments = Enrolment.objects.visible_to(user)
    if filters.programme:
        enrolments = enrolments.filter(programme__code=filters.programme)
    enrolments = enrolments.select_related(*LIST_RELATED).order_by("-referred_at", "pk")
    return _page(user, enrolments, filters, _summary)


@router.get(
    "/enrolments/{enrolment_id}",
    response={200: EnrolmentDetail, **ONE_ERRORS},
    auth=require(Perm.PROGRAMMES_REFER),
    operation_id="enrolments_read",
    summary="Read an enrolment",
    description="An enrolment the caller may read, with the referral, its state, the states "
    "it may move to and every change of state (who, when, why); 404 for any other (whether "
    "it exists or not).",
)
def read_enrolment(request: HttpRequest, enrolment_id: str) -> dict[str, Any]:
    enrolment = selectors.access_enrolment(request.user, enrolment_id)
    audit_detail_access(request.user, enrolment, via="api")
    return _detail(enrolment)


@router.post(
    "/enrolments/{enrolment_id}/transitions",
    response={200: EnrolmentDetail, **LOCKED_ERRORS},
    auth=require(Perm.PROGRAMMES_MANAGE),
    operation_id="enrolments_transition",
    summary="Change an enrolment's state",
    description="Move an enrolment along its states (referred → contact attempted → active ⇄ "
    "suspended → closed), as a coordinator of the organisation in charge (403 otherwise). "
    "Becoming active needs the person's consent; suspending needs `resume_on` after today; "
    "closing needs a `reason`. A move the state machine does not allow is 422 on `to_state`, "
    "saying why; an outdated `expected_version` is 409. Answers with the enrolment as it now is.",
)
def transition_enrolment(
    request: HttpRequest, enrolment_id: str, payload: TransitionIn
) -> Status[dict[str, Any]]:
    user = request.user
    enrolment = selectors.access_enrolment(user, enrolment_id, for_write=True)
    try:
        enrolment = services.change_state(
            user,
            enrolment=enrolment,
            to_state=payload.to_state,
            expected_version=payload.expected_version,
            reason=payload.reason,
            note=payload.note,
            resume_on=payload.resume_on,
        )
    except ConcurrentEdit as exc:
        return Status(409, stale_version_body(exc, field="expected_version"))
    enrolment = selectors.access_enrolment(user, enrolment.pk)
    return Status(200, _detail(enrolment))
