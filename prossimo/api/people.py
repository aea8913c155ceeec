"""People endpoints: list, search, read, register and change assistiti.

Thin, like the pages: parse the JSON, call `people.selectors` (reads) or `people.services`
(writes), shape the answer. Every person shown is recorded in the audit trail (`via="api"`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict
from pydantic_core import PydanticCustomError

from prossimo.api.auth import require
from prossimo.api.errors import LIST_ERRORS, ONE_ERRORS, ErrorOut, error_body
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.permissions import Perm
from prossimo.people import selectors, services
from prossimo.people.models import Person
from prossimo.territory.models import Municipality
from prossimo.territory.selectors import municipalities_by_istat_codes

router = Router(tags=["people"])

#: Beyond this, paging through the registry is not what an integration should do.
MAX_OFFSET = 1_000_000
MAX_LIMIT = 100

# --- input types ------------------------------------------------------------------------


def _storable(value: str) -> str:
    # NUL and unpaired surrogates cannot be stored (PostgreSQL refuses them): say so as a 422.
    if "\x00" in value:
        raise PydanticCustomError("text_invalid", "text contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text_invalid", "text is not valid Unicode") from None
    return value


Text100 = Annotated[str, Field(max_length=100), AfterValidator(_storable)]
Text150 = Annotated[str, Field(max_length=150), AfterValidator(_storable)]
Text200 = Annotated[str, Field(max_length=200), AfterValidator(_storable)]
LongText = Annotated[str, Field(max_length=10_000), AfterValidator(_storable)]
PostalCode = Annotated[str, Field(max_length=5), AfterValidator(_storable)]
PhoneText = Annotated[
    str,
    Field(
        max_length=30,
        description="A phone number in any format ('340 123 4567', '+39 340-1234567'); "
        "stored in E.164 ('+393401234567').",
        examples=["340 123 4567"],
    ),
    AfterValidator(_storable),
]
FiscalCodeText = Annotated[
    str,
    Field(max_length=32, description="Codice fiscale; spaces and case do not matter."),
    AfterValidator(_storable),
]
IstatCode = Annotated[
    str,
    Field(
        max_length=6,
        description="ISTAT code of an Italian municipality, six digits.",
        examples=["097042"],
    ),
    AfterValidator(_storable),
]

# The choices of the models, spelled out for the OpenAPI schema (a test keeps them in step).
Sex = Literal["F", "M", ""]
LegalBasis = Literal["consent", "public_task", "agreement"]
PhoneKind = Literal["mobile", "landline", "caregiver", "other"]
ConsentKind = Literal["privacy_notice", "calls", "share_social"]
LanguageCode = Literal[
    "it", "en", "fr", "de", "es", "pt", "ro", "sq", "ar", "zh",
    "uk", "ru", "pl", "hi", "bn", "ur", "pa", "tl", "wo", "lis",
]  # fmt: skip


class InputSchema(Schema):
    # A misspelt field must not be ignored silently (a PATCH would then change nothing).
    model_config = ConfigDict(extra="forbid")


class PhoneIn(InputSchema):
    number: PhoneText
    kind: PhoneKind = "mobile"
    note: Text100 = ""


class ReferencePersonIn(InputSchema):
    name: Text150
    relationship: Text100 = ""
    phone: PhoneText = ""
    is_caregiver: bool = False
    note: Text200 = ""


class ConsentIn(InputSchema):
    kind: ConsentKind
    given_on: dt.date
    note: Text200 = ""


class PersonDataIn(InputSchema):
    """A person's data as registering them takes them: `PersonCreate` adds the consents, a
    referral's `NewPersonIn` takes them as they are."""

    first_name: Text100 = Field(min_length=1)
    last_name: Text100 = Field(min_length=1)
    municipality: IstatCode = Field(description="Municipality of residence (ISTAT code).")
    sex: Sex = ""
    birth_date: dt.date | None = None
    birth_municipality: IstatCode | None = Field(
        None, description="Place of birth in Italy (ISTAT code); or give `birth_country`."
    )
    birth_country: Text100 = ""
    fiscal_code: FiscalCodeText | None = None
    address: Text200 = ""
    postal_code: PostalCode = ""
    lives_alone: bool | None = None
    languages: list[LanguageCode] = Field(default_factory=list, max_length=20)
    gp_name: Text150 = ""
    gp_phone: PhoneText = ""
    notes: LongText = ""
    legal_basis: LegalBasis = "consent"
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)
    reference_persons: list[ReferencePersonIn] = Field(default_factory=list, max_length=20)


