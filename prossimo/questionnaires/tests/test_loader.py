"""Loading definition files: a fresh database has the shipped instruments; loading again does
nothing; a changed version is refused; a new version is added."""

from __future__ import annotations

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from prossimo.questionnaires.loader import (
    DATA_DIR,
    DefinitionConflict,
    load_definitions,
    shipped_files,
)
from prossimo.questionnaires.models import Questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Services speak the active language; these tests read their messages in English (the
    Italian catalogue is checked whole by core/tests/test_i18n.py)."""
    with translation.override("en"):
        yield


def write(tmp_path: Path, name: str, definition: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    return path


def ucla() -> dict:
    return json.loads((DATA_DIR / "ucla-3.json").read_text(encoding="utf-8"))


def test_a_fresh_database_has_the_shipped_instruments(shipped):
    assert set(Questionnaire.objects.values_list("code", "version", "is_active")) >= {
        ("ucla-3", 1, True),
        ("prisma-7", 1, True),
        ("tfi", 1, True),
    }


def test_the_row_copies_title_description_and_sources_from_the_definition(ucla):
    assert ucla.title["it"] == "Scala della solitudine UCLA a 3 domande"
    assert ucla.title_in("en") == "UCLA 3-item Loneliness Scale"
    assert "doi:10.1177/0164027504268574" in ucla.source_citation
    assert "Research on Aging 26(6):655-672." in ucla.source_citation


def test_loading_the_shipped_files_again_changes_nothing(shipped):
    before = list(Questionnaire.objects.order_by("pk").values("pk", "updated_at"))
    results = load_definitions(Questionnaire)
    assert [r.created for r in results] == [False] * len(shipped_files())
    assert list(Questionnaire.objects.order_by("pk").values("pk", "updated_at")) == before


def test_a_changed_definition_of_a_loaded_version_is_refused(shipped, tmp_path):
    definition = ucla()
    definition["items"][0]["text"]["it"] = "Quanto spesso le manca la compagnia?"
    path = write(tmp_path, "ucla-3.json", definition)
    with pytest.raises(DefinitionConflict, match="ucla-3 version 1 is already loaded"):
        load_definitions(Questionnaire, [path])
    assert Questionnaire.objects.get(code="ucla-3", version=1).definition["items"][0]["text"][
        "it"
    ] == ("Quanto spesso sente la mancanza di compagnia?")


def test_a_new_version_is_added_beside_the_old_one(shipped, tmp_path):
    definition = ucla()
    definition["version"] = 2
    definition["items"][0]["text"]["it"] = "Quanto spesso le manca la compagnia?"
    [result] = load_definitions(Questionnaire, [write(tmp_path, "ucla-3-v2.json", definition)])
    assert result.created and (result.code, result.version) == ("ucla-3", 2)
    assert list(Questionnaire.objects.filter(code="ucla-3").values_list("version", flat=True)) == [
        2,
        1,
    ]


def test_one_bad_file_loads_none(shipped, tmp_path):
    good = copy.deepcopy(ucla())
    good["code"] = "ucla-3-bis"
    bad = copy.deepcopy(ucla())
    bad["code"] = "other"
    bad["scoring"]["bands"][0]["max"] = 4
    with pytest.raises(ValidationError) as caught:
        load_definitions(
            Questionnaire, [write(tmp_path, "good.json", good), write(tmp_path, "bad.json", bad)]
        )
    assert caught.value.messages == ["bad.json: scoring.bands: no band covers the scores 5 to 5"]
    assert not Questionnaire.objects.filter(code__in=["ucla-3-bis", "other"]).exists()


def test_a_file_that_is_not_json_is_named(shipped, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"broken\.json: cannot be read as JSON"):
        load_definitions(Questionnaire, [path])


def test_the_model_refuses_to_save_an_invalid_definition(ucla):
    ucla.definition = {**ucla.definition, "scoring": {**ucla.definition["scoring"], "bands": []}}
    with pytest.raises(ValidationError, match=r"scoring\.bands: must be a non-empty list"):
        ucla.save()


def test_the_model_refuses_a_code_that_is_not_the_definitions(ucla):
    ucla.code = "ucla-4"
    with pytest.raises(ValidationError, match="must be those of the definition"):
        ucla.save()


def test_the_command_says_what_it_did(shipped):
    out = StringIO()
    call_command("load_questionnaires", stdout=out)
    assert "ucla-3 v1: unchanged (ucla-3.json)" in out.getvalue()


def test_the_command_loads_a_new_file(shipped, tmp_path):
    definition = ucla()
    definition["version"] = 3
    out = StringIO()
    call_command("load_questionnaires", str(write(tmp_path, "v3.json", definition)), stdout=out)
    assert out.getvalue().strip() == "ucla-3 v3: loaded (v3.json)"


def test_the_command_refuses_a_changed_version_with_a_clear_message(shipped, tmp_path):
    definition = ucla()
    definition["scoring"]["positive_threshold"] = 7
    with pytest.raises(CommandError, match="give the changed definition a new version number"):
        call_command("load_questionnaires", str(write(tmp_path, "ucla-3.json", definition)))


def test_the_command_reports_an_invalid_file(shipped, tmp_path):
    definition = ucla()
    del definition["sources"]
    with pytest.raises(CommandError, match=r"x\.json: missing 'sources'"):
        call_command("load_questionnaires", str(write(tmp_path, "x.json", definition)))
