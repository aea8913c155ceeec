"""Writes to the people registry. Every function is atomic and leaves an audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, user_can
from prossimo.core.text import fold
from prossimo.people.models import Consent, Person, PersonShare, Phone, ReferencePerson
from prossimo.people.selectors import DuplicateReport, likely_duplicates
from prossimo.people.validation import (
    fiscal_code_mismatches,
    normalise_fiscal_code,
    normalise_phone,
    validate_fiscal_code,
)
from prossimo.territory.models import Municipality, Organisation
from prossimo.territory.selectors import organisations_of

_Row = TypeVar("_Row", bound=models.Model)

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "birth_municipality",
    "birth_country",
    "fiscal_code",
    "address",
    "postal_code",
    "municipality",
    "lives_alone",
    "languages",
    "gp_name",
    "gp_phone",
    "notes",
    "legal_basis",
)


@dataclass
class PhoneInput:
    number: str
    kind: str = Phone.Kind.MOBILE
    note: str = ""


@dataclass
class ReferencePersonInput:
    name: str
    relationship: str = ""
    phone: str = ""
    is_caregiver: bool = False
    note: str = ""


@dataclass
class ConsentInput:
    kind: str
    given_on: dt.date
    note: str = ""


@dataclass
class PersonInput:
    """A person's data as typed, before validation. Names follow `Person`'s fields."""

    first_name: str
    last_name: str
    municipality: Municipality | None
    sex: str = ""
    birth_date: dt.date | None = None
    birth_municipality: Municipality | None = None
    birth_country: str = ""
    fiscal_code: str | None = None
    address: str = ""
    postal_code: str = ""
    lives_alone: bool | None = None
    languages: list[str] = field(default_factory=list)
    gp_name: str = ""
    gp_phone: str = ""
    notes: str = ""
    legal_basis: str = Person.LegalBasis.CONSENT
    phones: list[PhoneInput] = field(default_factory=list)
    reference_persons: list[ReferencePersonInput] = field(default_factory=list)


class LikelyDuplicate(Exception):
    """Creating the person needs confirmation: these people look like the same person."""

    def __init__(self, report: DuplicateReport) -> None:
        super().__init__("likely duplicate")
        self.report = report


def clean_person_input(data: PersonInput) -> PersonInput:
    """Normalise and validate a person's data; raise ValidationError({field: [messages]}).

    The same rules serve the pages and the API.
    """
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    data.first_name = " ".join((data.first_name or "").split())
    data.last_name = " ".join((data.last_name or "").split())
    if not data.first_name:
        err("first_name", _("Enter the first name."))
    if not data.last_name:
        err("last_name", _("Enter the surname."))
    if data.municipality is None:
        err("municipality", _("Choose the municipality where the person lives."))
    if data.birth_date and data.birth_date > timezone.localdate():
        err("birth_date", _("The date of birth is in the future."))
    if data.birth_municipality is not None and data.birth_country.strip():
        err("birth_country", _("Give either a place of birth in Italy or a country, not both."))
    if data.sex and data.sex not in Person.Sex.values:
        err("sex", _("Choose a valid value."))
    if data.legal_basis not in Person.LegalBasis.values:
        err("legal_basis", _("Choose a valid value."))

    code = normalise_fiscal_code(data.fiscal_code or "")
    data.fiscal_code = code or None
    if code:
        try:
            validate_fiscal_code(code)
        except ValidationError as exc:
            for message in exc.messages:
                err("fiscal_code", message)
        else:
            for message in fiscal_code_mismatches(
                code,
                first_name=data.first_name,
                last_name=data.last_name,
                sex=data.sex,
                birth_date=data.birth_date,
                birthplace_code=(
                    data.birth_municipality.cadastral_code if data.birth_municipality else ""
                ),
            ):
                err("fiscal_code", message)

    seen: set[str] = set()
    for i, phone in enumerate(data.phones):
        try:
            phone.number = normalise_phone(phone.number)
        except ValidationError as exc:
            err(f"phones.{i}.number", exc.messages[0])
            continue
        if phone.number in seen:
            err(f"phones.{i}.number", _("This number is already in the list."))
        seen.add(phone.number)
        if phone.kind not in Phone.Kind.values:
            err(f"phones.{i}.kind", _("Choose a valid value."))
    for i, ref in enumerate(data.reference_persons):
        ref.name = " ".join((ref.name or "").split())
        if not ref.name:
            err(f"reference_persons.{i}.name", _("Enter the name of the reference person."))
        if ref.phone:
            try:
                ref.phone = normalise_phone(ref.phone)
            except ValidationError as exc:
                err(f"reference_persons.{i}.phone", exc.messages[0])
    if data.gp_phone:
        try:
            data.gp_phone = normalise_phone(data.gp_phone)
        except ValidationError as exc:
            err("gp_phone", exc.messages[0])
    if errors:
        raise ValidationError(errors)
    return data


def _apply_fields(person: Person, data: PersonInput) -> list[str]:
    changed = []
    for name in PERSON_FIELDS:
        value = getattr(data, name)
        if value is None and name in {
            "birth_country",
            "address",
            "postal_code",
            "gp_name",
            "gp_phone",
            "notes",
            "sex",
        }:
            value = ""
        field = Person._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            current = getattr(person, field.attname)
            wanted = value.pk if value is not None else None
        else:
            current, wanted = getattr(person, name), value
        if current != wanted:
            setattr(person, name, value)
            changed.append(name)
    person.first_name_search = fold(person.first_name)
    person.last_name_search = fold(person.last_name)
    return [*changed, "first_name_search", "last_name_search"]


def _fiscal_code_taken() -> ValidationError:
    return ValidationError(
        {"fiscal_code": [_("A person with this codice fiscale is already registered.")]}
    )


def _sync_phones(person: Person, phones: list[PhoneInput]) -> None:
    current = {p.number: p for p in person.phones.all()}
    wanted = {p.number: p for p in phones}
    for number, phone in current.items():
        if number not in wanted:
            phone.delete()
    for number, item in wanted.items():
        existing = current.get(number)
        if existing is None:
            Phone.objects.create(person=person, number=number, kind=item.kind, note=item.note)
        elif (existing.kind, existing.note) != (item.kind, item.note):
            existing.kind, existing.note = item.kind, item.note
            existing.save(update_fields=["kind", "note", "updated_at"])


def _sync_reference_persons(person: Person, refs: list[ReferencePersonInput]) -> None:
    current = list(person.reference_persons.all())
    for i, item in enumerate(refs):
        values = {
            "name": item.name,
            "relationship": item.relationship,
            "phone": item.phone,
            "is_caregiver": item.is_caregiver,
            "note": item.note,
        }
        if i < len(current):
            row = current[i]
            changed = [k for k, v in values.items() if getattr(row, k) != v]
            if changed:
                for k in changed:
                    setattr(row, k, values[k])
                row.save(update_fields=[*changed, "updated_at"])
        else:
            ReferencePerson.objects.create(person=person, **values)
    for row in current[len(refs) :]:
        row.delete()


def _consent_errors(consents: list[ConsentInput]) -> dict[str, list[Any]]:
    """Errors of the consents given at registration, keyed "consents.<index>.<field>"."""
    errors: dict[str, list[Any]] = {}
    for i, consent in enumerate(consents):
        if consent.kind not in Consent.Kind.values:
            errors[f"consents.{i}.kind"] = [_("Choose a valid value.")]
        if consent.given_on > timezone.localdate():
            errors[f"consents.{i}.given_on"] = [_("The date is in the future.")]
    return errors


def _ensure_within_reach(actor: Any, person: Person) -> None:
    """The saved person must stay visible to the actor, or they could not reopen the record."""
    if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise ValidationError(
            {
                "municipality": [
                    _("Your organisation does not serve this municipality: choose another.")
                ]
            }
        )


def _home_organisation(actor: Any) -> Organisation | None:
    return organisations_of(actor).order_by("pk").first()


@transaction.atomic
def register_person(
    actor: Any,
    *,
    data: PersonInput,
    consents: list[ConsentInput] = (),  # type: ignore[assignment]
    confirm_not_duplicate: bool = False,
) -> Person:
    """Register a new person.

    Rules: the data must pass `clean_person_input`; a codice fiscale is unique; if the data
    look like a person already registered (same codice fiscale, phone, or similar name and
    same birth date) `LikelyDuplicate` is raised unless `confirm_not_duplicate` is given.
    The person's municipality must be one the actor may see, or they could not reopen them.
    """
    if not user_can(actor, Perm.PEOPLE_ADD):
        raise PermissionDenied
    consent_errors = _consent_errors(consents)
    try:
        data = clean_person_input(data)
    except ValidationError as exc:
        raise ValidationError(exc.update_error_dict(consent_errors)) from None
    if consent_errors:
        raise ValidationError(consent_errors)
    report = likely_duplicates(
        actor,
        fiscal_code=data.fiscal_code,
        phones=[p.number for p in data.phones],
        first_name=data.first_name,
        last_name=data.last_name,
        birth_date=data.birth_date,
    )
    if report.hidden_fiscal_code:
        raise ValidationError(
            {
                "fiscal_code": [
                    _(
                        "A person with this codice fiscale is already registered by another "
                        "organisation. Ask your coordinator to have the record shared with you."
                    )
                ]
            }
        )
    if report and not confirm_not_duplicate:
        raise LikelyDuplicate(report)
    person = Person(created_by=actor, registered_by_organisation=_home_organisation(actor))
    _apply_fields(person, data)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise _fiscal_code_taken() from None
    _ensure_within_reach(actor, person)
    _sync_phones(person, data.phones)
    _sync_reference_persons(person, data.reference_persons)
    for consent in consents:
        Consent.objects.create(
            person=person,
            kind=consent.kind,
            given_on=consent.given_on,
            note=consent.note,
            recorded_by=actor,
        )
    return person


@transaction.atomic
def update_person(actor: Any, *, person: Person, data: PersonInput) -> Person:
    """Change a person's data, phones and reference persons (the lists replace the old ones)."""
    if not user_can(actor, Perm.PEOPLE_CHANGE):
        raise PermissionDenied
    data = clean_person_input(data)
    person = Person.objects.select_for_update().get(pk=person.pk)
    changed = _apply_fields(person, data)
    try:
        with transaction.atomic():
            person.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise _fiscal_code_taken() from None
    _ensure_within_reach(actor, person)
    _sync_phones(person, data.phones)
    _sync_reference_persons(person, data.reference_persons)
    return person


