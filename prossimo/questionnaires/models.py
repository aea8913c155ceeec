"""Questionnaires as data (screening instruments) and the responses recorded about people.

A `Questionnaire` is one version of an instrument (UCLA-3, PRISMA-7, TFI…): its definition —
items, answer options, scoring, bands and cut-offs, texts per language, sources — is a JSON
document shipped in `data/` and loaded by `load_questionnaires`. A version never changes once
loaded: a changed instrument is a new version, so every response keeps the exact questions
and scoring it was taken with.

A `Response` is one administration to a person: the answers by item id (stable, like FHIR
`linkId`s), the score and band computed when it was recorded, who recorded it and when.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from prossimo.core.models import PublicIdModel, TimeStamped
from prossimo.core.permissions import Perm, permissions_of
from prossimo.people.models import Person
from prossimo.questionnaires import scoring
from prossimo.questionnaires.definition import translated, validate_definition
from prossimo.territory.models import Organisation


def citation(source: dict[str, Any]) -> str:
    """One source as a reference line: authors (year). Title. Journal volume(issue):pages."""
    text = f"{source['authors']} ({source['year']}). {source['title']}."
    if source.get("journal"):
        text += f" {source['journal']}"
        if source.get("volume"):
            text += f" {source['volume']}"
            if source.get("issue"):
                text += f"({source['issue']})"
        if source.get("pages"):
            text += f":{source['pages']}"
        text += "."
    if source.get("doi"):
        text += f" doi:{source['doi']}"
    elif source.get("url"):
        text += f" {source['url']}"
    return text


def fields_from_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """The columns a questionnaire row copies from its definition (for lists and the admin)."""
    return {
        "code": definition["code"],
        "version": definition["version"],
        "title": dict(definition["title"]),
        "description": dict(definition["description"]),
        "source_citation": "\n".join(citation(s) for s in definition["sources"]),
        "definition": definition,
    }


class QuestionnaireQuerySet(models.QuerySet["Questionnaire"]):
    def active(self) -> QuestionnaireQuerySet:
        return self.filter(is_active=True)


class Questionnaire(TimeStamped):
    """One version of a screening instrument, defined by data (see `definition.py`)."""

    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"))
    title = models.JSONField(_("title"), default=dict, help_text=_("By language code."))
    description = models.JSONField(_("description"), default=dict, blank=True)
    definition = models.JSONField(_("definition"))
    source_citation = models.TextField(_("sources"), blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive versions are kept with their responses but cannot be administered."),
    )

    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="unique_questionnaire_version")
        ]

    def __str__(self) -> str:
        return f"{self.title_in('it') or self.code} (v{self.version})"

    def clean(self) -> None:
        validate_definition(self.definition)
        if (
            self.definition.get("code") != self.code
            or self.definition.get("version") != self.version
        ):
            raise ValidationError(
                _("The code and version must be those of the definition (%(code)s v%(version)s).")
                % {"code": self.definition.get("code"), "version": self.definition.get("version")}
            )

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A definition is checked every time it is saved: no broken instrument in the table."""
        self.clean()
        super().save(*args, **kwargs)

    def title_in(self, language: str) -> str:
        return translated(self.title, language)

    def description_in(self, language: str) -> str:
        return translated(self.description, language)

    @property
    def languages(self) -> list[str]:
        return list(self.definition["languages"])

    @property
    def score_range(self) -> tuple[int, int]:
        from prossimo.questionnaires.definition import score_range

        return score_range(self.definition)

    @property
    def positive_threshold(self) -> int | None:
        return scoring.positive_threshold(self.definition)

    @property
    def higher_is_worse(self) -> bool:
        return scoring.higher_is_worse(self.definition)

    def band_label(self, band_code: str, language: str) -> str:
        for band in self.definition["scoring"]["bands"]:
            if band["code"] == band_code:
                return translated(band["label"], language)
        return band_code


class ResponseQuerySet(models.QuerySet["Response"]):
    def visible_to(self, user: Any) -> ResponseQuerySet:
        """Responses about people whose records `user` may open (`Person.visible_to`).

        Nobody without `people.view`: monitoring officers see no personal response, only the
        aggregates computed for them.
        """
        if Perm.PEOPLE_VIEW not in permissions_of(user):
            return self.none()
        return self.filter(person__in=Person.objects.visible_to(user).values("pk"))


class Response(PublicIdModel):
    """One administration of a questionnaire to a person, with its score and band."""

    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="questionnaire_responses",
        verbose_name=_("person"),
    )
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("questionnaire"),
    )
    answers = models.JSONField(_("answers"), default=dict, help_text=_("Answer value by item id."))
    score = models.IntegerField(_("score"))
    band = models.CharField(_("band"), max_length=50)
    positive = models.BooleanField(_("positive screen"), default=False)
    subscores = models.JSONField(_("subscale scores"), default=dict, blank=True)
    language = models.CharField(_("language of the questions"), max_length=8, default="it")
    taken_at = models.DateTimeField(_("taken at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    context = models.CharField(
        _("context"),
        max_length=200,
        blank=True,
        db_index=True,
        help_text=_('What the screening was taken for, e.g. "programmes.enrolment:<id>".'),
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")
        indexes = [models.Index(fields=["person", "questionnaire", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.questionnaire.code} {self.taken_at:%Y-%m-%d}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person": str(self.person_id)}

    @property
    def code(self) -> str:
        return self.questionnaire.code

    def band_label(self, language: str = "it") -> str:
        return self.questionnaire.band_label(self.band, language)

    def worsening_since(self, previous: Response | None) -> int | None:
        """Score points worse than `previous` (negative: better; None: nothing to compare)."""
        if previous is None:
            return None
        return scoring.worsening(self.questionnaire.definition, previous.score, self.score)

    def crossed_threshold_since(self, previous: Response | None) -> bool:
        """Positive now, and not positive (or never screened) before."""
        return self.positive and not (previous is not None and previous.positive)
