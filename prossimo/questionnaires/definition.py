"""The questionnaire definition format: checking a definition, and reading its parts.

A definition is the JSON document shipped in `data/<code>.json` and stored in
`Questionnaire.definition`. Its format is described in
`docs/decisions/0007-questionnaires-as-data.md` and, as a JSON Schema, in
`schema/questionnaire-definition.schema.json`. `validate_definition` is the rule that counts: it
checks everything the schema says and what a schema cannot (references between parts, bands
covering every possible score), and names the path of each problem
(`items[5].options: unknown option set 'yes_no_'`).

Error messages here are for the people who write definition files (developers, the lead,
administrators loading a file), like a compiler's: plain English, not translated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from django.core.exceptions import ValidationError

FORMAT = 1
CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
VALUE_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
WORDING_STATUSES = ("original", "validated_translation", "project_translation")
SCORING_METHODS = ("sum",)

_TOP_REQUIRED = (
    "format",
    "code",
    "version",
    "languages",
    "title",
    "description",
    "items",
    "scoring",
    "scoring_rule",
    "sources",
    "licence",
)
_TOP_OPTIONAL = ("$schema", "instructions", "wording", "option_sets", "notes")
_ITEM_KEYS = ("id", "number", "text", "help", "options", "required", "reverse")
_OPTION_KEYS = ("value", "score", "label")
_SCORING_KEYS = ("method", "higher_is_worse", "positive_threshold", "bands", "subscales")
_BAND_KEYS = ("code", "min", "max", "label")
_SUBSCALE_KEYS = ("id", "label", "items")
_SOURCE_KEYS = ("authors", "year", "title", "journal", "volume", "issue", "pages", "doi", "url")
_SOURCE_KEYS_ALL = (*_SOURCE_KEYS, "role")


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class _Checker:
    """Collects every problem of a definition with its path, to report them all at once."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.languages: list[str] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}" if path else message)

    def keys(
        self, path: str, obj: Mapping[str, Any], required: tuple[str, ...], allowed: tuple[str, ...]
    ) -> None:
        for key in required:
            if key not in obj:
                self.error(path, f"missing '{key}'")
        for key in obj:
            if key not in allowed:
                self.error(path, f"unknown key '{key}'")

    def mapping(self, value: Any, path: str) -> TypeGuard[Mapping[str, Any]]:
        if not isinstance(value, Mapping):
            self.error(path, "must be an object")
            return False
        return True

    def text(self, path: str, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            self.error(path, "must be a non-empty string")

    def translated(self, path: str, value: Any) -> None:
        """A text in every language of the definition, and in no other."""
        if not self.mapping(value, path):
            return
        for language in self.languages:
            if language not in value:
                self.error(path, f"missing the '{language}' text")
            else:
                self.text(f"{path}.{language}", value[language])
        for language in value:
            if language not in self.languages:
                self.error(path, f"text in '{language}', which is not in 'languages'")


def _check_options(c: _Checker, path: str, options: Any) -> list[dict[str, Any]]:
    if not isinstance(options, list) or not options:
        c.error(path, "must be a non-empty list of answer options")
        return []
    seen: set[str] = set()
    good: list[dict[str, Any]] = []
    for i, option in enumerate(options):
        p = f"{path}[{i}]"
        if not c.mapping(option, p):
            continue
        c.keys(p, option, _OPTION_KEYS, _OPTION_KEYS)
        value = option.get("value")
        if not isinstance(value, str) or not VALUE_RE.match(value):
            c.error(f"{p}.value", "must be lower-case letters, digits and '_' (e.g. 'yes')")
        elif value in seen:
            c.error(f"{p}.value", f"duplicate answer value '{value}'")
        else:
            seen.add(value)
        if not _is_int(option.get("score")):
            c.error(f"{p}.score", "must be an integer")
        if "label" in option:
            c.translated(f"{p}.label", option["label"])
        if isinstance(value, str) and _is_int(option.get("score")):
            good.append(dict(option))
    return good


def _check_items(c: _Checker, data: Mapping[str, Any], option_sets: dict[str, list]) -> list[str]:
    items = data.get("items")
    if not isinstance(items, list) or not items:
        c.error("items", "must be a non-empty list of questions")
        return []
    ids: list[str] = []
    for i, item in enumerate(items):
        p = f"items[{i}]"
        if not c.mapping(item, p):
            continue
        c.keys(p, item, ("id", "text", "options"), _ITEM_KEYS)
        item_id = item.get("id")
        if not isinstance(item_id, str) or not ID_RE.match(item_id) or len(item_id) > 50:
            c.error(f"{p}.id", "must start with a letter, then lower-case letters, digits, '_'")
        elif item_id in ids:
            c.error(f"{p}.id", f"duplicate item id '{item_id}'")
        else:
            ids.append(item_id)
        if "number" in item:
            c.text(f"{p}.number", item["number"])
        if "text" in item:
            c.translated(f"{p}.text", item["text"])
        if "help" in item:
            c.translated(f"{p}.help", item["help"])
        for flag in ("required", "reverse"):
            if flag in item and not isinstance(item[flag], bool):
                c.error(f"{p}.{flag}", "must be true or false")
        options = item.get("options")
        if isinstance(options, str):
            if options not in option_sets:
                c.error(f"{p}.options", f"unknown option set '{options}'")
        elif options is not None:
            _check_options(c, f"{p}.options", options)
    return ids


def _check_scoring(c: _Checker, data: Mapping[str, Any], ids: list[str]) -> None:
    scoring = data.get("scoring")
    if not c.mapping(scoring, "scoring"):
        return
    c.keys("scoring", scoring, ("method", "higher_is_worse", "bands"), _SCORING_KEYS)
    if scoring.get("method") not in SCORING_METHODS:
        c.error("scoring.method", f"must be one of: {', '.join(SCORING_METHODS)}")
    if "higher_is_worse" in scoring and not isinstance(scoring["higher_is_worse"], bool):
        c.error("scoring.higher_is_worse", "must be true or false")

    subscales = scoring.get("subscales", [])
    if not isinstance(subscales, list):
        c.error("scoring.subscales", "must be a list")
        subscales = []
    sub_ids: set[str] = set()
    placed: dict[str, str] = {}
    for i, sub in enumerate(subscales):
        p = f"scoring.subscales[{i}]"
        if not c.mapping(sub, p):
            continue
        c.keys(p, sub, _SUBSCALE_KEYS, _SUBSCALE_KEYS)
        sid = sub.get("id")
        if not isinstance(sid, str) or not ID_RE.match(sid):
            c.error(f"{p}.id", "must start with a letter, then lower-case letters, digits, '_'")
        elif sid in sub_ids:
            c.error(f"{p}.id", f"duplicate subscale id '{sid}'")
        else:
            sub_ids.add(sid)
        if "label" in sub:
            c.translated(f"{p}.label", sub["label"])
        members = sub.get("items")
        if not isinstance(members, list) or not members:
            c.error(f"{p}.items", "must be a non-empty list of item ids")
            continue
        for j, member in enumerate(members):
            if member not in ids:
                c.error(f"{p}.items[{j}]", f"unknown item '{member}'")
            elif member in placed:
                c.error(f"{p}.items[{j}]", f"item '{member}' is already in '{placed[member]}'")
            else:
                placed[member] = str(sid)

    if c.errors:
        # Ranges are only meaningful once items and options are sound.
        return
    low, high = score_range(data)
    threshold = scoring.get("positive_threshold")
    if threshold is not None and (not _is_int(threshold) or not low <= threshold <= high):
        c.error("scoring.positive_threshold", f"must be an integer from {low} to {high}")
    _check_bands(c, scoring.get("bands"), low, high)


def _check_bands(c: _Checker, bands: Any, low: int, high: int) -> None:
    if not isinstance(bands, list) or not bands:
        c.error("scoring.bands", "must be a non-empty list")
        return
    codes: set[str] = set()
    spans: list[tuple[int, int, int]] = []
    for i, band in enumerate(bands):
        p = f"scoring.bands[{i}]"
        if not c.mapping(band, p):
            continue
        c.keys(p, band, _BAND_KEYS, _BAND_KEYS)
        code = band.get("code")
        if not isinstance(code, str) or not VALUE_RE.match(code) or len(code) > 50:
            c.error(f"{p}.code", "must be lower-case letters, digits and '_'")
        elif code in codes:
            c.error(f"{p}.code", f"duplicate band code '{code}'")
        else:
            codes.add(code)
        if "label" in band:
            c.translated(f"{p}.label", band["label"])
        lo, hi = band.get("min"), band.get("max")
        if not _is_int(lo) or not _is_int(hi):
            c.error(p, "'min' and 'max' must be integers")
        elif lo > hi:
            c.error(p, f"'min' ({lo}) is greater than 'max' ({hi})")
        else:
            spans.append((lo, hi, i))
    if c.errors:
        return
    spans.sort()
    expected = low
    for lo, hi, i in spans:
        if lo > expected:
            c.error("scoring.bands", f"no band covers the scores {expected} to {lo - 1}")
        elif lo < expected:
            c.error(f"scoring.bands[{i}]", f"overlaps another band from {lo} to {expected - 1}")
        expected = max(expected, hi + 1)
    if spans and spans[0][0] < low:
        c.error("scoring.bands", f"a band starts at {spans[0][0]}, below the lowest score {low}")
    if expected <= high:
        c.error("scoring.bands", f"no band covers the scores {expected} to {high}")
    elif expected - 1 > high:
        c.error("scoring.bands", f"a band ends at {expected - 1}, above the highest score {high}")


def _check_sources(c: _Checker, sources: Any) -> None:
    if not isinstance(sources, list) or not sources:
        c.error("sources", "must be a non-empty list of citations")
        return
    for i, source in enumerate(sources):
        p = f"sources[{i}]"
        if not c.mapping(source, p):
            continue
        c.keys(p, source, ("authors", "year", "title"), _SOURCE_KEYS_ALL)
        for key in ("authors", "title"):
            if key in source:
                c.text(f"{p}.{key}", source[key])
        if "year" in source and not _is_int(source["year"]):
            c.error(f"{p}.year", "must be an integer")
        if not any(source.get(k) for k in ("doi", "url", "journal")):
            c.error(p, "give at least one of 'doi', 'url' or 'journal'")


def validate_definition(data: Any) -> None:
    """Raise `ValidationError` listing every problem of a definition, each with its path."""
    c = _Checker()
    if not isinstance(data, Mapping):
        raise ValidationError(["the definition must be a JSON object"])
    c.keys("", data, _TOP_REQUIRED, _TOP_REQUIRED + _TOP_OPTIONAL)
    if data.get("format") != FORMAT:
        c.error("format", f"must be {FORMAT}")
    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code) or len(code) > 50:
        c.error("code", "must be a slug of lower-case letters and digits (e.g. 'ucla-3')")
    version = data.get("version")
    if not _is_int(version) or version < 1:
        c.error("version", "must be a positive integer")
    languages = data.get("languages")
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(x, str) and x for x in languages)
        or len(set(languages)) != len(languages)
    ):
        c.error("languages", "must be a non-empty list of distinct language codes")
    else:
        c.languages = list(languages)
        if "it" not in languages:
            c.error("languages", "must include 'it'")
    for key in ("title", "description", "instructions"):
        if key in data:
            c.translated(key, data[key])
    for key in ("scoring_rule", "licence", "notes"):
        if key in data:
            c.text(key, data[key])
    wording = data.get("wording", {})
    if c.mapping(wording, "wording"):
        for language, info in wording.items():
            p = f"wording.{language}"
            if language not in c.languages:
                c.error(p, f"'{language}' is not in 'languages'")
            if c.mapping(info, p):
                c.keys(p, info, ("status",), ("status", "note"))
                if info.get("status") not in WORDING_STATUSES:
                    c.error(f"{p}.status", f"must be one of: {', '.join(WORDING_STATUSES)}")

    option_sets: dict[str, list] = {}
    raw_sets = data.get("option_sets", {})
    if c.mapping(raw_sets, "option_sets"):
        for name, options in raw_sets.items():
            if not isinstance(name, str) or not ID_RE.match(name):
                c.error(f"option_sets.{name}", "the name must be lower-case letters, digits, '_'")
            option_sets[name] = _check_options(c, f"option_sets.{name}", options)
    ids = _check_items(c, data, option_sets)
    _check_sources(c, data.get("sources"))
    _check_scoring(c, data, ids)
    if c.errors:
        raise ValidationError(c.errors)