@transaction.atomic
def deactivate_person(actor: Any, *, person: Person, reason: str) -> Person:
    """Mark a person inactive (moved, deceased, no longer followed). Nothing is deleted."""
    if not user_can(actor, Perm.PEOPLE_DEACTIVATE):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the record is being deactivated.")]})
    person.is_active = False
    person.deactivated_at = timezone.now()
    person.deactivation_reason = reason
    person.save(update_fields=["is_active", "deactivated_at", "deactivation_reason", "updated_at"])
    return person


@transaction.atomic
def reactivate_person(actor: Any, *, person: Person) -> Person:
    if not user_can(actor, Perm.PEOPLE_DEACTIVATE):
        raise PermissionDenied
    person.is_active = True
    person.deactivated_at = None
    person.deactivation_reason = ""
    person.save(update_fields=["is_active", "deactivated_at", "deactivation_reason", "updated_at"])
    return person


@transaction.atomic
def record_consent(
    actor: Any, *, person: Person, kind: str, given_on: dt.date, note: str = ""
) -> Consent:
    """Record a consent (or that the privacy notice was given) on a date, by the actor."""
    if not user_can(actor, Perm.PEOPLE_CHANGE):
        raise PermissionDenied
    if kind not in Consent.Kind.values:
        raise ValidationError({"kind": [_("Choose a valid value.")]})
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": [_("The date is in the future.")]})
    return Consent.objects.create(
        person=person, kind=kind, given_on=given_on, note=note, recorded_by=actor
    )


