"""Pages of the questionnaires app: administer a screening, read a response, the instruments,
and the "Screenings" section of a person's page (charts of each score over time)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.permissions import Perm, user_can
from prossimo.people import selectors as people_selectors
from prossimo.people.models import Person
from prossimo.questionnaires import selectors, services
from prossimo.questionnaires.charts import score_chart_data_uri
from prossimo.questionnaires.definition import item_options, translated
from prossimo.questionnaires.forms import AnswersForm, ScreeningForm, error_summary
from prossimo.questionnaires.models import Questionnaire, Response, citation


def _ui_language() -> str:
    return (get_language() or "it").split("-")[0]


def _language_for(questionnaire: Questionnaire, person: Person, asked: str | None) -> str:
    """The language of the questions: the one asked for, else the person's first language the
    questionnaire has, else Italian."""
    if asked in questionnaire.languages:
        return str(asked)
    for code in person.languages or []:
        if code in questionnaire.languages:
            return str(code)
    return "it"


def _safe_next(request: HttpRequest, url: str) -> str | None:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _add_service_errors(
    exc: ValidationError, screening: ScreeningForm, answers: AnswersForm
) -> None:
    for key, messages_ in exc.message_dict.items():
        if key in answers.fields:
            answers.add_error(key, messages_)
        elif key in screening.fields:
            screening.add_error(key, messages_)
        else:
            screening.add_error(None, messages_)


@require_permission(Perm.QUESTIONNAIRES_ADMINISTER)
@require_http_methods(["GET", "POST"])
def administer(request: HttpRequest, person_id: str, code: str) -> HttpResponse:
    """Ask a person the questions of an instrument and record the answers (one POST)."""
    person = people_selectors.access_person(request.user, person_id)
    questionnaire = selectors.questionnaire_in_use(code)
    source = request.POST if request.method == "POST" else request.GET
    language = _language_for(questionnaire, person, source.get("language"))
    if request.method == "POST":
        screening = ScreeningForm(request.POST)
        answers = AnswersForm(questionnaire, language, request.POST)
        if screening.is_valid() and answers.is_valid():
            try:
                response = services.record_response(
                    request.user,
                    person=person,
                    questionnaire=questionnaire,
                    answers=answers.answers(),
                    taken_at=screening.cleaned_data["taken_at"],
                    context=screening.cleaned_data["context"],
                    language=language,
                )
            except ValidationError as exc:
                _add_service_errors(exc, screening, answers)
            else:
                messages.success(
                    request,
                    _("The screening is recorded: score %(score)s, %(band)s.")
                    % {"score": response.score, "band": response.band_label(_ui_language())},
                )
                target = _safe_next(request, screening.cleaned_data["next"])
                return HttpResponseRedirect(
                    target or reverse("questionnaires:response_detail", args=[response.pk])
                )
    else:
        screening = ScreeningForm(
            initial={
                "language": language,
                "context": request.GET.get("context", "")[:200],
                "next": _safe_next(request, request.GET.get("next", "")) or "",
            }
        )
        answers = AnswersForm(questionnaire, language)
    other_languages = [code for code in questionnaire.languages if code != language]
    context = {
        "person": person,
        "questionnaire": questionnaire,
        "title": questionnaire.title_in(_ui_language()),
        "description": questionnaire.description_in(_ui_language()),
        "language": language,
        "other_languages": other_languages,
        "instructions": translated(questionnaire.definition.get("instructions"), language),
        "wording": questionnaire.definition.get("wording", {}).get(language, {}),
        "screening": screening,
        "answers": answers,
        "error_summary": error_summary(screening, answers) if screening.is_bound else [],
        "nav": "people",
    }
    return render(request, "questionnaires/administer.html", context)


def _answer_rows(response: Response) -> list[dict[str, Any]]:
    definition = response.questionnaire.definition
    language = response.language
    rows = []
    for item in definition["items"]:
        value = response.answers.get(item["id"])
        option = next((o for o in item_options(definition, item) if o["value"] == value), None)
        rows.append(
            {
                "number": item.get("number", ""),
                "text": translated(item["text"], language),
                "answer": translated(option["label"], language) if option else "",
                "points": option["score"] if option else None,
            }
        )
    return rows


@require_permission(Perm.QUESTIONNAIRES_ADMINISTER)
@require_GET
def response_detail(request: HttpRequest, response_id: str) -> HttpResponse:
    """One screening: the answers as asked, the score, the band and how it was computed."""
    response = selectors.access_response(request.user, response_id)
    audit_detail_access(request.user, response, via="page")
    questionnaire = response.questionnaire
    definition = questionnaire.definition
    ui = _ui_language()
    low, high = questionnaire.score_range
    subscales = [
        {"label": translated(sub["label"], ui), "score": response.subscores.get(sub["id"])}
        for sub in definition["scoring"].get("subscales", [])
    ]
    context = {
        "response": response,
        "person": response.person,
        "questionnaire": questionnaire,
        "title": questionnaire.title_in(ui),
        "band_label": response.band_label(ui),
        "low": low,
        "high": high,
        "threshold": questionnaire.positive_threshold,
        "subscales": subscales,
        "rows": _answer_rows(response),
        "sources": [citation(s) for s in definition["sources"]],
        "language_name": response.language.upper(),
        "nav": "people",
    }
    return render(request, "questionnaires/response_detail.html", context)


@require_permission(Perm.QUESTIONNAIRES_ADMINISTER)
@require_GET
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    """The instruments in use: what they measure, how they are scored, where they come from."""
    ui = _ui_language()
    instruments = []
    for questionnaire in selectors.active_questionnaires():
        definition = questionnaire.definition
        low, high = questionnaire.score_range
        instruments.append(
            {
                "questionnaire": questionnaire,
                "title": questionnaire.title_in(ui),
                "description": questionnaire.description_in(ui),
                "low": low,
                "high": high,
                "threshold": questionnaire.positive_threshold,
                "bands": [
                    {"label": translated(b["label"], ui), "min": b["min"], "max": b["max"]}
                    for b in definition["scoring"]["bands"]
                ],
                "items": [
                    {"number": i.get("number", ""), "text": translated(i["text"], ui)}
                    for i in definition["items"]
                ],
                "scoring_rule": definition["scoring_rule"],
                "sources": [citation(s) for s in definition["sources"]],
                "licence": definition["licence"],
                "wording": definition.get("wording", {}),
            }
        )
    return render(
        request, "questionnaires/list.html", {"instruments": instruments, "nav": "people"}
    )


# --- the person's page ------------------------------------------------------------------


def person_screenings_section(user: Any, person: Person) -> dict[str, Any] | None:
    """The "Screenings" section of a person's page: each instrument's scores over time as a
    chart with its data table, and a link to administer each instrument in use."""
    if not user_can(user, Perm.PEOPLE_VIEW):
        return None
    ui = _ui_language()
    series = selectors.scores_over_time(user, person)
    in_use = {q.code: q for q in selectors.active_questionnaires()}
    can_administer = user_can(user, Perm.QUESTIONNAIRES_ADMINISTER)
    shown: list[Any] = []
    instruments = []
    for code in sorted(set(in_use) | set(series)):
        points = series.get(code, [])
        # Labels and the scale come from the latest version the person answered, else the
        # version in use: the chart draws what the responses were scored with.
        questionnaire = points[-1].response.questionnaire if points else in_use[code]
        shown.extend(p.response for p in points)
        low, high = questionnaire.score_range
        instruments.append(
            {
                "code": code,
                "title": questionnaire.title_in(ui),
                "low": low,
                "high": high,
                "threshold": questionnaire.positive_threshold,
                "rows": [
                    {
                        "response": p.response,
                        "taken_at": p.taken_at,
                        "score": p.score,
                        "band": p.response.band_label(ui),
                        "positive": p.positive,
                    }
                    for p in points
                ],
                "chart": score_chart_data_uri(questionnaire, points) if points else "",
                "can_administer": can_administer and code in in_use,
            }
        )
    audit_access(user, shown, via="person_page")
    return {"person": person, "instruments": instruments}
