"""Pages of referrals in and taking in charge: refer a person (form or spreadsheet), follow
one's referrals, the coordinator's queue, an enrolment's page with its state machine.

Thin views: they parse input, call a selector or a service (`programmes.services`,
`programmes.imports`) and render. Every enrolment comes through `selectors.access_enrolment`
and every person through `people.selectors.access_person`; every page showing people's
records leaves an access entry in the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.permissions import Perm, user_can
from prossimo.listening.services import ConcurrentEdit
from prossimo.people import selectors as people_selectors
from prossimo.people.forms import PersonForms, add_errors, with_extra_row
from prossimo.people.models import Person
from prossimo.people.services import LikelyDuplicate
from prossimo.programmes import imports, selectors, services
from prossimo.programmes.forms_enrolments import (
    EnrolmentConsentForm,
    ImportUploadForm,
    QueueFilterForm,
    ReferralForm,
    ReferSearchForm,
    StateChangeForm,
    add_referral_errors,
    split_errors,
    state_form,
)
from prossimo.programmes.models import (
    ALLOWED_TRANSITIONS,
    Enrolment,
    ImportJob,
    Programme,
    Weekday,
    weekdays_of,
)
from prossimo.programmes.tasks import run_referral_import

PAGE_SIZE = 25
# The order in which the possible moves are offered on an enrolment's page.
MOVE_ORDER = (
    Enrolment.State.CONTACT_ATTEMPTED,
    Enrolment.State.ACTIVE,
    Enrolment.State.SUSPENDED,
    Enrolment.State.CLOSED,
)
# What each move's button says.
MOVE_LABELS = {
    Enrolment.State.CONTACT_ATTEMPTED: gettext_lazy("Record a contact attempt"),
    Enrolment.State.ACTIVE: gettext_lazy("Take in charge"),
    Enrolment.State.SUSPENDED: gettext_lazy("Suspend"),
    Enrolment.State.CLOSED: gettext_lazy("Close the enrolment"),
}
# Imports waiting for confirmation and the results of the confirmed ones, in the session.
SESSION_PENDING = "programmes_imports"
KEEP_IN_SESSION = 3


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- programmes (reference data) --------------------------------------------------------


@require_permission(Perm.PROGRAMMES_REFER)
@require_GET
def programme_list(request: HtmxHttpRequest) -> HttpResponse:
    """The programmes the network runs, with how many people each has in charge."""
    return render(
        request,
        "programmes/enrolments/programme_list.html",
        {"programmes": selectors.programmes_with_counts(), "nav": "programmes"},
    )


@require_permission(Perm.PROGRAMMES_REFER)
@require_GET
def programme_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A programme's configuration, read-only (administrators change it in the admin)."""
    programme = selectors.access_programme(request.user, code)
    counts = selectors.programme_state_counts(programme)
    context = {
        "programme": programme,
        "states": [(label, counts[value]) for value, label in Enrolment.State.choices],
        "n_active": counts[Enrolment.State.ACTIVE],
        "weekdays": [
            label
            for value, label in _weekday_labels()
            if value in weekdays_of(programme.default_weekdays)
        ],
        "nav": "programmes",
    }
    return render(request, "programmes/enrolments/programme_detail.html", context)


def _weekday_labels() -> list[tuple[int, str]]:
    return [(int(value), str(label)) for value, label in Weekday.choices]


# --- referring a person -------------------------------------------------------------------


def _initial_programme(request: HttpRequest) -> dict[str, Any]:
    """A programme named in the address (`?programma=<code>`: reference data, not personal)."""
    code = request.GET.get("programma", "")
    return {"programme": code} if code else {}


