"""Call pages of the social telephone service: "Chiamate di oggi", outcomes, plans, absences.

Thin views: they parse input, call a selector (`worklist`) or a service (`calls`), and render.
"Start call" opens the listening line's call form for the planned call (`?chiamata=<id>`, an
opaque id): this module registers that origin with the call form, which then shows the
programme's context and logs the conversation through `calls.log_planned_call`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from html import escape as _escape
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.forms import error_summary_items
from prossimo.core.permissions import Perm
from prossimo.core.phones import format_phone
from prossimo.listening.services import ConcurrentEdit
from prossimo.listening.views_calls import CallOrigin, register_call_origin
from prossimo.people.forms import add_errors
from prossimo.programmes import calls, worklist
from prossimo.programmes.calls import PLANNABLE_STATES, manages_organisation
from prossimo.programmes.forms_calls import (
    QUICK_OUTCOMES,
    AbsenceCancelForm,
    AbsenceForm,
    CallPlanForm,
    OutcomeForm,
)
from prossimo.programmes.models import CallAttempt, Enrolment, PlannedCall
from prossimo.programmes.selectors import access_enrolment

TODAY_TEMPLATE = "programmes/calls/today.html"
#: The query parameter (and hidden field of the call form) naming a planned call.
CALL_PARAM = "chiamata"
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@functools.lru_cache(maxsize=4096)
def shown_phone(number: str) -> str:
    """A stored number as people read it (`core.phones.format_phone`). Parsing a number costs
    about 30 µs: 6 ms for a list of 200 rows, which the lists redrawn all day long need not
    pay again (a pure function of the number; the cache lives in this process only)."""
    return format_phone(number)


def _url_maker(name: str) -> Callable[[Any], str]:
    """`reverse(name, args=[pk])` for many rows, resolved once."""
    pattern = reverse(name, args=[_PLACEHOLDER])
    return lambda pk: pattern.replace(_PLACEHOLDER, str(pk))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(slots=True)
class CallRow:
    """One row of "Chiamate di oggi", every value ready to print: with 200 rows, formatting
    in the template (dates, numbers, phone numbers, translations) costs more than the query."""

    id: str
    version: str
    who: str
    person_url: str
    phones: list[tuple[str, str]]
    by_backup: bool
    window: str
    overdue: str
    high: bool
    programme: str
    why: str
    last: str
    last_notes: str
    needs: str
    attempts: str
    last_try: str
    retry: str
    start_url: str
    outcome_url: str
    group_label: str


def call_rows(calls_: list[worklist.WorklistCall]) -> list[CallRow]:
    """The rows of `worklist.calls_for_today`, formatted once in Python: what is the same for
    every row (texts to translate, the programmes' names, the time zone) is worked out once."""
    person_url = _url_maker("people:detail")
    outcome_url = _url_maker("programmes:call_outcome")
    start = reverse("listening:call_new")
    language = (get_language() or "it")[:2]
    zone = timezone.get_current_timezone()
    due_on = _("due on %(date)s")
    try_again = _("try again from %(time)s")
    outcome_of = _("Outcome of the attempt: %(who)s")
    programmes: dict[Any, tuple[str, int]] = {}
    rows = []
    for call in calls_:
        shown = programmes.get(call.programme_id)
        if shown is None:
            shown = programmes[call.programme_id] = (
                call.programme_label(language),
                max(1, call.attempts_per_call),
            )
        who = call.who
        last_at = call.last_answered_at
        last_try_at = call.last_attempt_at
        rows.append(
            CallRow(
                id=str(call.pk),
                version=str(call.version),
                who=who,
                person_url=person_url(call.person_id),
                phones=[(number, shown_phone(number)) for number in call.phones],
                by_backup=call.by_backup,
                window=f"{call.window_start:%H:%M}–{call.window_end:%H:%M}",
                overdue=due_on % {"date": f"{call.due_on:%d/%m}"} if call.is_overdue else "",
                high=call.priority == 1,
                programme=shown[0],
                why=_short(" · ".join(t for t in (call.reason, call.fragility_notes) if t), 140),
                last=f"{last_at.astimezone(zone):%d/%m/%Y}" if last_at else "",
                last_notes=_short(call.last_notes or "", 160),
                needs="; ".join(
                    n.label(language) + (f" ({_short(n.note, 40)})" if n.note else "")
                    for n in call.open_needs
                ),
                attempts=f"{call.attempts} / {shown[1]}",
                last_try=f"{call.last_outcome_label}, {last_try_at.astimezone(zone):%H:%M}"
                if last_try_at
                else "",
                retry=try_again % {"time": f"{call.next_attempt_at.astimezone(zone):%H:%M}"}
                if call.waiting and call.next_attempt_at
                else "",
                start_url=f"{start}?{CALL_PARAM}={call.pk}",
                outcome_url=outcome_url(call.pk),
                group_label=outcome_of % {"who": who},
            )
        )
    return rows


class RowHtml:
    """The HTML of the rows of "Chiamate di oggi" (also the row an outcome redraws), built in
    Python from one format string: the page's fixed texts are translated once, each value is
    escaped once. The same markup as a template row, at a tenth of the cost: the template
    engine resolved some 35 variables and tags per row, 8 ms for 200 rows (decision 0010)."""

    ROW = (
        '<tr id="call-{id}"{overdue_class}>'
        '<th scope="row"{focus}><a href="{person_url}">{who}</a>{phones}{backup}</th>'
        "<td>{window}{overdue}{high}</td>"
        '<td><span class="d-block small">{programme}</span>{why}</td>'
        "<td>{last}</td>"
        "<td>{needs}</td>"
        "<td>{attempts}{last_try}{retry}</td>"
        '<td><a class="btn btn-primary btn-sm mb-2" href="{start_url}">{start}'
        '<span class="visually-hidden">: {who}</span></a>'
        '<form method="post" action="{outcome_url}" hx-post="{outcome_url}" '
        'hx-target="closest tr" hx-swap="outerHTML">{csrf}'
        '<input type="hidden" name="version" value="{version}">'
        '<label for="note-{id}" class="small">{note_label}'
        '<span class="visually-hidden">: {who}</span></label>'
        '<textarea name="notes" id="note-{id}" maxlength="500" rows="2" '
        'class="form-control form-control-sm mb-1" autocomplete="off"></textarea>'
        '<div class="d-flex flex-wrap gap-1" role="group" aria-label="{group_label}">'
        "{buttons}</div></form></td></tr>"
    )

    def __init__(self, request: HtmxHttpRequest, *, swapped: bool = False) -> None:
        self.fixed = {
            "csrf": str(csrf_input(request)),
            "buttons": "".join(
                format_html(
                    '<button type="submit" name="outcome" value="{}" '
                    'class="btn btn-outline-secondary btn-sm">{}</button>',
                    o.value,
                    o.label,
                )
                for o in QUICK_OUTCOMES
            ),
            "start": escape(_("Start call")),
            "note_label": escape(_("Note (optional)")),
            "focus": ' tabindex="-1" autofocus' if swapped else "",
        }
        self.backup = '<br><span class="small fw-normal">{}</span>'.format(
            escape(_("you call as the backup"))
        )
        self.overdue_badge = '<br><span class="badge bg-danger">{}</span> '.format(
            escape(_("overdue"))
        )
        self.high = '<br><span class="badge bg-primary">{}</span>'.format(
            escape(_("high priority"))
        )
        self.none_yet = escape(_("None yet"))

    def __call__(self, row: CallRow) -> SafeString:
        e = _escape  # Django's `escape` is this, wrapped for lazy strings and marked safe
        last = (
            f'<span class="small">{e(row.last)}</span>'
            + (f"<br>{e(row.last_notes)}" if row.last_notes else "")
            if row.last
            else self.none_yet
        )
        return mark_safe(  # noqa: S308 — every value below is escaped
            self.ROW.format(
                **self.fixed,
                id=e(row.id),
                version=e(row.version),
                overdue_class=' class="table-warning"' if row.overdue else "",
                person_url=e(row.person_url),
                who=e(row.who),
                phones="".join(
                    f'<br><a href="tel:{e(tel)}" class="small fw-normal">{e(shown)}</a>'
                    for tel, shown in row.phones
                ),
                backup=self.backup if row.by_backup else "",
                window=e(row.window),
                overdue=f'{self.overdue_badge}<span class="small">{e(row.overdue)}</span>'
                if row.overdue
                else "",
                high=self.high if row.high else "",
                programme=e(row.programme),
                why=e(row.why),
                last=last,
                needs=e(row.needs or "—"),
                attempts=e(row.attempts),
                last_try=f'<br><span class="small">{e(row.last_try)}</span>'
                if row.last_try
                else "",
                retry=f'<br><span class="small">{e(row.retry)}</span>' if row.retry else "",
                start_url=e(row.start_url),
                outcome_url=e(row.outcome_url),
                group_label=e(row.group_label),
            )
        )


def _today_context(request: HtmxHttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    found = worklist.calls_for_today(request.user, today)
    audit_access(request.user, found, via="worklist", model=PlannedCall)
    return {
        "nav": "calls",
        "today": today,
        # One string for the table's body: 200 rows printed by the template's loop cost
        # 200 variable resolutions and escapes for nothing (each row is escaped already).
        "rows": mark_safe("".join(map(RowHtml(request), call_rows(found)))),  # noqa: S308
        "count": len(found),
        "overdue_count": sum(1 for c in found if c.is_overdue),
    }


@require_permission(Perm.PROGRAMMES_CALL)
@require_GET
def calls_today(request: HtmxHttpRequest) -> HttpResponse:
    """The user's calls for today (and earlier ones still open), by time window and priority."""
    return render(request, TODAY_TEMPLATE, _today_context(request))


def _outcome_notice(call: PlannedCall, attempt: CallAttempt) -> str:
    who = call.person.full_name
    outcome = attempt.get_outcome_display()
    if call.status == PlannedCall.Status.DONE:
        return _("%(outcome)s: the call to %(who)s is closed.") % {"outcome": outcome, "who": who}
    if call.status == PlannedCall.Status.NOT_REACHED:
        return _(
            "%(outcome)s: %(who)s was not reached after %(n)d attempts; the call is closed."
        ) % {
            "outcome": outcome,
            "who": who,
            "n": call.attempts,
        }
    when = timezone.localtime(call.next_attempt_at) if call.next_attempt_at else None
    return _("%(outcome)s: try %(who)s again from %(time)s.") % {
        "outcome": outcome,
        "who": who,
        "time": time_format(when, "H:i") if when else "—",
    }


@require_permission(Perm.PROGRAMMES_CALL)
@require_POST
def call_outcome(request: HtmxHttpRequest, call_id: str) -> HttpResponse:
    """Record a quick outcome (no answer, busy, wrong number, refused). Through HTMX the answer
    is the updated row (and the message for the live region); otherwise back to the list."""
    call = worklist.access_planned_call(request.user, call_id, for_write=True)
    form = OutcomeForm(request.POST)
    ok = False
    if not form.is_valid():
        notice = _("Choose how the call went.")
    else:
        try:
            attempt = calls.record_attempt(
                request.user,
                call=call,
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
                expected_version=form.cleaned_data["version"],
            )
        except ConcurrentEdit:
            notice = _("This call was changed meanwhile (by a colleague or in another window).")
        except ValidationError as exc:
            notice = " ".join(exc.messages)
        else:
            call.refresh_from_db()
            notice = _outcome_notice(call, attempt)
            ok = True
    if request.htmx:
        found = worklist.calls_for_today(request.user, only=[call.pk])
        audit_access(request.user, found, via="worklist", model=PlannedCall)
        context = {
            "row": RowHtml(request, swapped=True)(call_rows(found)[0]) if found else None,
            "call": call,
            "notice": notice,
            "ok": ok,
        }
        return render(request, "programmes/calls/_outcome.html", context)
    (messages.success if ok else messages.error)(request, notice)
    return HttpResponseRedirect(reverse("programmes:calls_today"))


# --- the call plan of an enrolment --------------------------------------------------------


def _plan_page(
    request: HtmxHttpRequest, enrolment: Enrolment, form: CallPlanForm, *, status: int = 200
) -> HttpResponse:
    plan = worklist.plan_of(enrolment)
    context = {
        "nav": "calls",
        "enrolment": enrolment,
        "plan": plan,
        "form": form,
        "plannable": enrolment.state in PLANNABLE_STATES,
        "history": worklist.call_history(request.user, enrolment, limit=30),
        "error_summary": error_summary_items(
            form, form_anchor="plan-form", anchors={"weekdays": "id_weekdays_0"}
        )
        if form.is_bound
        else [],
    }
    audit_detail_access(request.user, enrolment, via="call_plan")
    return render(request, "programmes/calls/plan.html", context, status=status)


@require_permission(Perm.PROGRAMMES_MANAGE)
@require_http_methods(["GET", "POST"])
def call_plan(request: HtmxHttpRequest, enrolment_id: str) -> HttpResponse:
    """Set or change how often, when and by whom an enrolled person is called."""
    enrolment = access_enrolment(request.user, enrolment_id, for_write=True)
    if not manages_organisation(request.user, enrolment.organisation_id):
        raise PermissionDenied
    callers = worklist.eligible_callers(enrolment.organisation_id)
    if request.method == "GET":
        initial = CallPlanForm.initial_for(worklist.plan_of(enrolment), enrolment.programme)
        return _plan_page(request, enrolment, CallPlanForm(initial=initial, callers=callers))
    form = CallPlanForm(request.POST, callers=callers)
    if form.is_valid():
        try:
            calls.set_call_plan(request.user, enrolment=enrolment, **form.plan_input())
        except ConcurrentEdit as exc:
            # Keep what was typed, against the latest version: sending it again applies it.
            plan = worklist.plan_of(enrolment)
            typed = request.POST.copy()
            typed["version"] = str(plan.version if plan else 0)
            form = CallPlanForm(typed, callers=callers)
            form.is_valid()
            form.add_error(None, exc)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The call plan is saved."))
            return HttpResponseRedirect(reverse("programmes:call_plan", args=[enrolment.pk]))
    return _plan_page(request, enrolment, form)


# --- absences -----------------------------------------------------------------------------


def _absences_page(request: HtmxHttpRequest, form: AbsenceForm) -> HttpResponse:
    today = timezone.localdate()
    uncovered = worklist.uncovered_calls(request.user, today)
    audit_access(request.user, uncovered, via="absences")
    plan_url = _url_maker("programmes:call_plan")
    for call in uncovered:
        call.plan_url = plan_url(call.enrolment_id)  # type: ignore[attr-defined]
    context = {
        "nav": "calls",
        "today": today,
        "absences": worklist.absences_for(request.user, today=today),
        "uncovered": uncovered,
        "form": form,
        "error_summary": error_summary_items(form, form_anchor="absence-form")
        if form.is_bound
        else [],
    }
    return render(request, "programmes/calls/absences.html", context)


@require_permission(Perm.PROGRAMMES_MANAGE)
@require_http_methods(["GET", "POST"])
def absences(request: HtmxHttpRequest) -> HttpResponse:
    """Volunteers away: record an absence (their calls go to the backups), see the calls
    nobody can make."""
    candidates = worklist.absence_candidates(request.user)
    if request.method == "GET":
        return _absences_page(request, AbsenceForm(candidates=candidates))
    form = AbsenceForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            data = form.absence_input()
            calls.record_absence(request.user, **data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The absence of %(who)s is recorded; their calls go to the backups.")
                % {"who": data["user"].get_full_name() or data["user"].username},
            )
            return HttpResponseRedirect(reverse("programmes:call_absences"))
    return _absences_page(request, form)


@require_permission(Perm.PROGRAMMES_MANAGE)
@require_POST
def absence_cancel(request: HtmxHttpRequest) -> HttpResponse:
    """Cancel an absence (the id travels in the form, not in the address)."""
    form = AbsenceCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an absence to cancel."))
        return HttpResponseRedirect(reverse("programmes:call_absences"))
    absence = worklist.access_absence(request.user, form.cleaned_data["absence"])
    try:
        calls.cancel_absence(request.user, absence=absence)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The absence is cancelled."))
    return HttpResponseRedirect(reverse("programmes:call_absences"))


# --- the call form of the listening line, opened for a planned call -----------------------


def call_origin(user: Any, value: str, for_write: bool) -> CallOrigin:
    """The planned call `value` as the call form's origin: the person, their number, the
    programme's context panel, and logging through `calls.log_planned_call`."""
    call = worklist.access_planned_call(user, value, for_write=for_write)
    context = worklist.call_context(call)
    phone = call.person.phones.order_by("pk").values_list("number", flat=True).first()
    enrolment = call.enrolment
    return CallOrigin(
        param=CALL_PARAM,
        value=str(call.pk),
        person=call.person,
        caller_number=phone or "",
        panel_template="programmes/calls/_call_context.html",
        panel={
            "call": call,
            "enrolment": enrolment,
            "programme": enrolment.programme,
            "last": context.last_answered,
            "last_notes": worklist.last_notes(context.last_answered),
            "attempts": context.attempts,
        },
        record=call,
        log=functools.partial(calls.log_planned_call, call=call),
        done_url=reverse("programmes:calls_today"),
    )


# The call form finds planned calls through this; this module is imported with the URLs,
# before any request reaches the call form.
register_call_origin(CALL_PARAM, call_origin)
