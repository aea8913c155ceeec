"""Reads of the people registry, always through `Person.objects.visible_to(user)`."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from prossimo.core.permissions import Perm, user_can
from prossimo.core.text import fold
from prossimo.people.models import Consent, Person, Phone, ReferencePerson
from prossimo.people.validation import normalise_fiscal_code, phone_search_key
from prossimo.territory.models import Membership

FISCAL_CODE_RE = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)


def people_for_list(user: Any) -> QuerySet[Person]:
    """Visible people with what a list row shows, in a fixed number of queries."""
    return (
        Person.objects.visible_to(user)
        .select_related("municipality__province")
        .prefetch_related(Prefetch("phones", queryset=Phone.objects.order_by("pk")))
    )


def search_people(
    user: Any, text: str, *, include_inactive: bool = False, limit: int = 50
) -> list[Person]:
    """Find visible people by surname/name, phone number or codice fiscale.

    Names: accent- and case-insensitive, every word must match the start of (or, for three
    letters or more, a part of) the surname or first name. Phones: any format, matched on E.164.
    Codice fiscale: exact.
    """
    text = (text or "").strip()
    if not text:
        return []
    qs = people_for_list(user)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    code = normalise_fiscal_code(text)
    if FISCAL_CODE_RE.match(code):
        qs = qs.filter(fiscal_code=code)
    elif (e164 := phone_search_key(text)) is not None:
        qs = qs.filter(pk__in=Phone.objects.filter(number=e164).values("person_id"))
    else:
        words = fold(text).replace(",", " ").split()
        if not words:
            return []
        for word in words:
            if len(word) >= 3:
                qs = qs.filter(
                    Q(last_name_search__contains=word) | Q(first_name_search__contains=word)
                )
            else:
                qs = qs.filter(
                    Q(last_name_search__startswith=word) | Q(first_name_search__startswith=word)
                )
    return list(qs.order_by("last_name_search", "first_name_search", "birth_date")[:limit])


def _parse_id(person_id: Any) -> uuid.UUID:
    try:
        return person_id if isinstance(person_id, uuid.UUID) else uuid.UUID(str(person_id))
    except (ValueError, TypeError, AttributeError):
        raise Http404 from None


def access_person(user: Any, person_id: Any, *, for_write: bool = False) -> Person:
    """The person `person_id` if `user` may see them (else 404), and change them if asked (403)."""
    pid = _parse_id(person_id)
    person = (
        Person.objects.visible_to(user)
        .select_related("municipality__province", "birth_municipality__province")
        .filter(pk=pid)
        .first()
    )
    if person is None:
        raise Http404
    if for_write and not user_can(user, Perm.PEOPLE_CHANGE):
        raise PermissionDenied
    return person


def person_record(person: Person) -> dict[str, Any]:
    """Everything the record page shows about a person, in a fixed number of queries."""
    return {
        "phones": list(person.phones.all()),
        "reference_persons": list(person.reference_persons.all()),
        "consents": list(
            Consent.objects.filter(person=person).select_related("recorded_by", "withdrawn_by")
        ),
        "shares": list(person.shares.select_related("organisation")),
    }


@dataclass
class DuplicateMatch:
    person: Person
    reasons: list[str] = field(default_factory=list)


@dataclass
class DuplicateReport:
    matches: list[DuplicateMatch]
    #: a person with this codice fiscale exists, but outside what the user may see
    hidden_fiscal_code: bool = False

    def __bool__(self) -> bool:
        return bool(self.matches) or self.hidden_fiscal_code


def _similar(a: str, b: str) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def likely_duplicates(
    user: Any,
    *,
    fiscal_code: str | None = None,
    phones: list[str] | tuple[str, ...] = (),
    first_name: str = "",
    last_name: str = "",
    birth_date: dt.date | None = None,
    exclude: Any = None,
) -> DuplicateReport:
    """People the new data probably describe: same codice fiscale, same phone number, or a
    similar name with the same date of birth. Only people the user may see are shown."""
    visible = Person.objects.visible_to(user).select_related("municipality__province")
    everyone = Person.objects.filter(merged_into__isnull=True)
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
        everyone = everyone.exclude(pk=exclude)
    found: dict[Any, DuplicateMatch] = {}

    def add(person: Person, reason: str) -> None:
        found.setdefault(person.pk, DuplicateMatch(person)).reasons.append(reason)

    hidden = False
    if fiscal_code:
        for p in visible.filter(fiscal_code=fiscal_code):
            add(p, _("same codice fiscale"))
        if not found:
            hidden = everyone.filter(fiscal_code=fiscal_code).exists()
    if phones:
        for p in visible.filter(phones__number__in=list(phones)).distinct():
            add(p, _("same phone number"))
    if birth_date and last_name:
        wanted_last, wanted_first = fold(last_name), fold(first_name)
        for p in visible.filter(birth_date=birth_date):
            if _similar(p.last_name_search, wanted_last) and (
                not wanted_first or _similar(p.first_name_search, wanted_first)
            ):
                add(p, _("similar name and same date of birth"))
    return DuplicateReport(matches=list(found.values()), hidden_fiscal_code=hidden)


def person_audit_trail(user: Any, person: Person, *, limit: int | None = 500) -> QuerySet[LogEntry]:
    """Who read or changed the person's record and related rows, newest first.

    The trail includes the records merged into this one.
    Each entry comes with its actor's active memberships and their organisations
    (`entry.actor.active_memberships`), in a fixed number of queries. `limit=None`: all.
    """
    if not user_can(user, Perm.PEOPLE_AUDIT):
        raise PermissionDenied
    # Records merged into this one are the same person: their history is part of the trail.
    ids = [str(person.pk), *(str(pk) for pk in person.merged_from.values_list("pk", flat=True))]
    trail = (
        LogEntry.objects.filter(additional_data__person__in=ids)
        .select_related("actor", "content_type")
        .prefetch_related(
            Prefetch(
                "actor__memberships",
                queryset=Membership.objects.filter(is_active=True)
                .select_related("organisation")
                .order_by("pk"),
                to_attr="active_memberships",
            )
        )
        .order_by("-timestamp", "-pk")
    )
    return trail if limit is None else trail[:limit]


def access_consent(
    user: Any, person: Person, consent_id: Any, *, for_write: bool = False
) -> Consent:
    """A consent of `person` (already reached through `access_person`), else 404."""
    try:
        pk = int(consent_id)
    except (TypeError, ValueError):
        raise Http404 from None
    consent = Consent.objects.filter(person=person, pk=pk).first()
    if consent is None:
        raise Http404
    if for_write and not user_can(user, Perm.PEOPLE_CHANGE):
        raise PermissionDenied
    return consent


def reference_persons_of(person: Person) -> QuerySet[ReferencePerson]:
    return person.reference_persons.all()
