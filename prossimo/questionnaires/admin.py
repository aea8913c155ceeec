"""Django admin for questionnaires: read the definitions, switch versions on and off.

Definitions come from the files in `data/` (`prossimo load_questionnaires`): here they can be
read, not edited, so that a version never changes under the responses taken with it.
Responses are personal data and are read on the person's page, not here.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from prossimo.questionnaires.models import Questionnaire


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "title_it", "is_active", "created_at")
    list_editable = ("is_active",)
    list_filter = ("is_active", "code")
    search_fields = ("code",)
    fields = ("code", "version", "title_it", "source_citation", "is_active", "pretty_definition")
    readonly_fields = ("code", "version", "title_it", "source_citation", "pretty_definition")

    @admin.display(description=_("title"))
    def title_it(self, obj: Questionnaire) -> str:
        return obj.title_in("it")

    @admin.display(description=_("definition"))
    def pretty_definition(self, obj: Questionnaire) -> str:
        text = json.dumps(obj.definition, indent=2, ensure_ascii=False)
        return format_html('<pre class="readonly">{}</pre>', text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New instruments and versions come from files, through `load_questionnaires`.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Responses keep the version they were taken with: retire one by unticking "active".
        return False
