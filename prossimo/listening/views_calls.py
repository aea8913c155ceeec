"""Call pages of the listening line: the one-screen call form, drafts, the logged contact.

The call form posts once to `services.log_contact`. What is typed is kept in a draft contact
(autosaved by HTMX, and saved by every button that is not "Log the call"), so a closed browser
loses nothing. The caller's number never appears in a URL: `?numero=` (what a softphone opens)
is moved into a new draft at once and the browser is sent to the draft's opaque address.

A later app may open the form for one of its own work items (a planned call of the social
telephone service: `?chiamata=<id>`) through `register_call_origin`: the item's id rides in a
hidden field of the draft, the page shows the app's context panel, and logging goes through
the app's own service (which logs the contact and records what the item needs, at once).

Later apps also add blocks to the form through `call_panels` (the services meeting the chosen
needs, with "information given" and "send a referral"): built from what the form holds on
every render, refreshed by HTMX when the needs or the caller change, and recorded in the same
transaction as the call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import replace_url
from django_htmx.middleware import HtmxDetails

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.permissions import Perm, user_can
from prossimo.core.phones import format_phone, normalise_phone
from prossimo.listening import call_panels, selectors, services
from prossimo.listening.call_panels import CallSituation, PanelRejected, ShownPanel
from prossimo.listening.forms import (
    NEEDS_PREFIX,
    WHO_ANONYMOUS,
    WHO_NEW,
    CallForms,
    LinkPersonForm,
    LinkSearchForm,
    NeedChoices,
    caller_municipality_of,
    chosen_categories,
    draft_form_data,
    draft_query,
    person_id_of,
)
from prossimo.listening.models import Contact, RedFlag
from prossimo.people import selectors as people_selectors
from prossimo.people.forms import with_extra_row
from prossimo.people.models import Person

CALL_TEMPLATE = "listening/calls/call_form.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- calls started from another app's work item -------------------------------------------


@dataclass
class CallOrigin:
    """A call form opened from another app's work item (e.g. a planned call): who is called,
    what the page shows about the item, and how the call is logged with it."""

    param: str  # the form field naming the item (and `?<param>=` of the link that starts it)
    value: str  # the item's opaque id
    person: Person  # who is called
    caller_number: str  # the number called (E.164): kept in the draft, never in a URL
    panel_template: str
    panel: dict[str, Any]
    record: models.Model  # recorded as read each time the panel is shown
    log: Callable[..., Contact]  # called as `services.log_contact` is; one transaction
    done_url: str  # where to go once the call is logged


#: `(user, value, for_write) -> CallOrigin`; Http404 outside the user's scope, PermissionDenied
#: when `for_write` (starting a call) and the user may not make it.
CallOriginResolver = Callable[[Any, str, bool], CallOrigin]
_ORIGINS: dict[str, CallOriginResolver] = {}


def register_call_origin(param: str, resolve: CallOriginResolver) -> None:
    """Let an app start the call form for its work items (called in its `AppConfig.ready`)."""
    _ORIGINS[param] = resolve


def _origin_in(user: Any, data: QueryDict | None) -> CallOrigin | None:
    """The work item a posted form or a draft names, if the user may still see it (else the
    call is an ordinary one)."""
    if data is None:
        return None
    for param, resolve in _ORIGINS.items():
        value = str(data.get(param, "") or "")
        if value:
            try:
                return resolve(user, value, False)
            except Http404:
                return None
    return None


def _origin_draft(request: HtmxHttpRequest, origin: CallOrigin) -> Contact:
    """The user's unfinished form for this work item, or a new one with the person chosen."""
    lookup = {f"draft_data__{origin.param}__0": origin.value}
    existing = selectors.drafts_of(request.user).filter(**lookup).first()
    if existing is not None:
        return existing
    return services.save_draft(
        request.user,
        form_data={
            origin.param: [origin.value],
            "who": [str(origin.person.pk)],
            "channel": [Contact.Channel.OUTBOUND_CALL],
        },
        person=origin.person,
        caller_number=origin.caller_number,
    )


# --- helpers ------------------------------------------------------------------------------


def _version(data: QueryDict) -> int | None:
    try:
        return int(data.get("version", ""))
    except ValueError:
        return None


