"""People pages: thin views over `selectors` (reads) and `services` (writes)."""

from __future__ import annotations

import ast
from typing import Any

from auditlog.models import LogEntry
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.permissions import Perm, user_can
from prossimo.people import selectors, services, timeline
from prossimo.people.forms import (
    ConsentForm,
    DeactivateForm,
    MergeConfirmForm,
    MergeSearchForm,
    PersonForms,
    SearchForm,
    WithdrawConsentForm,
    add_errors,
    with_extra_row,
)
from prossimo.people.models import LANGUAGE_CHOICES, Person
from prossimo.territory.models import Municipality

AUDIT_PAGE_SIZE = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _redirect(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for HTMX requests (which would swap the target page in)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def languages_display(codes: list[str]) -> str:
    labels = dict(LANGUAGE_CHOICES)
    return ", ".join(str(labels.get(code, code)) for code in codes or [])


# --- search and record ------------------------------------------------------------------


@require_permission(Perm.PEOPLE_VIEW)
def search(request: HtmxHttpRequest) -> HttpResponse:
    """Search by POST, so that names, phones and fiscal codes never appear in a URL or log."""
    results = None
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            results = selectors.search_people(
                request.user,
                form.cleaned_data["q"],
                include_inactive=form.cleaned_data["include_inactive"],
            )
            audit_access(request.user, results, via="search")
    else:
        form = SearchForm()
    context = {"form": form, "results": results, "nav": "people"}
    if request.htmx and request.method == "POST":
        return render(request, "people/search.html#results", context)
    return render(request, "people/search.html", context)


def _record_context(request: HtmxHttpRequest, person: Person, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "person": person,
        "nav": "people",
        "languages_display": languages_display(person.languages),
        "can_change": user_can(user, Perm.PEOPLE_CHANGE),
        "can_deactivate": user_can(user, Perm.PEOPLE_DEACTIVATE),
        "can_merge": user_can(user, Perm.PEOPLE_MERGE),
        "can_audit": user_can(user, Perm.PEOPLE_AUDIT),
        "consent_form": ConsentForm(),
        **selectors.person_record(person),
        **extra,
    }


@require_permission(Perm.PEOPLE_VIEW)
@require_GET
def detail(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    person = selectors.access_person(request.user, person_id)
    audit_detail_access(request.user, person, via="page")
    context = _record_context(
        request,
        person,
        sections=timeline.sections_for(request.user, person),
        actions=timeline.actions_for(request.user, person),
    )
    return render(request, "people/detail.html", context)


# --- registering and editing ------------------------------------------------------------


def _added_row(request: HtmxHttpRequest) -> str | None:
    """The formset whose "add another" button was pressed without JavaScript, if any."""
    prefix = request.POST.get("add_row")
    return prefix if prefix in ("phones", "reference_persons") else None


def _person_form_page(
    request: HtmxHttpRequest, forms: PersonForms, context: dict[str, Any]
) -> HttpResponse:
    context = {
        "forms": forms,
        "form": forms.form,
        "error_summary": forms.error_summary() if forms.form.is_bound else [],
        "nav": "people",
        **context,
    }
    if request.htmx and request.method == "POST":
        return render(request, "people/person_form.html#form_area", context)
    return render(request, "people/person_form.html", context)


@require_permission(Perm.PEOPLE_ADD)
def create(request: HtmxHttpRequest) -> HttpResponse:
    """Register a person; likely duplicates are shown and must be confirmed as different."""
    context: dict[str, Any] = {"action": reverse("people:create"), "creating": True}
    if request.method != "POST":
        return _person_form_page(request, PersonForms(with_consents=True), context)
    if prefix := _added_row(request):
        forms = PersonForms(with_extra_row(request.POST, prefix), with_consents=True)
        forms.quiet()
        return _person_form_page(request, forms, context)
    forms = PersonForms(request.POST, with_consents=True)
    if forms.is_valid():
        try:
            person = services.register_person(
                request.user,
                data=forms.person_input(),
                consents=forms.consent_inputs(),
                confirm_not_duplicate=forms.form.cleaned_data["confirm_not_duplicate"],
            )
        except services.LikelyDuplicate as exc:
            context["duplicates"] = exc.report.matches
        except ValidationError as exc:
            forms.add_service_errors(exc)
        else:
            messages.success(request, _("The person is registered."))
            return _redirect(request, reverse("people:detail", args=[person.pk]))
    return _person_form_page(request, forms, context)


@require_permission(Perm.PEOPLE_CHANGE)
def edit(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    person = selectors.access_person(request.user, person_id, for_write=True)
    record = selectors.person_record(person)
    context: dict[str, Any] = {
        "person": person,
        "action": reverse("people:edit", args=[person.pk]),
        "creating": False,
    }

    def person_forms(data: Any = None) -> PersonForms:
        return PersonForms(
            data,
            person=person,
            phones=record["phones"],
            reference_persons=record["reference_persons"],
        )

    if request.method != "POST":
        return _person_form_page(request, person_forms(), context)
    if prefix := _added_row(request):
        forms = person_forms(with_extra_row(request.POST, prefix))
        forms.quiet()
        return _person_form_page(request, forms, context)
    forms = person_forms(request.POST)
    if forms.is_valid():
        try:
            services.update_person(request.user, person=person, data=forms.person_input())
        except ValidationError as exc:
            forms.add_service_errors(exc)
        else:
            messages.success(request, _("The changes are saved."))
            return _redirect(request, reverse("people:detail", args=[person.pk]))
    return _person_form_page(request, forms, context)


# --- deactivation -----------------------------------------------------------------------


@require_permission(Perm.PEOPLE_DEACTIVATE)
def deactivate(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    person = selectors.access_person(request.user, person_id)
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and person.is_active and form.is_valid():
        try:
            services.deactivate_person(
                request.user, person=person, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The record is deactivated."))
            return redirect("people:detail", person.pk)
    return render(
        request, "people/deactivate.html", {"person": person, "form": form, "nav": "people"}
    )


@require_permission(Perm.PEOPLE_DEACTIVATE)
def reactivate(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    person = selectors.access_person(request.user, person_id)
    if request.method == "POST" and not person.is_active:
        services.reactivate_person(request.user, person=person)
        messages.success(request, _("The record is active again."))
        return redirect("people:detail", person.pk)
    return render(request, "people/reactivate.html", {"person": person, "nav": "people"})


# --- consents ---------------------------------------------------------------------------


@require_permission(Perm.PEOPLE_CHANGE)
def consent_add(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    person = selectors.access_person(request.user, person_id, for_write=True)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_consent(request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if request.htmx:
                context = _record_context(request, person, consent_saved=True)
                return render(request, "people/detail.html#consents", context)
            messages.success(request, _("The consent is recorded."))
            return redirect("people:detail", person.pk)
    if request.htmx and request.method == "POST":
        context = _record_context(request, person, consent_form=form)
        return render(request, "people/detail.html#consents", context)
    return render(
        request, "people/consent_form.html", {"person": person, "form": form, "nav": "people"}
    )


@require_permission(Perm.PEOPLE_CHANGE)
def consent_withdraw(request: HtmxHttpRequest, person_id: str, consent_id: int) -> HttpResponse:
    person = selectors.access_person(request.user, person_id, for_write=True)
    consent = selectors.access_consent(request.user, person, consent_id, for_write=True)
    form = WithdrawConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_consent(
                request.user, consent=consent, withdrawn_on=form.cleaned_data["withdrawn_on"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The withdrawal of the consent is recorded."))
            return redirect("people:detail", person.pk)
    return render(
        request,
        "people/consent_withdraw.html",
        {"person": person, "consent": consent, "form": form, "nav": "people"},
    )


# --- merge ------------------------------------------------------------------------------


@require_permission(Perm.PEOPLE_MERGE)
def merge(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    """Merge two records of the same person: find the other, compare them, confirm.

    Every step is a POST, so what is searched never appears in a URL.
    """
    person = selectors.access_person(request.user, person_id)
    step = request.POST.get("step") if request.method == "POST" else None
    search_form = MergeSearchForm(request.POST if step == "search" else None)
    context: dict[str, Any] = {"person": person, "search_form": search_form, "nav": "people"}
    if step == "search" and search_form.is_valid():
        results = [
            p
            for p in selectors.search_people(
                request.user, search_form.cleaned_data["q"], include_inactive=True
            )
            if p.pk != person.pk
        ]
        audit_access(request.user, results, via="search")
        context["results"] = results
    elif step in ("compare", "confirm"):
        confirm_form = MergeConfirmForm(request.POST)
        if not confirm_form.is_valid():
            context["results"] = []
            return render(request, "people/merge.html", context)
        other = selectors.access_person(request.user, confirm_form.cleaned_data["other"])
        if step == "confirm":
            keep, absorb = (
                (person, other) if confirm_form.cleaned_data["keep"] == "this" else (other, person)
            )
            try:
                kept = services.merge_people(request.user, keep=keep, absorb=absorb)
            except ValidationError as exc:
                add_errors(confirm_form, exc)
            else:
                messages.success(request, _("The two records are merged into this one."))
                return redirect("people:detail", kept.pk)
        audit_detail_access(request.user, other, via="page")
        context.update(
            {
                "other": other,
                "confirm_form": confirm_form,
                "record": selectors.person_record(person),
                "other_record": selectors.person_record(other),
                "languages": languages_display(person.languages),
                "other_languages": languages_display(other.languages),
            }
        )
    return render(request, "people/merge.html", context)


# --- access history ---------------------------------------------------------------------

ACTION_LABELS = {
    LogEntry.Action.CREATE: gettext_lazy("created"),
    LogEntry.Action.UPDATE: gettext_lazy("changed"),
    LogEntry.Action.DELETE: gettext_lazy("deleted"),
    LogEntry.Action.ACCESS: gettext_lazy("viewed"),
}
EVENT_LABELS = {
    "people.person.merged": gettext_lazy("another record was merged into this one"),
    "people.person.merged_away": gettext_lazy("merged into another record"),
}
VIA_LABELS = {
    "page": gettext_lazy("record page"),
    "search": gettext_lazy("search"),
    "list": gettext_lazy("list"),
    "api": gettext_lazy("API"),
    "export": gettext_lazy("export"),
}


def _field_of(model: type[models.Model] | None, name: str) -> Any:
    """The model field named in a change: a `models.Field`, a reverse relation, or None."""
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


Related = dict[Any, dict[str, Any]]


def _related_objects(entries: list[LogEntry]) -> Related:
    """The rows named by foreign keys in the entries' changes: one query per related model.

    People are left out: a record the reader may not see must not show its name here.
    """
    wanted: dict[Any, set[str]] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in (entry.changes or {}).items():
            field = _field_of(model, name)
            if (
                not isinstance(field, models.Field)
                or not field.is_relation
                or field.related_model is Person
            ):
                continue
            if isinstance(values, list):
                wanted.setdefault(field.related_model, set()).update(
                    str(v) for v in values if v not in (None, "None", "")
                )
    found: Related = {}
    for model, pks in wanted.items():
        manager = model._default_manager
        rows = (
            manager.select_related("province") if model is Municipality else manager.all()
        ).in_bulk([pk for pk in pks if pk.isdigit()])
        found[model] = {str(pk): row for pk, row in rows.items()}
    return found


def _value_display(field: Any, value: Any, related: Related) -> str:
    if value in (None, "None", ""):
        return "—"
    if field is None:
        return str(value)
    if field.is_relation:
        if field.related_model is Person:
            return _("record %(id)s") % {"id": str(value)[:8]}
        row = related.get(field.related_model, {}).get(str(value))
        return getattr(row, "label", None) or (str(row) if row is not None else str(value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return {"True": _("yes"), "False": _("no")}.get(str(value), str(value))
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        day = parse_date(str(value))
        return date_format(day, "SHORT_DATE_FORMAT") if day else str(value)
    if field.name == "languages":
        try:
            codes = ast.literal_eval(str(value))
        except (ValueError, SyntaxError):
            return str(value)
        return (languages_display(codes) or "—") if isinstance(codes, list) else str(value)
    return str(value)


def _audit_rows(entries: list[LogEntry]) -> list[dict[str, Any]]:
    related = _related_objects(entries)
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        data = entry.additional_data or {}
        actor = entry.actor
        organisations = (
            list(dict.fromkeys(m.organisation.name for m in actor.active_memberships))
            if actor is not None
            else []
        )
        changes = []
        for name, values in (entry.changes or {}).items():
            field = _field_of(model, name)
            # Reverse relations, keys and automatic fields say nothing to the reader.
            if field is not None and (
                not isinstance(field, models.Field) or field.primary_key or not field.editable
            ):
                continue
            old, new = values if isinstance(values, list) and len(values) == 2 else ("", values)
            changes.append(
                {
                    "field": str(field.verbose_name) if field is not None else name,
                    "old": _value_display(field, old, related),
                    "new": _value_display(field, new, related),
                }
            )
        event = data.get("event")
        rows.append(
            {
                "when": entry.timestamp,
                "who": str(actor) if actor is not None else (entry.actor_email or ""),
                "organisations": organisations,
                "action": ACTION_LABELS.get(entry.action, entry.action),
                "event": EVENT_LABELS.get(event, event) if event else "",
                "record": str(model._meta.verbose_name) if model is not None else "",
                "record_repr": (
                    entry.object_repr
                    if model is not Person and entry.action != LogEntry.Action.ACCESS
                    else ""
                ),
                "changes": changes,
                "address": entry.remote_addr or "",
                "via": VIA_LABELS.get(data.get("via", ""), data.get("via", "")),
            }
        )
    return rows


@require_permission(Perm.PEOPLE_AUDIT)
@require_GET
def audit(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    """Who opened or changed the person's record, when and from where (the Garante's log)."""
    person = selectors.access_person(request.user, person_id)
    trail = selectors.person_audit_trail(request.user, person, limit=None)
    page = Paginator(trail, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "people/audit.html",
        {
            "person": person,
            "page": page,
            "rows": _audit_rows(list(page.object_list)),
            "nav": "people",
        },
    )