@transaction.atomic
def withdraw_consent(actor: Any, *, consent: Consent, withdrawn_on: dt.date) -> Consent:
    """Record the withdrawal of a consent; the consent itself stays in the history."""
    if not user_can(actor, Perm.PEOPLE_CHANGE):
        raise PermissionDenied
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    if withdrawn_on < consent.given_on or withdrawn_on > timezone.localdate():
        raise ValidationError(
            {"withdrawn_on": [_("The withdrawal date must be between the consent and today.")]}
        )
    consent.withdrawn_on = withdrawn_on
    consent.withdrawn_by = actor
    consent.save(update_fields=["withdrawn_on", "withdrawn_by", "updated_at"])
    return consent


@transaction.atomic
def share_person(
    actor: Any, *, person: Person, organisation: Organisation, reason: str = ""
) -> PersonShare:
    """Let another organisation see the person's record (e.g. a desk outside the territory)."""
    if not user_can(actor, Perm.PEOPLE_CHANGE):
        raise PermissionDenied
    share, _created = PersonShare.objects.get_or_create(
        person=person, organisation=organisation, defaults={"shared_by": actor, "reason": reason}
    )
    return share


def lock_person(person_id: Any) -> None:
    """Lock a person's record until the end of the transaction (FOR NO KEY UPDATE).

    Lock order, for every transaction that changes rows about a person (a planned call, an
    enrolment, a contact, a referral…) and writes more rows about them: the person first, then
    those rows. `merge_people` locks both records FOR UPDATE, in primary-key order, then moves
    their rows: a write that locked a row first and then inserted a row pointing at the person
    (the foreign key check takes FOR KEY SHARE on the person) would wait for the merge while
    the merge waited for its row, and PostgreSQL would abort one of them. FOR NO KEY UPDATE
    waits for a merge but not for ordinary inserts pointing at the person; two writes about
    the same person take turns. SQLite runs one writer at a time: nothing to lock there.
    """
    rows = Person.objects.select_for_update(no_key=True).filter(pk=person_id)
    list(rows.order_by().values_list("pk"))


