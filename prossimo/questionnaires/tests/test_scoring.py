"""Scoring by the instruments' published rules, and properties that hold for any definition.

Cases come from the published rules:
- UCLA-3 (Hughes et al. 2004): hardly ever = 1, some of the time = 2, often = 3; total 3-9;
  3-5 not lonely, 6-9 lonely.
- PRISMA-7 (Raîche et al. 2008): one point per answer indicating risk, "no" for question 6;
  3 or more is a positive screen.
- TFI part B (Gobbens et al. 2010): "no" scores 1 for items 11, 22, 25; "sometimes" scores 1
  for items 20, 21, 24 and 0 for item 19; physical 0-8, psychological 0-4, social 0-3;
  5 or more is frail.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from prossimo.questionnaires.definition import score_range, validate_definition
from prossimo.questionnaires.loader import DATA_DIR, read_definition
from prossimo.questionnaires.scoring import (
    crossed_threshold,
    is_positive,
    score,
    worsening,
)

UCLA = read_definition(DATA_DIR / "ucla-3.json")
PRISMA = read_definition(DATA_DIR / "prisma-7.json")
TFI = read_definition(DATA_DIR / "tfi.json")
SHIPPED = [UCLA, PRISMA, TFI]


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Services speak the active language; these tests read their messages in English (the
    Italian catalogue is checked whole by core/tests/test_i18n.py)."""
    with translation.override("en"):
        yield


def same(definition: dict[str, Any], value: str) -> dict[str, str]:
    return {item["id"]: value for item in definition["items"]}


# --- UCLA 3-item loneliness scale ---------------------------------------------------------


def test_ucla_all_hardly_ever_scores_3_not_lonely():
    assert score(UCLA, same(UCLA, "hardly_ever")) == (3, "not_lonely", {})


def test_ucla_all_often_scores_9_lonely():
    assert score(UCLA, same(UCLA, "often")) == (9, "lonely", {})


def test_ucla_all_some_of_the_time_scores_6_the_first_lonely_score():
    result = score(UCLA, same(UCLA, "some_of_the_time"))
    assert (result.score, result.band) == (6, "lonely")
    assert is_positive(UCLA, 6)


def test_ucla_5_is_the_highest_not_lonely_score():
    answers = {"lack_companionship": "some_of_the_time", "left_out": "some_of_the_time"}
    result = score(UCLA, {**answers, "isolated": "hardly_ever"})
    assert (result.score, result.band) == (5, "not_lonely")
    assert not is_positive(UCLA, 5)


def test_ucla_range_is_3_to_9():
    assert score_range(UCLA) == (3, 9)


# --- PRISMA-7 -------------------------------------------------------------------------------


def test_prisma_all_no_scores_1_because_no_to_question_6_indicates_risk():
    result = score(PRISMA, same(PRISMA, "no"))
    assert (result.score, result.band) == (1, "low_risk")


def test_prisma_all_yes_scores_6_because_yes_to_question_6_indicates_no_risk():
    result = score(PRISMA, same(PRISMA, "yes"))
    assert (result.score, result.band) == (6, "frailty_risk")


def test_prisma_man_over_85_who_can_count_on_someone_scores_2_low_risk():
    answers = {
        **same(PRISMA, "no"),
        "older_than_85": "yes",
        "male": "yes",
        "can_count_on_someone": "yes",
    }
    result = score(PRISMA, answers)
    assert (result.score, result.band) == (2, "low_risk")
    assert not is_positive(PRISMA, result.score)


def test_prisma_the_same_man_without_anyone_to_count_on_screens_positive_at_3():
    answers = {**same(PRISMA, "no"), "older_than_85": "yes", "male": "yes"}
    result = score(PRISMA, answers)
    assert (result.score, result.band) == (3, "frailty_risk")
    assert is_positive(PRISMA, 3)


def test_prisma_range_is_0_to_7():
    assert score_range(PRISMA) == (0, 7)