@require_permission(Perm.PROGRAMMES_REFER)
def refer(request: HtmxHttpRequest) -> HttpResponse:
    """Find the person to refer (by POST, so nothing personal lands in a URL), or go on to
    refer someone not registered yet, or upload a spreadsheet."""
    results = None
    if request.method == "POST":
        form = ReferSearchForm(request.POST)
        if form.is_valid():
            results = people_selectors.search_people(request.user, form.cleaned_data["q"])
            audit_access(request.user, results, via="search")
    else:
        form = ReferSearchForm()
    context = {
        "form": form,
        "results": results,
        "programme_code": request.GET.get("programma", ""),
        "nav": "referrals",
    }
    if request.htmx and request.method == "POST":
        return render(request, "programmes/enrolments/refer_search.html#results", context)
    return render(request, "programmes/enrolments/refer_search.html", context)


def _refer_success(request: HtmxHttpRequest, enrolment: Enrolment) -> HttpResponse:
    messages.success(
        request,
        _("%(name)s is referred to %(programme)s; %(organisation)s will take it from here.")
        % {
            "name": enrolment.person.full_name,
            "programme": enrolment.programme.name,
            "organisation": enrolment.organisation.name,
        },
    )
    url = reverse("programmes:enrolment_detail", args=[enrolment.pk])
    # An HTMX request would swap the whole next page into the form: have the browser go there.
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)


