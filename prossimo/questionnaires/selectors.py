"""Reads of the questionnaires app: instruments in use, a person's screenings, score changes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.http import Http404

from prossimo.people.models import Person
from prossimo.questionnaires import scoring
from prossimo.questionnaires.models import Questionnaire, Response


def active_questionnaires() -> list[Questionnaire]:
    """The version in use of each instrument: its highest active version, by code (one query)."""
    latest: dict[str, Questionnaire] = {}
    for questionnaire in Questionnaire.objects.active().order_by("code", "-version"):
        latest.setdefault(questionnaire.code, questionnaire)
    return list(latest.values())


def questionnaire_in_use(code: str) -> Questionnaire:
    """The version in use of the instrument `code`, else 404."""
    questionnaire = Questionnaire.objects.active().filter(code=code).order_by("-version").first()
    if questionnaire is None:
        raise Http404
    return questionnaire


def access_response(user: Any, response_id: Any) -> Response:
    """A response `user` may see (about a person they may see), else 404."""
    try:
        pk = response_id if isinstance(response_id, uuid.UUID) else uuid.UUID(str(response_id))
    except (TypeError, ValueError, AttributeError):
        raise Http404 from None
    response = (
        Response.objects.visible_to(user)
        .select_related(
            "questionnaire", "person__municipality__province", "recorded_by", "organisation"
        )
        .filter(pk=pk)
        .first()
    )
    if response is None:
        raise Http404
    return response


def person_responses(user: Any, person: Person) -> QuerySet[Response]:
    """The person's responses that `user` may see, oldest first, with their questionnaire."""
    return (
        Response.objects.visible_to(user)
        .filter(person=person)
        .select_related("questionnaire")
        .order_by("taken_at", "created_at")
    )


class ScorePoint(NamedTuple):
    taken_at: dt.datetime
    score: int
    band: str
    positive: bool
    response: Response


def scores_over_time(user: Any, person: Person) -> dict[str, list[ScorePoint]]:
    """Each instrument's scores of the person over time, by code, oldest first (one query).

    Versions of the same instrument share one series: a new version keeps the same code.
    """
    series: dict[str, list[ScorePoint]] = {}
    for response in person_responses(user, person):
        series.setdefault(response.questionnaire.code, []).append(
            ScorePoint(
                response.taken_at, response.score, response.band, response.positive, response
            )
        )
    return series


def latest_response(user: Any, person: Person, code: str) -> Response | None:
    """The person's latest response to the instrument `code` that `user` may see."""
    return (
        Response.objects.visible_to(user)
        .filter(person=person, questionnaire__code=code)
        .select_related("questionnaire")
        .order_by("-taken_at", "-created_at")
        .first()
    )


@dataclass(frozen=True)
class FirstAndLatest:
    """A person's first and latest score on one instrument, and how much worse it got."""

    person_id: Any
    first_score: int
    first_taken_at: dt.datetime
    latest_score: int
    latest_taken_at: dt.datetime
    count: int
    worsening: int  # points worse (negative: better), by the instrument's direction


def first_and_latest(responses: QuerySet[Response], *, code: str) -> dict[Any, FirstAndLatest]:
    """For each person in `responses`, their first and latest screening with the instrument
    `code` (one query, whatever the number of people).

    The caller scopes `responses`: `Response.objects.visible_to(user)` (optionally filtered by
    person, programme context or period) for people's records; for monitoring, an aggregate
    scope whose result is shown only as counts (see `summarise_changes`).
    """
    questionnaire = Questionnaire.objects.filter(code=code).order_by("-version").first()
    if questionnaire is None:
        return {}
    rows = (
        responses.filter(questionnaire__code=code)
        .order_by("person_id", "taken_at", "created_at")
        .values_list("person_id", "taken_at", "score")
    )
    found: dict[Any, list[Any]] = {}
    for person_id, taken_at, score in rows.iterator():
        entry = found.get(person_id)
        if entry is None:
            found[person_id] = [score, taken_at, score, taken_at, 1]
        else:
            entry[2], entry[3] = score, taken_at
            entry[4] += 1
    definition = questionnaire.definition
    return {
        pid: FirstAndLatest(
            person_id=pid,
            first_score=e[0],
            first_taken_at=e[1],
            latest_score=e[2],
            latest_taken_at=e[3],
            count=e[4],
            worsening=scoring.worsening(definition, e[0], e[2]),
        )
        for pid, e in found.items()
    }


def person_first_and_latest(user: Any, person: Person, code: str) -> FirstAndLatest | None:
    """The person's first and latest screening with the instrument `code`, if any."""
    return first_and_latest(Response.objects.visible_to(user).filter(person=person), code=code).get(
        person.pk
    )


def summarise_changes(changes: Iterable[FirstAndLatest]) -> dict[str, int]:
    """Counts for monitoring: people screened more than once whose score got better, stayed
    the same or got worse between their first and latest screening."""
    summary = {"improved": 0, "unchanged": 0, "worsened": 0, "screened_once": 0}
    for change in changes:
        if change.count < 2:
            summary["screened_once"] += 1
        elif change.worsening > 0:
            summary["worsened"] += 1
        elif change.worsening < 0:
            summary["improved"] += 1
        else:
            summary["unchanged"] += 1
    return summary