# --- reading a (valid) definition ---------------------------------------------------------


def translated(value: Mapping[str, str] | None, language: str) -> str:
    """The text in `language`, else in Italian, else in the first language given."""
    if not value:
        return ""
    return value.get(language) or value.get("it") or next(iter(value.values()), "")


def item_options(definition: Mapping[str, Any], item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An item's answer options with the score each one counts for this item (after reversal).

    A reversed item mirrors its options' scores within their range: with yes = 1 and no = 0,
    a reversed item counts yes = 0 and no = 1.
    """
    options = item["options"]
    if isinstance(options, str):
        options = definition["option_sets"][options]
    if not item.get("reverse"):
        return [dict(o) for o in options]
    scores = [o["score"] for o in options]
    low, high = min(scores), max(scores)
    return [{**o, "score": low + high - o["score"]} for o in options]


def _item_range(definition: Mapping[str, Any], item: Mapping[str, Any]) -> tuple[int, int]:
    scores = [o["score"] for o in item_options(definition, item)]
    low, high = min(scores), max(scores)
    if not item.get("required", True):
        # An unanswered optional item counts 0.
        low, high = min(low, 0), max(high, 0)
    return low, high


def score_range(
    definition: Mapping[str, Any], item_ids: list[str] | None = None
) -> tuple[int, int]:
    """The lowest and highest possible score (of the whole or of the listed items)."""
    low = high = 0
    for item in definition["items"]:
        if item_ids is not None and item["id"] not in item_ids:
            continue
        lo, hi = _item_range(definition, item)
        low += lo
        high += hi
    return low, high


def canonical(definition: Mapping[str, Any]) -> str:
    """A stable text of a definition, to tell whether two are the same."""
    return json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