@require_permission(Perm.PROGRAMMES_REFER)
def refer_person(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    """Refer a registered person (reached from their page or from the search)."""
    person = people_selectors.access_person(request.user, person_id)
    form = ReferralForm(request.POST or None, initial=_initial_programme(request))
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.refer_person(
                request.user,
                programme=form.cleaned_data["programme"],
                referral=form.referral_input(),
                person=person,
            )
        except ValidationError as exc:
            add_referral_errors(form, split_errors(exc)[0] or {"__all__": exc.messages})
        else:
            return _refer_success(request, enrolment)
    audit_detail_access(request.user, person, via="page")
    context = {
        "person": person,
        "form": form,
        "error_summary": form.error_summary() if form.is_bound else [],
        "enrolments": selectors.enrolments_of_person(request.user, person),
        "nav": "referrals",
    }
    return render(request, "programmes/enrolments/refer_person.html", context)


def _added_row(request: HttpRequest) -> str | None:
    prefix = request.POST.get("add_row")
    return prefix if prefix in ("phones", "reference_persons") else None


@require_permission(Perm.PROGRAMMES_REFER)
def refer_new(request: HtmxHttpRequest) -> HttpResponse:
    """Register a person and refer them in one go; likely duplicates are shown, and the user
    refers one of them instead or confirms that the person is different."""
    context: dict[str, Any] = {"nav": "referrals"}
    if request.method != "POST":
        forms = PersonForms()
        referral_form = ReferralForm(initial=_initial_programme(request))
        return _refer_new_page(request, forms, referral_form, context)
    if prefix := _added_row(request):
        forms = PersonForms(with_extra_row(request.POST, prefix))
        forms.quiet()
        referral_form = ReferralForm(request.POST)
        referral_form.full_clean()
        referral_form._errors = ErrorDict()  # type: ignore[attr-defined]  # only grew a row
        return _refer_new_page(request, forms, referral_form, context)

    forms = PersonForms(request.POST)
    referral_form = ReferralForm(request.POST)
    referral_ok = referral_form.is_valid()
    if chosen := request.POST.get("use_person"):
        # "Refer this person instead": a registered person from the duplicates panel.
        person = people_selectors.access_person(request.user, chosen)
        if referral_ok:
            try:
                enrolment = services.refer_person(
                    request.user,
                    programme=referral_form.cleaned_data["programme"],
                    referral=referral_form.referral_input(),
                    person=person,
                )
            except ValidationError as exc:
                add_referral_errors(referral_form, split_errors(exc)[0])
            else:
                return _refer_success(request, enrolment)
        forms.is_valid()
        forms.quiet()
        return _refer_new_page(request, forms, referral_form, context)

    person_ok = forms.is_valid()
    if person_ok and referral_ok:
        try:
            enrolment = services.refer_person(
                request.user,
                programme=referral_form.cleaned_data["programme"],
                referral=referral_form.referral_input(),
                new_person=forms.person_input(),
                confirm_not_duplicate=forms.form.cleaned_data["confirm_not_duplicate"],
            )
        except LikelyDuplicate as exc:
            context["duplicates"] = exc.report.matches
            audit_access(request.user, [m.person for m in exc.report.matches], via="search")
        except ValidationError as exc:
            referral_errors, person_errors = split_errors(exc)
            add_referral_errors(referral_form, referral_errors)
            if person_errors:
                forms.add_service_errors(ValidationError(person_errors))
        else:
            return _refer_success(request, enrolment)
    return _refer_new_page(request, forms, referral_form, context)


def _refer_new_page(
    request: HtmxHttpRequest,
    forms: PersonForms,
    referral_form: ReferralForm,
    context: dict[str, Any],
) -> HttpResponse:
    summary: list[dict[str, Any]] = []
    if referral_form.is_bound:
        summary += referral_form.error_summary()
    if forms.form.is_bound:
        summary += forms.error_summary()
    context = {
        "forms": forms,
        "form": forms.form,
        "referral_form": referral_form,
        "error_summary": summary,
        **context,
    }
    if request.htmx and request.method == "POST":
        return render(request, "programmes/enrolments/refer_new.html#form_area", context)
    return render(request, "programmes/enrolments/refer_new.html", context)


# --- following referrals and the coordinator's queue ------------------------------------


@require_permission(Perm.PROGRAMMES_REFER)
@require_GET
def my_referrals(request: HtmxHttpRequest) -> HttpResponse:
    """The referrals the user made, newest first, with where each one stands."""
    page = Paginator(selectors.referrals_made_by(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    enrolments = list(page.object_list)
    audit_access(request.user, enrolments, via="list")
    return render(
        request,
        "programmes/enrolments/my_referrals.html",
        {"page": page, "enrolments": enrolments, "nav": "referrals"},
    )


@require_permission(Perm.PROGRAMMES_MANAGE)
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """The enrolments of the user's organisations, one state at a time, with counts."""
    state = QueueFilterForm(request.GET).state()
    counts = selectors.count_by_state(selectors.enrolments_in_charge(request.user))
    page = Paginator(selectors.enrolments_in_charge(request.user, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    enrolments = list(page.object_list)
    audit_access(request.user, enrolments, via="list")
    context = {
        "state": state,
        "state_label": Enrolment.State(state).label,
        "tabs": [(value, label, counts[value]) for value, label in Enrolment.State.choices],
        "page": page,
        "enrolments": enrolments,
        "nav": "enrolments",
    }
    return render(request, "programmes/enrolments/queue.html", context)


# --- an enrolment's page -----------------------------------------------------------------


def _enrolment_page(
    request: HtmxHttpRequest,
    enrolment: Enrolment,
    *,
    bound: StateChangeForm | None = None,
    bound_to: str = "",
    consent_form: EnrolmentConsentForm | None = None,
) -> HttpResponse:
    user = request.user
    can_manage = user_can(user, Perm.PROGRAMMES_MANAGE) and selectors.may_manage_enrolment(
        user, enrolment
    )
    moves = []
    if can_manage:
        for to_state in MOVE_ORDER:
            if to_state not in ALLOWED_TRANSITIONS[enrolment.state]:
                continue
            form = (
                bound
                if bound is not None and bound_to == to_state
                else state_form(to_state, version=enrolment.version)
            )
            moves.append(
                {
                    "to": to_state,
                    "label": Enrolment.State(to_state).label,
                    "action": (
                        _("Resume now")
                        if enrolment.state == Enrolment.State.SUSPENDED
                        and to_state == Enrolment.State.ACTIVE
                        else MOVE_LABELS[to_state]
                    ),
                    "form": form,
                    "problem": services.transition_error(enrolment, to_state),
                }
            )
    # What the user typed for a move that is no longer possible (someone else moved it).
    lost = bound if bound is not None and bound_to not in {m["to"] for m in moves} else None
    person_visible = selectors.person_is_visible(user, enrolment.person_id)
    context = {
        "enrolment": enrolment,
        "person": enrolment.person,
        "person_visible": person_visible,
        "history": selectors.enrolment_history(enrolment),
        "can_manage": can_manage,
        "moves": moves,
        "lost": lost,
        "consent_form": consent_form
        or EnrolmentConsentForm(
            initial={"consent": enrolment.consent, "expected_version": enrolment.version}
        ),
        "can_see_calls": user_can(user, Perm.PROGRAMMES_MANAGE)
        or user_can(user, Perm.PROGRAMMES_CALL),
        "can_screen": person_visible and user_can(user, Perm.QUESTIONNAIRES_ADMINISTER),
        "error_summary": bound.error_summary() if bound is not None else [],
        "nav": "enrolments" if user_can(user, Perm.PROGRAMMES_MANAGE) else "referrals",
    }
    return render(request, "programmes/enrolments/enrolment_detail.html", context)


@require_permission(Perm.PEOPLE_VIEW)
@require_GET
def enrolment_detail(request: HtmxHttpRequest, enrolment_id: str) -> HttpResponse:
    """An enrolment: the person, the referral, consent, state and its history. Coordinators
    of the organisation in charge act from here; the referring social worker follows it."""
    enrolment = selectors.access_enrolment(request.user, enrolment_id)
    audit_detail_access(request.user, enrolment, via="page")
    return _enrolment_page(request, enrolment)


@require_permission(Perm.PROGRAMMES_MANAGE)
@require_POST
def enrolment_state(request: HtmxHttpRequest, enrolment_id: str) -> HttpResponse:
    """Move the enrolment to another state. If someone else changed it meanwhile, show the
    latest version with what the user typed, ready to be sent again."""
    enrolment = selectors.access_enrolment(request.user, enrolment_id, for_write=True)
    to_state = request.POST.get("to_state", "")
    if to_state not in Enrolment.State.values:
        messages.error(request, _("Choose one of the states offered."))
        return redirect("programmes:enrolment_detail", enrolment.pk)
    form = state_form(to_state, request.POST, version=enrolment.version)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.change_state(
                request.user,
                enrolment=enrolment,
                to_state=to_state,
                expected_version=data["expected_version"],
                reason=data.get("reason", ""),
                note=data["note"],
                resume_on=data.get("resume_on"),
            )
        except ConcurrentEdit as exc:
            enrolment = selectors.access_enrolment(request.user, enrolment_id)
            typed = request.POST.copy()
            typed[f"{to_state}-expected_version"] = str(enrolment.version)
            form = state_form(to_state, typed, version=enrolment.version)
            form.is_valid()
            form.add_error(None, exc)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The enrolment is now “%(state)s”.") % {"state": Enrolment.State(to_state).label},
            )
            return redirect("programmes:enrolment_detail", enrolment.pk)
    return _enrolment_page(request, enrolment, bound=form, bound_to=to_state)


@require_permission(Perm.PROGRAMMES_MANAGE)
@require_POST
def enrolment_consent(request: HtmxHttpRequest, enrolment_id: str) -> HttpResponse:
    """Record whether the person consents to be in charge (asked at the first contact)."""
    enrolment = selectors.access_enrolment(request.user, enrolment_id, for_write=True)
    form = EnrolmentConsentForm(request.POST)
    if form.is_valid():
        try:
            services.record_consent(
                request.user,
                enrolment=enrolment,
                consent=form.cleaned_data["consent"],
                expected_version=form.cleaned_data["expected_version"],
            )
        except ConcurrentEdit as exc:
            enrolment = selectors.access_enrolment(request.user, enrolment_id)
            typed = request.POST.copy()
            typed["consent-expected_version"] = str(enrolment.version)
            form = EnrolmentConsentForm(typed)
            form.is_valid()
            form.add_error(None, exc)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The consent is recorded."))
            return redirect("programmes:enrolment_detail", enrolment.pk)
    return _enrolment_page(request, enrolment, consent_form=form)


# --- the person's page --------------------------------------------------------------------


def person_enrolments_section(user: Any, person: Person) -> dict[str, Any] | None:
    """The "Programmes" section of a person's page: their referrals and enrolments."""
    if not user_can(user, Perm.PEOPLE_VIEW):
        return None
    enrolments = selectors.enrolments_of_person(user, person)
    can_refer = user_can(user, Perm.PROGRAMMES_REFER) and person.is_active
    if not enrolments and not can_refer:
        return None
    return {"enrolments": enrolments, "person": person, "can_refer": can_refer}


def person_refer_action(user: Any, person: Person) -> dict[str, Any] | None:
    """The "Refer to a programme" button of a person's page."""
    if not user_can(user, Perm.PROGRAMMES_REFER) or not person.is_active:
        return None
    return {"person": person}


# --- spreadsheet import ---------------------------------------------------------------------


def _remember(request: HttpRequest, key: str, token: str, value: dict[str, Any]) -> None:
    """Keep `value` under `token` in the session, with at most a few others of its kind."""
    entries: dict[str, Any] = request.session.get(key, {})
    entries.pop(token, None)
    entries[token] = value
    while len(entries) > KEEP_IN_SESSION:
        old = next(iter(entries))
        entries.pop(old)
        if key == SESSION_PENDING:
            imports.discard_pending(old)
    request.session[key] = entries


def _forget_pending(request: HttpRequest, token: str) -> None:
    entries: dict[str, Any] = request.session.get(SESSION_PENDING, {})
    if entries.pop(token, None) is not None:
        request.session[SESSION_PENDING] = entries


def _import_gone(request: HttpRequest, token: str) -> HttpResponse:
    """The waiting rows are gone: confirmed already (show the result) or cancelled/expired."""
    if selectors.import_job_exists(request.user, token):
        messages.info(request, _("This import is already confirmed: nothing was written twice."))
        return redirect("programmes:import_result", token)
    messages.error(
        request,
        _(
            "This import is no longer available: it was cancelled, or it waited too long. "
            "Upload the file again."
        ),
    )
    return redirect("programmes:import_upload")


def _import_programme(request: HttpRequest, entry: dict[str, Any]) -> Programme | None:
    programme = selectors.active_programmes().filter(pk=entry["programme"]).first()
    if programme is None:
        messages.error(request, _("This programme is not taking referrals."))
    return programme


@require_permission(Perm.PROGRAMMES_REFER)
def import_upload(request: HtmxHttpRequest) -> HttpResponse:
    """Upload a spreadsheet of referrals; the rows are checked and shown before anything is
    written."""
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, initial=_initial_programme(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            sheet = imports.read_spreadsheet(form.cleaned_data["file"].read())
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            token, key = imports.store_pending(sheet.rows)
            _remember(
                request,
                SESSION_PENDING,
                token,
                {
                    "key": key,
                    "programme": form.cleaned_data["programme"].pk,
                    "ignored": sheet.ignored_columns,
                },
            )
            return redirect("programmes:import_preview", token)
    context = {
        "form": form,
        "columns": imports.COLUMNS,
        "max_rows": imports.MAX_ROWS,
        "nav": "referrals",
    }
    return render(request, "programmes/imports/upload.html", context)


@require_permission(Perm.PROGRAMMES_REFER)
@require_GET
def import_template(request: HtmxHttpRequest, fmt: str) -> HttpResponse:
    """The empty template to fill in, as CSV or XLSX."""
    if fmt == "csv":
        content, mime = imports.template_csv(), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        content = imports.template_xlsx()
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="segnalazioni_modello.{fmt}"'
    return response


@require_permission(Perm.PROGRAMMES_REFER)
@require_GET
def import_preview(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Row by row, what confirming would do; nothing is written until then."""
    entry = request.session.get(SESSION_PENDING, {}).get(token)
    rows = imports.load_pending(token, entry["key"]) if entry else None
    if rows is None:
        return _import_gone(request, token)
    programme = _import_programme(request, entry)
    if programme is None:
        return redirect("programmes:import_upload")
    try:
        previews = imports.preview_rows(request.user, programme=programme, rows=rows)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("programmes:import_upload")
    audit_access(request.user, imports.people_shown(previews), via="search")
    context = {
        "token": token,
        "programme": programme,
        "previews": previews,
        "counts": imports.count_statuses(previews),
        "ignored": entry.get("ignored", []),
        "Status": imports.RowStatus,
        "SKIP": imports.SKIP,
        "CREATE": imports.CREATE,
        "nav": "referrals",
    }
    return render(request, "programmes/imports/preview.html", context)


@require_permission(Perm.PROGRAMMES_REFER)
@require_POST
def import_confirm(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Hand the previewed rows to the worker, once only; the result page follows it."""
    entry = request.session.get(SESSION_PENDING, {}).get(token)
    if entry is None:
        return _import_gone(request, token)
    programme = _import_programme(request, entry)
    if programme is None:
        return redirect("programmes:import_upload")
    choices = {
        int(name[4:]): str(value)
        for name, value in request.POST.items()
        if name.startswith("row-") and name[4:].isdigit()
    }
    job = imports.start_import(
        request.user, programme=programme, token=token, key=entry["key"], choices=choices
    )
    _forget_pending(request, token)
    if job is None:
        return _import_gone(request, token)
    run_referral_import(str(job.pk))
    return redirect("programmes:import_result", token)


@require_permission(Perm.PROGRAMMES_REFER)
@require_POST
def import_cancel(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Drop an import that was previewed: its rows are deleted at once."""
    if token in request.session.get(SESSION_PENDING, {}):
        imports.discard_pending(token)
        _forget_pending(request, token)
    messages.info(request, _("The import is cancelled: nothing was written."))
    return redirect("programmes:import_upload")


@require_permission(Perm.PROGRAMMES_REFER)
@require_GET
def import_result(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """What a confirmed import did (created, referred, skipped and why), or how far it is:
    the page asks again every few seconds (HTMX) until the worker is done."""
    job = selectors.import_job_of(request.user, token)
    # While the worker runs, the page shows how far it is, not the rows: they are read (and
    # recorded as shown) once, when it is finished, not at every poll.
    rows = [dict(row) for row in job.results] if job.finished else []
    enrolments = {
        str(e.pk): e
        for e in selectors.enrolments_by_ids(
            request.user, [r["enrolment_id"] for r in rows if r["enrolment_id"]]
        )
    }
    audit_access(request.user, list(enrolments.values()), via="list")
    for row in rows:
        row["enrolment"] = enrolments.get(row["enrolment_id"])
    counts = {
        outcome: sum(1 for r in rows if r["outcome"] == outcome)
        for outcome in (imports.Outcome.CREATED, imports.Outcome.REFERRED, imports.Outcome.SKIPPED)
    }
    context = {
        "job": job,
        "programme_name": job.programme.label((get_language() or "it")[:2]),
        "rows": rows,
        "counts": counts,
        "Outcome": imports.Outcome,
        "State": ImportJob.State,
        "Error": ImportJob.Error,
        "nav": "referrals",
    }
    if request.htmx and request.htmx.target == "import-job":
        return render(request, "programmes/imports/_job.html", context)
    return render(request, "programmes/imports/result.html", context)