def _posted_draft(request: HtmxHttpRequest) -> Contact | None:
    """The draft named by the form's hidden `draft` field (set by the first autosave)."""
    value = request.POST.get("draft", "")
    return selectors.access_draft(request.user, value) if value else None


def _chosen_person(user: Any, who: str, known: list[Person]) -> Person | None:
    """The person the "who" choice names when they are not among the known ones."""
    pid = person_id_of(who)
    if pid is None or any(p.pk == pid for p in known):
        return None
    try:
        return people_selectors.access_person(user, pid)
    except Http404:
        return None


def _save_draft(
    request: HtmxHttpRequest, draft: Contact | None, data: QueryDict
) -> tuple[Contact, bool]:
    """Keep what was typed; a new draft when there is none yet. Raises ConcurrentEdit."""
    if draft is None:
        person = _chosen_person(request.user, data.get("who", ""), [])
        number = data.get("caller_number", "")
        try:
            number = normalise_phone(number) if number else ""
        except ValidationError:
            number = ""
        created = services.save_draft(
            request.user, form_data=draft_form_data(data), person=person, caller_number=number
        )
        return created, True
    saved = services.save_draft(
        request.user,
        form_data=draft_form_data(data),
        draft=draft,
        expected_version=_version(data),
    )
    return saved, False


def _draft_url(draft: Contact, anchor: str = "") -> str:
    url = reverse("listening:call_draft", args=[draft.pk])
    return f"{url}#{anchor}" if anchor else url


class CallScreen:
    """What the call page shows around the form: the caller's context and the choices."""

    def __init__(
        self,
        request: HtmxHttpRequest,
        draft: Contact | None,
        who: str,
        extra: list[Person],
        origin: CallOrigin | None = None,
    ) -> None:
        user = request.user
        self.origin = origin
        if origin is not None and origin.person not in extra:
            extra = [origin.person, *extra]
        number = draft.caller_number if draft is not None else ""
        self.context = selectors.caller_context(user, number)
        others = [p for p in extra if p not in self.context.people]
        chosen = _chosen_person(user, who, [*self.context.people, *others])
        if chosen is not None:
            others.append(chosen)
        if others:
            more = selectors.context_for_people(user, others)
            self.context.open_needs.update(more.open_needs)
            self.context.last_contacts.update(more.last_contacts)
        self.people = [*self.context.people, *others]
        self.number = number
        organisation = services.acting_organisation(user)
        self.assignees = selectors.follow_up_assignees(organisation)

    def default_who(self) -> str:
        """One known person: them; nobody known: an anonymous caller; several: ask."""
        if len(self.people) == 1:
            return str(self.people[0].pk)
        return "" if self.people else WHO_ANONYMOUS

    def entries(self) -> list[dict[str, Any]]:
        return [
            {
                "person": p,
                "open_needs": self.context.open_needs.get(p.pk, []),
                "last_contacts": self.context.last_contacts.get(p.pk, []),
            }
            for p in self.people
        ]


def _forms(screen: CallScreen, request: HtmxHttpRequest, data: QueryDict | None) -> CallForms:
    initial = None
    if data is None:
        initial = {
            "who": screen.default_who(),
            "caller_number": format_phone(screen.number) if screen.number else "",
            "opened_at": timezone.now().isoformat(),
        }
    return CallForms(
        data,
        user=request.user,
        candidates=screen.people,
        assignees=screen.assignees,
        initial=initial,
    )


def _caller_number(data: QueryDict | None, fallback: str = "") -> str:
    """The caller's number as typed in the form (E.164), else the one the call came from."""
    typed = str(data.get("caller_number", "") or "") if data is not None else ""
    try:
        return normalise_phone(typed) if typed.strip() else fallback
    except ValidationError:
        return fallback


def _situation(
    user: Any,
    data: QueryDict | None,
    *,
    person: Person | None,
    number: str,
    need_choices: NeedChoices,
) -> CallSituation:
    """What the call panels are built from: the chosen person (and where they live) or the
    anonymous caller's municipality, and the kinds of need chosen."""
    return CallSituation(
        user=user,
        data=data,
        person=person,
        municipality=person.municipality if person is not None else caller_municipality_of(data),
        categories=chosen_categories(data, need_choices),
        caller_number=_caller_number(data, number),
    )


