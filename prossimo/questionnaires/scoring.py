"""Scoring a questionnaire's answers by its definition: plain functions, no database.

`score(definition, answers)` is the one rule: every required question answered with one of its
options, the score the sum of the options' scores (reversed items mirrored), the band the one
whose cut-offs hold the score. `is_positive` and `worsening` say what a score means for the
rules built on screenings (escalation, monitoring), whatever the instrument's direction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from prossimo.questionnaires.definition import item_options


class ScoreResult(NamedTuple):
    """The total score, the code of its band and the score of each subscale (by id)."""

    score: int
    band: str
    subscales: dict[str, int]


def band_for(definition: Mapping[str, Any], score: int) -> dict[str, Any]:
    """The band whose cut-offs (`min` ≤ score ≤ `max`) hold the score."""
    for band in definition["scoring"]["bands"]:
        if band["min"] <= score <= band["max"]:
            return dict(band)
    raise ValueError(f"no band of {definition['code']} holds the score {score}")


def score(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> ScoreResult:
    """Score `answers` ({item id: option value}) by the definition.

    Raises `ValidationError` keyed by item id for a required question left unanswered or an
    answer that is not one of the question's options, and under `__all__` for answers to
    questions the definition does not have.
    """
    if not isinstance(answers, Mapping):
        raise ValidationError(_("The answers must map each question to its answer."))
    errors: dict[str, list[str]] = {}
    items = definition["items"]
    known = {item["id"] for item in items}
    unknown = sorted(str(key) for key in answers if key not in known)
    if unknown:
        errors[NON_FIELD_ERRORS] = [
            _("These answers are to questions this questionnaire does not have: %(ids)s.")
            % {"ids": ", ".join(unknown)}
        ]
    points: dict[str, int] = {}
    for item in items:
        value = answers.get(item["id"])
        if value is None or value == "":
            if item.get("required", True):
                errors[item["id"]] = [_("Answer this question.")]
            continue
        chosen = next((o for o in item_options(definition, item) if o["value"] == value), None)
        if chosen is None:
            errors[item["id"]] = [_("Choose one of the answers given.")]
            continue
        points[item["id"]] = chosen["score"]
    if errors:
        raise ValidationError(errors)
    total = sum(points.values())
    subscales = {
        sub["id"]: sum(points.get(member, 0) for member in sub["items"])
        for sub in definition["scoring"].get("subscales", [])
    }
    return ScoreResult(total, band_for(definition, total)["code"], subscales)


def higher_is_worse(definition: Mapping[str, Any]) -> bool:
    return bool(definition["scoring"].get("higher_is_worse", True))


def positive_threshold(definition: Mapping[str, Any]) -> int | None:
    """The score from which a screening is positive (None: the instrument names none)."""
    threshold = definition["scoring"].get("positive_threshold")
    return int(threshold) if threshold is not None else None


def is_positive(definition: Mapping[str, Any], score: int) -> bool:
    """Whether the score is a positive screen: at or beyond the threshold, in the direction of
    worse (≥ when higher is worse, ≤ when lower is worse)."""
    threshold = positive_threshold(definition)
    if threshold is None:
        return False
    return score >= threshold if higher_is_worse(definition) else score <= threshold


def worsening(definition: Mapping[str, Any], before: int, after: int) -> int:
    """How much worse `after` is than `before` (negative: better), in score points."""
    change = after - before
    return change if higher_is_worse(definition) else -change


def crossed_threshold(definition: Mapping[str, Any], before: int | None, after: int) -> bool:
    """Whether a screening became positive: negative (or none) before, positive now."""
    was = before is not None and is_positive(definition, before)
    return is_positive(definition, after) and not was