def lock_person_then(rows: models.QuerySet[_Row], *, pk: Any, person_id: Any) -> _Row:
    """Lock the person, then the row `pk` of `rows` (a `select_for_update()` queryset of a
    model with a `person` foreign key), in the order of `lock_person`; the locked row.

    `person_id` is the row's person as the caller read it. A merge may move the row to the kept
    record meanwhile (or while this waits for the person): both locks are then given back
    (rolled back to a savepoint) and taken again, the kept person first. This ends: each turn
    follows a merge that has committed, and a merged record is never merged again.
    """
    while True:
        savepoint = transaction.savepoint()
        lock_person(person_id)
        row = rows.get(pk=pk)
        current = row.serializable_value("person")
        if current == person_id:
            transaction.savepoint_commit(savepoint)
            return row
        transaction.savepoint_rollback(savepoint)
        person_id = current


@transaction.atomic
def merge_people(actor: Any, *, keep: Person, absorb: Person) -> Person:
    """Merge `absorb` into `keep`: every row linked to `absorb` moves to `keep`.

    Rules: only administrators merge; the two must differ and neither be merged already. The
    absorbed record is kept (inactive, `merged_into` set) so its history stays readable. Fields
    empty on `keep` are filled from `absorb`; phones already on `keep` are not doubled.
    """
    if not user_can(actor, Perm.PEOPLE_MERGE):
        raise PermissionDenied
    if keep.pk == absorb.pk:
        raise ValidationError(_("Choose two different records."))
    # Both records in one statement, in primary-key order (see `lock_person`): two merges of
    # the same pair never hold one record each.
    locked = {
        person.pk: person
        for person in Person.objects.select_for_update()
        .filter(pk__in=[keep.pk, absorb.pk])
        .order_by("pk")
    }
    keep, absorb = locked[keep.pk], locked[absorb.pk]
    if keep.merged_into_id or absorb.merged_into_id:
        raise ValidationError(_("One of the records was already merged."))

    # Empty fields of the kept record take the absorbed record's values.
    filled = []
    fiscal_code = absorb.fiscal_code
    for name in PERSON_FIELDS:
        if name == "fiscal_code":
            continue
        mine, theirs = getattr(keep, name), getattr(absorb, name)
        if mine in (None, "", []) and theirs not in (None, "", []):
            setattr(keep, name, theirs)
            filled.append(name)
    if not keep.languages and absorb.languages:
        keep.languages = absorb.languages

    # Every relation pointing at a person (this app's and later apps') follows the merge.
    kept_numbers = set(keep.phones.values_list("number", flat=True))
    for phone in absorb.phones.all():
        if phone.number in kept_numbers:
            phone.delete()
        else:
            phone.person = keep
            phone.save(update_fields=["person", "updated_at"])
    kept_shares = set(keep.shares.values_list("organisation_id", flat=True))
    for share in absorb.shares.all():
        if share.organisation_id in kept_shares:
            share.delete()
        else:
            share.person = keep
            share.save(update_fields=["person", "updated_at"])
    # Hidden relations too (`related_name="+"`, as on planned calls).
    for relation in Person._meta.get_fields(include_hidden=True):
        if not isinstance(relation, models.ManyToOneRel) or relation.one_to_one:
            continue
        model = relation.related_model
        if model in (Phone, PersonShare):
            continue
        if relation.remote_field.name == "merged_into":
            continue
        for row in model._default_manager.filter(**{relation.field.name: absorb}):
            setattr(row, relation.field.name, keep)
            row.save(update_fields=[relation.field.name])

    absorb.is_active = False
    absorb.deactivated_at = timezone.now()
    absorb.deactivation_reason = _("Merged into another record")
    absorb.merged_into = keep
    absorb.fiscal_code = None
    absorb.save(
        update_fields=[
            "is_active",
            "deactivated_at",
            "deactivation_reason",
            "merged_into",
            "fiscal_code",
            "updated_at",
        ]
    )
    if keep.fiscal_code is None and fiscal_code:
        keep.fiscal_code = fiscal_code
        filled.append("fiscal_code")
    keep.first_name_search = fold(keep.first_name)
    keep.last_name_search = fold(keep.last_name)
    keep.save(update_fields=[*filled, "languages", "updated_at"])
    audit_event(
        actor,
        "people.person.merged",
        obj=keep,
        person_id=keep.pk,
        extra={"absorbed": str(absorb.pk), "filled": filled},
    )
    audit_event(
        actor,
        "people.person.merged_away",
        obj=absorb,
        person_id=absorb.pk,
        extra={"into": str(keep.pk)},
    )
    return keep
