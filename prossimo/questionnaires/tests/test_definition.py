"""The definition format: shipped files are valid, and each kind of mistake is named with its
path, so that whoever writes a file knows where to look."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from prossimo.questionnaires.definition import validate_definition
from prossimo.questionnaires.loader import DATA_DIR, shipped_files

UCLA = json.loads((DATA_DIR / "ucla-3.json").read_text(encoding="utf-8"))


def problems(definition: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_definition(definition)
    return caught.value.messages


def changed(**changes: Any) -> dict[str, Any]:
    definition = copy.deepcopy(UCLA)
    definition.update(changes)
    return definition


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_each_shipped_file_is_a_valid_definition(path):
    validate_definition(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_each_shipped_file_is_in_italian_and_cites_its_sources(path):
    definition = json.loads(path.read_text(encoding="utf-8"))
    assert "it" in definition["languages"]
    assert all(source.get("doi") for source in definition["sources"])
    assert definition["licence"] and definition["scoring_rule"]
    assert definition["wording"]["it"]["status"] in ("validated_translation", "project_translation")


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_each_shipped_file_matches_the_json_schema(path):
    import jsonschema  # a dependency of the project (the directory's HSDS validation)

    schema_path = DATA_DIR.parent / "schema" / "questionnaire-definition.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(
        json.loads(path.read_text(encoding="utf-8"))
    )


def test_the_shipped_files_have_distinct_codes():
    codes = [json.loads(p.read_text(encoding="utf-8"))["code"] for p in shipped_files()]
    assert sorted(codes) == ["prisma-7", "tfi", "ucla-3"]


def test_a_definition_must_be_an_object():
    assert problems([]) == ["the definition must be a JSON object"]


def test_missing_and_unknown_top_level_keys_are_named():
    definition = changed(licnce="typo")
    del definition["licence"]
    assert problems(definition) == ["missing 'licence'", "unknown key 'licnce'"]


def test_a_missing_translation_names_the_item_and_the_language():
    definition = copy.deepcopy(UCLA)
    del definition["items"][1]["text"]["en"]
    assert problems(definition) == ["items[1].text: missing the 'en' text"]


def test_a_text_in_an_undeclared_language_is_refused():
    definition = copy.deepcopy(UCLA)
    definition["title"]["fr"] = "Échelle"
    assert problems(definition) == ["title: text in 'fr', which is not in 'languages'"]


def test_italian_is_required():
    assert "languages: must include 'it'" in problems(changed(languages=["en"]))


def test_an_unknown_option_set_names_the_item():
    definition = copy.deepcopy(UCLA)
    definition["items"][2]["options"] = "frequenci"
    assert problems(definition) == ["items[2].options: unknown option set 'frequenci'"]


def test_a_non_integer_score_names_the_option():
    definition = copy.deepcopy(UCLA)
    definition["option_sets"]["frequency"][1]["score"] = 1.5
    assert problems(definition) == ["option_sets.frequency[1].score: must be an integer"]


def test_duplicate_item_ids_are_refused():
    definition = copy.deepcopy(UCLA)
    definition["items"][2]["id"] = "left_out"
    assert problems(definition) == ["items[2].id: duplicate item id 'left_out'"]


def test_duplicate_answer_values_are_refused():
    definition = copy.deepcopy(UCLA)
    definition["option_sets"]["frequency"][2]["value"] = "hardly_ever"
    assert problems(definition) == [
        "option_sets.frequency[2].value: duplicate answer value 'hardly_ever'"
    ]


def test_bands_must_cover_every_possible_score():
    definition = copy.deepcopy(UCLA)
    definition["scoring"]["bands"][1]["min"] = 7
    assert problems(definition) == ["scoring.bands: no band covers the scores 6 to 6"]


def test_overlapping_bands_are_refused():
    definition = copy.deepcopy(UCLA)
    definition["scoring"]["bands"][0]["max"] = 6
    assert problems(definition) == ["scoring.bands[1]: overlaps another band from 6 to 6"]


def test_bands_beyond_the_possible_scores_are_refused():
    definition = copy.deepcopy(UCLA)
    definition["scoring"]["bands"][1]["max"] = 12
    assert problems(definition) == ["scoring.bands: a band ends at 12, above the highest score 9"]


def test_a_threshold_outside_the_range_is_refused():
    definition = copy.deepcopy(UCLA)
    definition["scoring"]["positive_threshold"] = 10
    assert problems(definition) == ["scoring.positive_threshold: must be an integer from 3 to 9"]


def test_a_subscale_naming_an_unknown_item_is_refused():
    definition = copy.deepcopy(UCLA)
    definition["scoring"]["subscales"] = [
        {"id": "all", "label": {"it": "Tutto", "en": "All"}, "items": ["left_out", "lonely"]}
    ]
    assert problems(definition) == ["scoring.subscales[0].items[1]: unknown item 'lonely'"]


def test_an_item_in_two_subscales_is_refused():
    definition = copy.deepcopy(UCLA)
    label = {"it": "x", "en": "x"}
    definition["scoring"]["subscales"] = [
        {"id": "one", "label": label, "items": ["left_out"]},
        {"id": "two", "label": label, "items": ["left_out"]},
    ]
    assert problems(definition) == [
        "scoring.subscales[1].items[0]: item 'left_out' is already in 'one'"
    ]


def test_only_the_sum_method_is_known():
    definition = copy.deepcopy(UCLA)
    definition["scoring"]["method"] = "mean"
    assert problems(definition) == ["scoring.method: must be one of: sum"]


def test_a_source_needs_a_doi_url_or_journal():
    definition = copy.deepcopy(UCLA)
    definition["sources"] = [{"authors": "Someone", "year": 2020, "title": "A paper"}]
    assert problems(definition) == ["sources[0]: give at least one of 'doi', 'url' or 'journal'"]


def test_every_problem_is_reported_at_once():
    definition = copy.deepcopy(UCLA)
    definition["code"] = "UCLA 3"
    definition["version"] = 0
    definition["items"][0]["required"] = "yes"
    assert problems(definition) == [
        "code: must be a slug of lower-case letters and digits (e.g. 'ucla-3')",
        "version: must be a positive integer",
        "items[0].required: must be true or false",
    ]