# --- Tilburg Frailty Indicator, part B ----------------------------------------------------

TFI_ROBUST = {
    **same(TFI, "no"),
    "physically_healthy": "yes",
    "copes_with_problems": "yes",
    "enough_support": "yes",
}


def test_tfi_robust_person_scores_0():
    assert score(TFI, TFI_ROBUST) == (
        0,
        "not_frail",
        {"physical": 0, "psychological": 0, "social": 0},
    )


def test_tfi_no_to_healthy_coping_and_support_each_scores_1():
    result = score(TFI, same(TFI, "no"))
    assert result.score == 3
    assert result.subscales == {"physical": 1, "psychological": 1, "social": 1}


def test_tfi_sometimes_for_memory_scores_0_but_for_mood_anxiety_and_missing_people_scores_1():
    answers = {
        **TFI_ROBUST,
        "memory_problems": "sometimes",
        "felt_down": "sometimes",
        "nervous_or_anxious": "sometimes",
        "misses_people_around": "sometimes",
    }
    result = score(TFI, answers)
    assert result.score == 3
    assert result.subscales == {"physical": 0, "psychological": 2, "social": 1}


def test_tfi_4_is_not_frail_and_5_is_frail():
    four = {
        **TFI_ROBUST,
        "difficulty_walking": "yes",
        "poor_hearing": "yes",
        "lives_alone": "yes",
        "memory_problems": "yes",
    }
    assert score(TFI, four)[:2] == (4, "not_frail")
    five = {**four, "enough_support": "no"}
    assert score(TFI, five)[:2] == (5, "frail")
    assert is_positive(TFI, 5) and not is_positive(TFI, 4)


def test_tfi_worst_answers_score_15_with_domains_8_4_3():
    worst = {
        **same(TFI, "yes"),
        "physically_healthy": "no",
        "copes_with_problems": "no",
        "enough_support": "no",
    }
    assert score(TFI, worst) == (15, "frail", {"physical": 8, "psychological": 4, "social": 3})


# --- errors ---------------------------------------------------------------------------------


def test_a_missing_answer_is_reported_under_its_question():
    answers = same(UCLA, "often")
    del answers["left_out"]
    with pytest.raises(ValidationError) as caught:
        score(UCLA, answers)
    assert caught.value.message_dict == {"left_out": ["Answer this question."]}


def test_an_answer_that_is_not_an_option_is_reported_under_its_question():
    with pytest.raises(ValidationError) as caught:
        score(UCLA, {**same(UCLA, "often"), "isolated": "always"})
    assert caught.value.message_dict == {"isolated": ["Choose one of the answers given."]}


def test_answers_to_unknown_questions_are_reported():
    with pytest.raises(ValidationError) as caught:
        score(UCLA, {**same(UCLA, "often"), "mood": "often"})
    assert "mood" in caught.value.message_dict[NON_FIELD_ERRORS][0]


def test_an_empty_answer_counts_as_missing():
    with pytest.raises(ValidationError) as caught:
        score(PRISMA, {**same(PRISMA, "no"), "male": ""})
    assert list(caught.value.message_dict) == ["male"]


def test_an_unanswered_optional_question_counts_zero():
    definition = {
        **UCLA,
        "items": [*UCLA["items"][:2], {**UCLA["items"][2], "required": False}],
        "scoring": {
            **UCLA["scoring"],
            "bands": [
                {"code": "low", "min": 2, "max": 5, "label": {"it": "b", "en": "l"}},
                {"code": "high", "min": 6, "max": 9, "label": {"it": "a", "en": "h"}},
            ],
        },
    }
    validate_definition(definition)
    answers = {"lack_companionship": "often", "left_out": "hardly_ever"}
    assert score(definition, answers).score == 4


# --- direction ------------------------------------------------------------------------------