class PersonCreate(PersonDataIn):
    consents: list[ConsentIn] = Field(default_factory=list, max_length=20)
    confirm_not_duplicate: bool = Field(
        False,
        description="Register even if the data look like a person already registered "
        "(answer 409 otherwise).",
    )


class PersonPatch(InputSchema):
    """Only the fields sent change; a list sent replaces the whole list."""

    first_name: Text100 | None = Field(None, min_length=1)
    last_name: Text100 | None = Field(None, min_length=1)
    municipality: IstatCode | None = None
    sex: Sex | None = None
    birth_date: dt.date | None = None
    birth_municipality: IstatCode | None = None
    birth_country: Text100 | None = None
    fiscal_code: FiscalCodeText | None = None
    address: Text200 | None = None
    postal_code: PostalCode | None = None
    lives_alone: bool | None = None
    languages: list[LanguageCode] = Field(default_factory=list, max_length=20)
    gp_name: Text150 | None = None
    gp_phone: PhoneText | None = None
    notes: LongText | None = None
    legal_basis: LegalBasis = "consent"
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)
    reference_persons: list[ReferencePersonIn] = Field(default_factory=list, max_length=20)


class ListQuery(Schema):
    q: Text100 | None = Field(
        None,
        description="Surname and name, phone number or codice fiscale. Personal data in a URL "
        "end up in logs: integrations should use `POST /api/people/search` instead.",
    )
    include_inactive: bool = False
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class SearchIn(InputSchema):
    q: Text100 = Field(description="Surname and name, phone number or codice fiscale.")
    include_inactive: bool = False
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


# --- output types -----------------------------------------------------------------------


class MunicipalityOut(Schema):
    istat_code: str
    name: str
    province: str = Field(description="Province abbreviation, e.g. LC.")


class PhoneOut(Schema):
    number: str
    kind: str
    note: str


class ReferencePersonOut(Schema):
    name: str
    relationship: str
    phone: str
    is_caregiver: bool
    note: str


class ConsentOut(Schema):
    kind: str
    given_on: dt.date
    withdrawn_on: dt.date | None
    note: str


class PersonSummary(Schema):
    id: uuid.UUID
    first_name: str
    last_name: str
    sex: str
    birth_date: dt.date | None
    fiscal_code: str | None
    municipality: MunicipalityOut
    phones: list[str]
    is_active: bool


class PersonDetail(Schema):
    id: uuid.UUID
    first_name: str
    last_name: str
    sex: str
    birth_date: dt.date | None
    birth_municipality: MunicipalityOut | None
    birth_country: str
    fiscal_code: str | None
    address: str
    postal_code: str
    municipality: MunicipalityOut
    lives_alone: bool | None
    languages: list[str]
    gp_name: str
    gp_phone: str
    notes: str
    legal_basis: str
    is_active: bool
    deactivated_at: dt.datetime | None
    deactivation_reason: str
    phones: list[PhoneOut]
    reference_persons: list[ReferencePersonOut]
    consents: list[ConsentOut]
    shared_with: list[str] = Field(description="Organisations the record is shared with.")
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonPage(Schema):
    count: int | None = Field(
        description="How many people the listing holds; null for a search, which returns the "
        "best matches only (refine the text to narrow it)."
    )
    limit: int
    offset: int
    items: list[PersonSummary]


class DuplicateMatchOut(Schema):
    id: uuid.UUID
    name: str
    birth_date: dt.date | None
    reasons: list[str]


class DuplicateOut(ErrorOut):
    matches: list[DuplicateMatchOut]


# --- shaping answers --------------------------------------------------------------------


def _municipality(m: Municipality | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"istat_code": m.istat_code, "name": m.name, "province": m.province.abbreviation}


def _summary(person: Person) -> dict[str, Any]:
    return {
        "id": person.pk,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "fiscal_code": person.fiscal_code,
        "municipality": _municipality(person.municipality),
        "phones": [phone.number for phone in person.phones.all()],
        "is_active": person.is_active,
    }