def _screen_situation(
    request: HtmxHttpRequest, screen: CallScreen, forms: CallForms
) -> CallSituation:
    data: Any = forms.form.data if forms.form.is_bound else None
    who = forms.who
    person = next((p for p in screen.people if str(p.pk) == who), None)
    return _situation(
        request.user,
        data,
        person=person,
        number=screen.number,
        need_choices=forms.needs.form_kwargs["need_choices"],
    )


def _panel_summary(errors: dict[str, list[str]], panels: list[ShownPanel]) -> list[dict[str, Any]]:
    """The panels' errors as links for the error summary, each with its field's label (each
    field's id is `id_<name>`)."""
    return [
        {
            "anchor": f"id_{name}" if name else "call-panels",
            "label": call_panels.field_label(panels, name) if name else "",
            "message": message,
        }
        for name, messages in errors.items()
        for message in messages
    ]


def _render_call(
    request: HtmxHttpRequest,
    *,
    draft: Contact | None,
    forms: CallForms,
    screen: CallScreen,
    version: int | None,
    results: list[Person] | None = None,
    problem: str = "",
    panels: list[ShownPanel] | None = None,
    panel_errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    if panels is None:
        panels = call_panels.build_panels(_screen_situation(request, screen, forms))
    open_needs = [n for needs in screen.context.open_needs.values() for n in needs]
    call_panels.annotate_needs(request.user, open_needs, compact=True)
    action = (
        reverse("listening:call_draft", args=[draft.pk])
        if draft is not None
        else reverse("listening:call_new")
    )
    form = forms.form
    if screen.origin is not None:
        audit_detail_access(request.user, screen.origin.record, via="call_form")
    context = {
        "nav": "call",
        "origin": screen.origin,
        "draft": draft,
        "version": version if version is not None else "",
        "saved_at": draft.updated_at if draft is not None else None,
        "action": action,
        "forms": forms,
        "form": form,
        "screen": screen,
        "who_options": _who_options(screen.entries(), forms.who),
        "results": results,
        "danger": RedFlag.DANGER_TO_LIFE in forms.red_flags,
        "emergency_called": bool(form["emergency_called"].value()),
        "emergency_errors": form.errors.get("emergency_called", []),
        "error_summary": [*forms.error_summary(), *_panel_summary(panel_errors or {}, panels)],
        "problem": problem,
        "call_panels": panels,
        "can_register": user_can(request.user, Perm.PEOPLE_ADD),
    }
    return render(request, CALL_TEMPLATE, context)


def _who_options(entries: list[dict[str, Any]], who: str) -> list[dict[str, Any]]:
    """The radio buttons of "who is calling": the known people, then an anonymous caller
    and a new person. Focus starts on the one chosen, else on the first."""
    options: list[dict[str, Any]] = [{"value": str(e["person"].pk), "entry": e} for e in entries]
    options.append(
        {"value": WHO_ANONYMOUS, "label": _("Anonymous caller: gives a first name, or nothing")}
    )
    options.append({"value": WHO_NEW, "label": _("A new person, not registered yet")})
    values = [o["value"] for o in options]
    focus = who if who in values else values[0]
    for i, option in enumerate(options, start=1):
        option.update(
            {
                "id": f"who_{i}",
                "checked": option["value"] == who,
                "autofocus": option["value"] == focus,
            }
        )
    return options


def _search(request: HtmxHttpRequest, text: str) -> list[Person]:
    results = people_selectors.search_people(request.user, text)
    audit_access(request.user, results, via="search")
    return results


# --- the call form ------------------------------------------------------------------------


def _show_call(
    request: HtmxHttpRequest,
    draft: Contact | None,
    *,
    person: Person | None = None,
    data: QueryDict | None = None,
    version: int | None = None,
    results: list[Person] | None = None,
    error: ValidationError | None = None,
) -> HttpResponse:
    """The form as typed (or as the draft keeps it), without judging it, plus one message."""
    if data is None and draft is not None and draft.draft_data:
        data = draft_query(draft.draft_data)
    extra = [person] if person is not None else []
    who = data.get("who", "") if data is not None else ""
    screen = CallScreen(request, draft, who, extra, _origin_in(request.user, data))
    forms = _forms(screen, request, data)
    forms.quiet()
    return _render_call(
        request,
        draft=draft,
        forms=forms,
        screen=screen,
        version=version if version is not None else (draft.version if draft else None),
        results=results,
        problem=error.messages[0] if error is not None else "",
    )


def _log(request: HtmxHttpRequest, draft: Contact | None) -> HttpResponse:
    """Log the call in one request; on any problem, show it all again with the errors."""
    data = request.POST
    version = _version(data)
    origin = _origin_in(request.user, data)
    screen = CallScreen(request, draft, data.get("who", ""), [], origin)
    forms = _forms(screen, request, data)
    situation = _screen_situation(request, screen, forms)
    panels = call_panels.build_panels(situation)
    # What the panels were asked (a referral without consent…) is judged before anything is
    # logged; what they record is written with the call, or nothing is.
    panel_errors = call_panels.clean_panels(situation, panels)
    stale = False
    log = origin.log if origin is not None else services.log_contact
    valid = forms.is_valid()
    if valid and not panel_errors:
        try:
            with transaction.atomic():
                contact = log(
                    request.user,
                    data=forms.form.contact_input(number=screen.number),
                    needs=forms.need_inputs(),
                    follow_up=forms.form.follow_up_input(),
                    draft=draft,
                    expected_version=version if draft is not None else None,
                )
                call_panels.record_panels(situation, panels, contact)
        except PanelRejected as exc:
            panel_errors = exc.errors
        except services.ConcurrentEdit as exc:
            forms.form.add_error(None, exc)
            stale = True
        except ValidationError as exc:
            forms.add_service_errors(exc)
        else:
            messages.success(request, _("The call is logged."))
            if origin is not None:
                return HttpResponseRedirect(origin.done_url)
            return redirect("listening:contact_detail", contact.pk)
    if not stale:
        # Nothing typed is lost, even without JavaScript (which autosaves anyway).
        try:
            draft, _created = _save_draft(request, draft, data)
            version = draft.version
        except services.ConcurrentEdit as exc:
            forms.form.add_error(None, exc)
    if panel_errors:
        situation.errors = panel_errors
        panels = call_panels.build_panels(situation)
    return _render_call(
        request,
        draft=draft,
        forms=forms,
        screen=screen,
        version=version,
        results=None,
        panels=panels,
        panel_errors=panel_errors,
    )


def _call_post(request: HtmxHttpRequest, draft: Contact | None) -> HttpResponse:
    """The buttons of the call form. Only "Log the call" logs; the others keep a draft."""
    action = "pick" if request.POST.get("pick") else request.POST.get("action", "log")
    if action == "log":
        return _log(request, draft)
    data = request.POST.copy()
    anchor = ""
    if action == "pick":
        data["who"] = request.POST["pick"]
        data["search_q"] = ""
        anchor = "who-fieldset"
    elif action == "add_need":
        data = with_extra_row(data, NEEDS_PREFIX)
        anchor = "needs-rows"
    elif action == "panels":
        anchor = "call-panels"
    try:
        draft, _created = _save_draft(request, draft, data)
    except services.ConcurrentEdit as exc:
        return _show_call(request, draft, data=data, version=_version(data), error=exc)
    search_q = str(data.get("search_q", "")).strip()
    if action in ("search", "save") and search_q:
        results = _search(request, search_q)
        return _show_call(request, draft, data=data, version=draft.version, results=results)
    if action == "save_exit":
        messages.success(request, _("The call is saved among your unfinished calls."))
        return redirect("listening:drafts")
    return HttpResponseRedirect(_draft_url(draft, anchor))


@require_permission(Perm.LISTENING_LOG)
@require_http_methods(["GET", "POST"])
def call_new(request: HtmxHttpRequest) -> HttpResponse:
    """A new call. `?numero=` (opened by the phone) goes into a new draft at once: the number
    must not stay in the address bar or the history. A registered work item (`?chiamata=`)
    opens the user's draft for it, or a new one with the person chosen."""
    if request.method == "POST":
        draft = _posted_draft(request)
        if draft is not None and draft.status != Contact.Status.DRAFT:
            return redirect("listening:contact_detail", draft.pk)
        return _call_post(request, draft)
    for param, resolve in _ORIGINS.items():
        value = request.GET.get(param, "").strip()
        if value:
            origin = resolve(request.user, value, True)
            return redirect("listening:call_draft", _origin_draft(request, origin).pk)
    raw = request.GET.get("numero", "").strip()
    if raw:
        try:
            number = normalise_phone(raw)
        except ValidationError:
            number = raw[:20]
        draft = services.save_draft(request.user, form_data={}, caller_number=number)
        return redirect("listening:call_draft", draft.pk)
    return _show_call(request, None)


@require_permission(Perm.LISTENING_LOG)
@require_GET
def call_for_person(request: HtmxHttpRequest, person_id: str) -> HttpResponse:
    """A call form with the person already chosen (from their page)."""
    person = people_selectors.access_person(request.user, person_id)
    return _show_call(request, None, person=person)


@require_permission(Perm.LISTENING_LOG)
@require_http_methods(["GET", "POST"])
def call_draft(request: HtmxHttpRequest, contact_id: str) -> HttpResponse:
    """An unfinished call, as it was left."""
    draft = selectors.access_draft(request.user, contact_id)
    if draft.status != Contact.Status.DRAFT:
        messages.info(request, _("This call is already logged."))
        return redirect("listening:contact_detail", draft.pk)
    if request.method == "POST":
        return _call_post(request, draft)
    return _show_call(request, draft)


@require_permission(Perm.LISTENING_LOG)
@require_POST
def call_autosave(request: HtmxHttpRequest) -> HttpResponse:
    """HTMX: keep what is typed (every few seconds) and answer with the new version.

    With `part=emergency` (a red flag ticked) the answer is also the 112 block, shown at once;
    with `part=panels` (the needs or the caller changed) only the call panels, built again
    from the form as posted: nothing is saved, so this request, sent at once, never makes the
    version "Log the call" posts stale (the form's own autosave follows two seconds later).
    """
    if request.POST.get("part") == "panels":
        return render(request, f"{CALL_TEMPLATE}#panels", {"call_panels": _posted_panels(request)})
    draft = _posted_draft(request)
    context: dict[str, Any] = {
        "emergency_part": request.POST.get("part") == "emergency",
        "danger": RedFlag.DANGER_TO_LIFE in request.POST.getlist("red_flags"),
        "emergency_called": request.POST.get("emergency_called") == "on",
        "saved_at": None,
        "problem": "",
    }
    if draft is not None and draft.status != Contact.Status.DRAFT:
        context["problem"] = _("This call is already logged: reload the page.")
        context["draft"] = draft
        context["version"] = _version(request.POST) or ""
        return render(request, "listening/calls/_autosaved.html", context)
    try:
        draft, created = _save_draft(request, draft, request.POST)
    except services.ConcurrentEdit:
        context["problem"] = _(
            "Not saved: this call was changed in another window. Reload the page to see it."
        )
        context["draft"] = draft
        context["version"] = _version(request.POST) or ""
        return render(request, "listening/calls/_autosaved.html", context)
    context.update({"draft": draft, "version": draft.version, "saved_at": draft.updated_at})
    response = render(request, "listening/calls/_autosaved.html", context)
    if created:
        # Reloading the page now reopens the draft instead of an empty form.
        replace_url(response, _draft_url(draft))
    return response


def _posted_panels(request: HtmxHttpRequest) -> list[ShownPanel]:
    """The call panels for the form as posted (the HTMX refresh)."""
    data = request.POST
    person = _chosen_person(request.user, data.get("who", ""), [])
    situation = _situation(request.user, data, person=person, number="", need_choices=NeedChoices())
    return call_panels.build_panels(situation)


@require_permission(Perm.LISTENING_LOG)
@require_POST
def call_person_search(request: HtmxHttpRequest) -> HttpResponse:
    """HTMX: the people matching the search box of the call form, each with a "choose"."""
    form = LinkSearchForm({"q": request.POST.get("search_q", "")})
    results = _search(request, form.cleaned_data["q"]) if form.is_valid() else None
    return render(request, f"{CALL_TEMPLATE}#search_results", {"results": results})


# --- unfinished calls ---------------------------------------------------------------------


@require_permission(Perm.LISTENING_LOG)
@require_GET
def drafts(request: HtmxHttpRequest) -> HttpResponse:
    rows = []
    for draft in selectors.drafts_of(request.user)[:100]:
        data = draft_query(draft.draft_data)
        rows.append({"draft": draft, "first_name": data.get("caller_first_name", "")})
    return render(request, "listening/calls/drafts.html", {"rows": rows, "nav": "call"})


@require_permission(Perm.LISTENING_LOG)
@require_http_methods(["GET", "POST"])
def draft_discard(request: HtmxHttpRequest, contact_id: str) -> HttpResponse:
    draft = selectors.access_draft(request.user, contact_id)
    if draft.status != Contact.Status.DRAFT:
        return redirect("listening:contact_detail", draft.pk)
    if request.method == "POST":
        services.discard_draft(request.user, draft=draft)
        messages.success(request, _("The unfinished call is discarded."))
        return redirect("listening:drafts")
    return render(request, "listening/calls/draft_discard.html", {"draft": draft, "nav": "call"})


# --- the logged contact -------------------------------------------------------------------


def _logged_contact(request: HtmxHttpRequest, contact_id: str) -> Contact:
    contact = selectors.access_contact(request.user, contact_id)
    if contact.status != Contact.Status.LOGGED:
        # A draft is its operator's work in progress, not a contact yet.
        raise Http404
    return contact


@require_permission(Perm.LISTENING_LOG)
@require_GET
def contact_detail(request: HtmxHttpRequest, contact_id: str) -> HttpResponse:
    try:
        contact = _logged_contact(request, contact_id)
    except Http404:
        draft = selectors.access_draft(request.user, contact_id)
        return redirect("listening:call_draft", draft.pk)
    audit_detail_access(request.user, contact, via="page")
    return render(
        request, "listening/calls/contact_detail.html", _contact_context(contact, request)
    )


def _contact_context(contact: Contact, request: HtmxHttpRequest, **extra: Any) -> dict[str, Any]:
    record = selectors.contact_record(request.user, contact)
    call_panels.annotate_needs(request.user, record["needs"])
    return {
        "contact": contact,
        "nav": "call",
        "red_flags": [RedFlag(f).label for f in contact.red_flags if f in RedFlag.values],
        "outcomes": [
            Contact.Outcome(o).label for o in contact.outcomes if o in Contact.Outcome.values
        ],
        "duration_minutes": round((contact.duration_seconds or 0) / 60),
        "can_link": contact.is_anonymous and user_can(request.user, Perm.PEOPLE_VIEW),
        "link_form": LinkSearchForm(),
        **record,
        **extra,
    }


@require_permission(Perm.LISTENING_LOG)
@require_http_methods(["GET", "POST"])
def contact_link(request: HtmxHttpRequest, contact_id: str) -> HttpResponse:
    """An anonymous caller turned out to be a known person: find them and link the contact.
    Every step is a POST, so what is searched never appears in a URL."""
    contact = _logged_contact(request, contact_id)
    if not user_can(request.user, Perm.PEOPLE_VIEW):
        raise PermissionDenied
    if not contact.is_anonymous:
        return redirect("listening:contact_detail", contact.pk)
    step = request.POST.get("step") if request.method == "POST" else None
    form = LinkSearchForm(request.POST if step == "search" else None)
    context: dict[str, Any] = {"contact": contact, "form": form, "nav": "call"}
    if step == "search" and form.is_valid():
        context["results"] = _search(request, form.cleaned_data["q"])
    elif step == "link":
        choice = LinkPersonForm(request.POST)
        if choice.is_valid():
            person = people_selectors.access_person(request.user, choice.cleaned_data["person"])
            try:
                services.link_contact_to_person(request.user, contact=contact, person=person)
            except ValidationError as exc:
                context["problem"] = exc.messages[0]
            else:
                messages.success(request, _("The contact is linked to the person's record."))
                return redirect("listening:contact_detail", contact.pk)
    if request.htmx and step == "search":
        return render(request, "listening/calls/contact_link.html#link_results", context)
    return render(request, "listening/calls/contact_link.html", context)


# --- the person's history (a section of the person's page) ------------------------------


def person_history_section(user: Any, person: Person) -> dict[str, Any] | None:
    """The "History" section of a person's page: contacts, needs, alerts and follow-ups."""
    if not user_can(user, Perm.LISTENING_LOG):
        return None
    return {"entries": selectors.person_timeline(user, person, limit=50), "person": person}


def person_call_action(user: Any, person: Person) -> dict[str, Any] | None:
    """The "New call" button of a person's page."""
    if not user_can(user, Perm.LISTENING_LOG):
        return None
    return {"person": person}