def test_worsening_follows_the_direction_of_the_instrument():
    assert worsening(UCLA, 4, 7) == 3
    lower_is_worse = {**UCLA, "scoring": {**UCLA["scoring"], "higher_is_worse": False}}
    assert worsening(lower_is_worse, 4, 7) == -3
    assert is_positive(lower_is_worse, 5) and not is_positive(lower_is_worse, 7)


def test_crossing_the_threshold_means_positive_now_and_not_before():
    assert crossed_threshold(UCLA, 5, 6)
    assert crossed_threshold(UCLA, None, 7)
    assert not crossed_threshold(UCLA, 6, 8)
    assert not crossed_threshold(UCLA, 4, 5)


# --- properties -----------------------------------------------------------------------------


def answers_for(definition: dict[str, Any]) -> st.SearchStrategy[dict[str, str]]:
    from prossimo.questionnaires.definition import item_options

    return st.fixed_dictionaries(
        {
            item["id"]: st.sampled_from([o["value"] for o in item_options(definition, item)])
            for item in definition["items"]
        }
    )


@pytest.mark.parametrize("definition", SHIPPED, ids=[d["code"] for d in SHIPPED])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_complete_answers_score_within_range_in_the_band_holding_the_score(definition, data):
    answers = data.draw(answers_for(definition))
    result = score(definition, answers)
    low, high = score_range(definition)
    assert low <= result.score <= high
    band = next(b for b in definition["scoring"]["bands"] if b["code"] == result.band)
    assert band["min"] <= result.score <= band["max"]
    assert is_positive(definition, result.score) == (
        result.score >= definition["scoring"]["positive_threshold"]
    )
    if result.subscales:
        assert sum(result.subscales.values()) == result.score


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """Random valid definitions: 1-6 items, integer option scores, reversed items, bands cut
    at random points of the range."""
    n_items = draw(st.integers(1, 6))
    items = []
    for i in range(n_items):
        scores = draw(st.lists(st.integers(-3, 5), min_size=1, max_size=4))
        options = [
            {"value": f"o{j}", "score": s, "label": {"it": f"o{j}"}} for j, s in enumerate(scores)
        ]
        items.append(
            {
                "id": f"q{i}",
                "text": {"it": f"Domanda {i}?"},
                "options": options,
                "reverse": draw(st.booleans()),
                "required": draw(st.booleans()),
            }
        )
    base: dict[str, Any] = {
        "format": 1,
        "code": "random",
        "version": 1,
        "languages": ["it"],
        "title": {"it": "Casuale"},
        "description": {"it": "Casuale"},
        "items": items,
        "scoring_rule": "sum",
        "sources": [{"authors": "A", "year": 2020, "title": "T", "journal": "J"}],
        "licence": "test",
        "scoring": {"method": "sum", "higher_is_worse": draw(st.booleans()), "bands": []},
    }
    low, high = score_range(base)
    cuts = sorted(draw(st.sets(st.integers(low + 1, high), max_size=3))) if high > low else []
    edges = [low, *cuts, high + 1]
    base["scoring"]["bands"] = [
        {"code": f"b{k}", "min": edges[k], "max": edges[k + 1] - 1, "label": {"it": f"b{k}"}}
        for k in range(len(edges) - 1)
    ]
    base["scoring"]["positive_threshold"] = draw(st.integers(low, high))
    return base


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_valid_definition_scores_any_answers_into_a_band_holding_the_score(data):
    definition = data.draw(definitions())
    validate_definition(definition)
    answers = data.draw(
        st.fixed_dictionaries(
            {
                item["id"]: st.sampled_from([o["value"] for o in item["options"]])
                for item in definition["items"]
                if item["required"]
            },
            optional={
                item["id"]: st.sampled_from([o["value"] for o in item["options"]])
                for item in definition["items"]
                if not item["required"]
            },
        )
    )
    result = score(definition, answers)
    low, high = score_range(definition)
    assert low <= result.score <= high
    band = next(b for b in definition["scoring"]["bands"] if b["code"] == result.band)
    assert band["min"] <= result.score <= band["max"]