def _detail(person: Person) -> dict[str, Any]:
    record = selectors.person_record(person)
    return {
        **{name: getattr(person, name) for name in services.PERSON_FIELDS},
        "id": person.pk,
        "municipality": _municipality(person.municipality),
        "birth_municipality": _municipality(person.birth_municipality),
        "languages": list(person.languages or []),
        "is_active": person.is_active,
        "deactivated_at": person.deactivated_at,
        "deactivation_reason": person.deactivation_reason,
        "phones": [{"number": p.number, "kind": p.kind, "note": p.note} for p in record["phones"]],
        "reference_persons": [
            {
                "name": r.name,
                "relationship": r.relationship,
                "phone": r.phone,
                "is_caregiver": r.is_caregiver,
                "note": r.note,
            }
            for r in record["reference_persons"]
        ],
        "consents": [
            {
                "kind": c.kind,
                "given_on": c.given_on,
                "withdrawn_on": c.withdrawn_on,
                "note": c.note,
            }
            for c in record["consents"]
        ],
        "shared_with": [share.organisation.name for share in record["shares"]],
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


def _page(request: HttpRequest, filters: ListQuery | SearchIn) -> dict[str, Any]:
    """A page of the people the caller may see, or of a search's best matches (`q`)."""
    user, limit, offset = request.user, filters.limit, filters.offset
    count: int | None
    if filters.q and filters.q.strip():
        found = selectors.search_people(
            user, filters.q, include_inactive=filters.include_inactive, limit=offset + limit
        )
        people, count = found[offset:], None
    else:
        listing = selectors.people_for_list(user)
        if not filters.include_inactive:
            listing = listing.filter(is_active=True)
        count = listing.count()
        ordered = listing.order_by("last_name_search", "first_name_search", "pk")
        people = list(ordered[offset : offset + limit])
    audit_access(user, people, via="api")
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "items": [_summary(p) for p in people],
    }


def duplicate_answer(user: Any, exc: services.LikelyDuplicate) -> Status[dict[str, Any]]:
    """409 with the people the data sent look like, recorded as shown to the caller."""
    matches = exc.report.matches
    audit_access(user, [m.person for m in matches], via="api")
    return Status(
        409,
        {
            **error_body(_("This person may already be registered: check the matches.")),
            "matches": [
                {
                    "id": m.person.pk,
                    "name": m.person.full_name,
                    "birth_date": m.person.birth_date,
                    "reasons": m.reasons,
                }
                for m in matches
            ],
        },
    )


# --- reading input ----------------------------------------------------------------------


def _resolve_municipalities(
    values: dict[str, Any], data: services.PersonInput, errors: dict[str, list[str]]
) -> None:
    """Turn the ISTAT codes given into municipalities; note the codes that name none.

    Residence must be a current municipality; a place of birth may be a former one.
    """
    fields = ("municipality", "birth_municipality")
    given = {name: values[name] for name in fields if name in values}
    found = municipalities_by_istat_codes(code.strip() for code in given.values() if code)
    if "municipality" in given:
        code = (given["municipality"] or "").strip()
        residence = found.get(code)
        data.municipality = residence if residence is not None and residence.is_active else None
        if code and data.municipality is None:
            errors["municipality"] = [_("No current municipality has this ISTAT code.")]
    if "birth_municipality" in given:
        code = (given["birth_municipality"] or "").strip()
        data.birth_municipality = found.get(code)
        if code and data.birth_municipality is None:
            errors["birth_municipality"] = [_("No municipality has this ISTAT code.")]


_BLANK_WHEN_NULL = {
    "sex", "birth_country", "address", "postal_code", "gp_name", "gp_phone", "notes",
}  # fmt: skip


