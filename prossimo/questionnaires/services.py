"""Writes of the questionnaires app: recording a screening about a person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, user_can
from prossimo.people.models import CASEWORK_ROLES, Person
from prossimo.people.selectors import access_person
from prossimo.questionnaires import scoring
from prossimo.questionnaires.models import Questionnaire, Response
from prossimo.questionnaires.signals import response_recorded
from prossimo.territory.models import Organisation
from prossimo.territory.selectors import organisation_ids_with_roles

#: A screening may be dated a little ahead of the server's clock (a phone's clock), no more.
CLOCK_SKEW = dt.timedelta(minutes=5)
CONTEXT_MAX_LENGTH = 200


def _acting_organisation(actor: Any, organisation: Organisation | None) -> Organisation:
    """The organisation the actor records for: the one given (if theirs) or their first."""
    ids = organisation_ids_with_roles(actor, CASEWORK_ROLES)
    if organisation is not None:
        if organisation.pk not in ids:
            raise PermissionDenied
        return organisation
    first = Organisation.objects.filter(pk__in=ids, is_active=True).order_by("pk").first()
    if first is None:
        raise PermissionDenied
    return first


def previous_response(response: Response) -> Response | None:
    """The person's latest response to the same instrument (any version) taken before this one."""
    return (
        Response.objects.filter(
            person_id=response.person_id,
            questionnaire__code=response.questionnaire.code,
            taken_at__lte=response.taken_at,
        )
        .exclude(pk=response.pk)
        .select_related("questionnaire")
        .order_by("-taken_at", "-created_at")
        .first()
    )


@transaction.atomic(durable=True)
def record_response(
    actor: Any,
    *,
    person: Person,
    questionnaire: Questionnaire,
    answers: Mapping[str, str],
    taken_at: dt.datetime | None = None,
    context: str = "",
    organisation: Organisation | None = None,
    language: str = "it",
) -> Response:
    """Record a screening of a person: the answers, scored by the questionnaire's definition.

    Rules: the actor holds `questionnaires.administer` (else 403) and may see the person (else
    404); the person's record is active; the questionnaire version is active; every required
    question has one of its answers (errors keyed by item id); the language is one of the
    questionnaire's; the time is aware and not in the future. `context` names what the
    screening was taken for (`"programmes.enrolment:<id>"`), so other apps can link to it.
    After commit, `response_recorded` is sent with the previous response of the same instrument.
    """
    if not user_can(actor, Perm.QUESTIONNAIRES_ADMINISTER):
        raise PermissionDenied
    person = access_person(actor, person.pk)
    org = _acting_organisation(actor, organisation)
    now = timezone.now()
    taken_at = taken_at or now
    context = (context or "").strip()

    errors: dict[str, list[str]] = {}
    if not person.is_active:
        errors.setdefault("__all__", []).append(
            _("This person's record is inactive: reactivate it to record a screening.")
        )
    if not questionnaire.is_active:
        errors.setdefault("__all__", []).append(
            _("This questionnaire version is no longer in use.")
        )
    if language not in questionnaire.languages:
        errors["language"] = [_("Choose one of the questionnaire's languages.")]
    if timezone.is_naive(taken_at):
        errors["taken_at"] = [_("Give a date and time with its time zone.")]
    elif taken_at > now + CLOCK_SKEW:
        errors["taken_at"] = [_("The screening cannot be in the future.")]
    if len(context) > CONTEXT_MAX_LENGTH:
        errors["context"] = [_("The context is too long.")]
    try:
        result = scoring.score(questionnaire.definition, answers)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    response = Response.objects.create(
        person=person,
        questionnaire=questionnaire,
        answers={key: value for key, value in answers.items() if value not in (None, "")},
        score=result.score,
        band=result.band,
        positive=scoring.is_positive(questionnaire.definition, result.score),
        subscores=result.subscales,
        language=language,
        taken_at=taken_at,
        recorded_by=actor,
        organisation=org,
        context=context,
    )
    previous = previous_response(response)
    audit_event(
        actor,
        "questionnaires.response.recorded",
        obj=response,
        person_id=person.pk,
        extra={
            "questionnaire": questionnaire.code,
            "version": questionnaire.version,
            "score": result.score,
            "band": result.band,
            "context": context,
        },
    )
    transaction.on_commit(
        lambda: response_recorded.send(sender=Response, response=response, previous=previous)
    )
    return response