def _apply_values(
    data: services.PersonInput, values: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    """Copy the fields sent over `data` (a PATCH sends some, a creation all)."""
    _resolve_municipalities(values, data, errors)
    for name in services.PERSON_FIELDS:
        if name in values and name not in {"municipality", "birth_municipality"}:
            value = values[name]
            if value is None and name in _BLANK_WHEN_NULL:
                value = ""
            setattr(data, name, value)
    if "phones" in values:
        data.phones = [services.PhoneInput(**phone) for phone in values["phones"]]
    if "reference_persons" in values:
        data.reference_persons = [
            services.ReferencePersonInput(**ref) for ref in values["reference_persons"]
        ]


def _raise_with_service_errors(data: services.PersonInput, errors: dict[str, list[str]]) -> None:
    """Report the errors found here together with those the service's rules find."""
    if not errors:
        return
    try:
        services.clean_person_input(data)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    raise ValidationError(errors)


def _current_input(person: Person) -> services.PersonInput:
    """The person's data as the service takes them, for a PATCH to change some."""
    fields = {name: getattr(person, name) for name in services.PERSON_FIELDS}
    fields["languages"] = list(person.languages or [])
    return services.PersonInput(
        **fields,
        phones=[services.PhoneInput(p.number, p.kind, p.note) for p in person.phones.all()],
        reference_persons=[
            services.ReferencePersonInput(r.name, r.relationship, r.phone, r.is_caregiver, r.note)
            for r in person.reference_persons.all()
        ],
    )


# --- endpoints --------------------------------------------------------------------------


@router.get(
    "",
    response={200: PersonPage, **LIST_ERRORS},
    auth=require(Perm.PEOPLE_VIEW),
    operation_id="people_list",
    summary="List or search people",
    description="The people the caller may see, by surname and name, `limit`/`offset` paged "
    "(at most 100 a page); active people only unless `include_inactive`.\n\n"
    "With `q` it searches instead. **Privacy**: `q` holds names, phone numbers or codici "
    "fiscali, and query strings end up in server and proxy logs: integrations should prefer "
    "`POST /api/people/search`, which takes the text in the body.",
)
def list_people(request: HttpRequest, filters: Query[ListQuery]) -> dict[str, Any]:
    return _page(request, filters)


@router.post(
    "/search",
    response={200: PersonPage, **LIST_ERRORS},
    auth=require(Perm.PEOPLE_VIEW),
    operation_id="people_search",
    summary="Search people (text in the body)",
    description="Find people the caller may see by surname and name (accents and case do not "
    "matter), phone number (any format) or codice fiscale (exact). The preferred way to "
    "search: the text stays out of URLs and logs.",
)
def search_people(request: HttpRequest, payload: SearchIn) -> dict[str, Any]:
    return _page(request, payload)


@router.post(
    "",
    response={201: PersonDetail, 409: DuplicateOut, **ONE_ERRORS},
    auth=require(Perm.PEOPLE_ADD),
    operation_id="people_create",
    summary="Register a person",
    description="Register a person living in a municipality the caller's organisation serves. "
    "If the data look like a person already registered (same codice fiscale, same phone "
    "number, or similar name and same date of birth) the answer is 409 with the matches: "
    "send again with `confirm_not_duplicate: true` if it is really someone else.",
)
def create_person(request: HttpRequest, payload: PersonCreate) -> Status[dict[str, Any]]:
    values = payload.model_dump()
    errors: dict[str, list[str]] = {}
    data = services.PersonInput(first_name="", last_name="", municipality=None)
    _apply_values(data, values, errors)
    consents = [services.ConsentInput(**consent) for consent in values["consents"]]
    _raise_with_service_errors(data, errors)
    try:
        person = services.register_person(
            request.user,
            data=data,
            consents=consents,
            confirm_not_duplicate=payload.confirm_not_duplicate,
        )
    except services.LikelyDuplicate as exc:
        return duplicate_answer(request.user, exc)
    return Status(201, _detail(person))


@router.get(
    "/{person_id}",
    response={200: PersonDetail, **ONE_ERRORS},
    auth=require(Perm.PEOPLE_VIEW),
    operation_id="people_read",
    summary="Read a person's record",
    description="A person the caller may see; 404 for anyone else (whether they exist or not).",
)
def read_person(request: HttpRequest, person_id: str) -> dict[str, Any]:
    person = selectors.access_person(request.user, person_id)
    audit_detail_access(request.user, person, via="api")
    return _detail(person)


@router.patch(
    "/{person_id}",
    response={200: PersonDetail, **ONE_ERRORS},
    auth=require(Perm.PEOPLE_CHANGE),
    operation_id="people_update",
    summary="Change a person's record",
    description="Only the fields sent change; `phones` and `reference_persons`, when sent, "
    "replace the whole list. Consents are not changed here.",
)
def update_person(request: HttpRequest, person_id: str, payload: PersonPatch) -> dict[str, Any]:
    person = selectors.access_person(request.user, person_id, for_write=True)
    values = payload.model_dump(exclude_unset=True)
    errors: dict[str, list[str]] = {}
    data = _current_input(person)
    _apply_values(data, values, errors)
    _raise_with_service_errors(data, errors)
    person = services.update_person(request.user, person=person, data=data)
    return _detail(person)
