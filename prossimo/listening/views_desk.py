"""Daily work of the listening line: "Oggi", the desk queue, needs, alerts and follow-ups.

Thin views: they parse input, call a selector or a service, and render. Every object comes
through an `access_*` selector (outside the user's scope: 404).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.permissions import Perm
from prossimo.listening import selectors, services
from prossimo.listening.forms_desk import (
    CloseNeedForm,
    FollowUpDoneForm,
    ResolveAlertForm,
    VersionForm,
)
from prossimo.listening.models import Alert, Contact, FollowUp, Need
from prossimo.people.forms import add_errors
from prossimo.people.models import Person

PAGE_SIZE = 50
DESK_FILTERS = ("all", "waiting", "mine")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- labels shown in rows and in the buttons' accessible names --------------------------


def caller_label(person: Person | None, contact: Contact | None) -> str:
    """The person's name or, for an anonymous caller, the first name they gave."""
    if person is not None:
        return person.full_name
    name = contact.caller_first_name if contact is not None else ""
    if name:
        return _("anonymous caller %(name)s") % {"name": name}
    return _("anonymous caller")


def _category(need: Need) -> str:
    return need.category.label((get_language() or "it")[:2])


def _contact_urls() -> bool:
    """Whether the contact page exists yet (it belongs to the call screens)."""
    try:
        reverse("listening:contact_detail", args=["00000000-0000-0000-0000-000000000000"])
    except NoReverseMatch:
        return False
    return True


def _label_needs(needs: Iterable[Need]) -> list[Need]:
    needs = list(needs)
    linked = _contact_urls()
    for need in needs:
        need.who = caller_label(need.person, need.contact)  # type: ignore[attr-defined]
        need.what = _category(need)  # type: ignore[attr-defined]
        need.contact_url = (  # type: ignore[attr-defined]
            reverse("listening:contact_detail", args=[need.contact_id]) if linked else ""
        )
    return needs


def _label_alerts(alerts: Iterable[Alert], overdue_ids: set[Any]) -> list[Alert]:
    alerts = list(alerts)
    # No-ops where the selector already joined them (the alerts page); "Oggi" does not.
    prefetch_related_objects(alerts, "raised_by", "acknowledged_by")
    for alert in alerts:
        alert.who = caller_label(alert.person, alert.contact)  # type: ignore[attr-defined]
        alert.is_overdue = alert.pk in overdue_ids  # type: ignore[attr-defined]
    return alerts


def _open_url(follow_up: FollowUp, contact_pages: bool) -> str:
    """Where "Open" leads from a call-back: its need, else the person, else the contact."""
    if follow_up.need_id:
        return reverse("listening:need_detail", args=[follow_up.need_id])
    if follow_up.person_id:
        return reverse("people:detail", args=[follow_up.person_id])
    if follow_up.contact_id and contact_pages:
        return reverse("listening:contact_detail", args=[follow_up.contact_id])
    return ""


def _label_follow_ups(follow_ups: list[FollowUp]) -> list[FollowUp]:
    prefetch_related_objects(follow_ups, "contact")
    today = timezone.localdate()
    contact_pages = _contact_urls()
    for follow_up in follow_ups:
        follow_up.open_url = _open_url(follow_up, contact_pages)  # type: ignore[attr-defined]
        follow_up.who = caller_label(follow_up.person, follow_up.contact)  # type: ignore[attr-defined]
        follow_up.what = follow_up.reason or (  # type: ignore[attr-defined]
            _category(follow_up.need) if follow_up.need else ""
        )
        follow_up.is_overdue = follow_up.due_on < today  # type: ignore[attr-defined]
    return follow_ups


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go back after a one-click action: the page it was pressed on, if ours."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


# --- Oggi -------------------------------------------------------------------------------


def _audit_shown(user: Any, *groups: Iterable[Any], via: str) -> None:
    """Lists show people's needs and alerts: record who was shown what (one INSERT a kind)."""
    for group in groups:
        rows = [row for row in group if getattr(row, "person_id", None)]
        if rows:
            audit_access(user, rows, via=via)


@require_permission(Perm.LISTENING_LOG)
@require_GET
def today(request: HtmxHttpRequest) -> HttpResponse:
    """What the user should do today: call-backs, alerts to act on, the desk's needs."""
    work = selectors.worklist_today(request.user)
    context = {
        "nav": "listening",
        "today": timezone.localdate(),
        "follow_ups": _label_follow_ups(work.follow_ups),
        "alerts": _label_alerts(
            selectors.overdue_first(work.alerts, work.overdue_alert_ids), work.overdue_alert_ids
        ),
        "desk_needs": _label_needs(work.desk_needs),
        "overdue_count": len(work.overdue_alert_ids),
        "ack_minutes": selectors.alert_ack_minutes(),
        "here": reverse("listening:today"),
    }
    _audit_shown(request.user, work.follow_ups, work.alerts, work.desk_needs, via="worklist")
    return render(request, "listening/desk/today.html", context)


# --- the desk ---------------------------------------------------------------------------


@require_permission(Perm.DESK_WORK)
@require_GET
def desk(request: HtmxHttpRequest) -> HttpResponse:
    """The proximity desk's queue: needs handed over to it and those it is working on."""
    show = request.GET.get("show", "all")
    if show not in DESK_FILTERS:
        show = "all"
    needs = selectors.desk_queue(request.user)
    if show == "waiting":
        needs = needs.filter(status=Need.Status.HANDED_OVER)
    elif show == "mine":
        needs = needs.filter(status=Need.Status.IN_PROGRESS, owner_id=request.user.pk)
    page = Paginator(needs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "desk",
        "show": show,
        "page": page,
        "needs": _label_needs(page.object_list),
        "here": request.get_full_path(),
    }
    _audit_shown(request.user, page.object_list, via="desk")
    return render(request, "listening/desk/desk.html", context)


@require_permission(Perm.LISTENING_LOG)
@require_GET
def handed_over(request: HtmxHttpRequest) -> HttpResponse:
    """The needs the user handed over, and what became of them."""
    needs = selectors.needs_handed_over_by(request.user).select_related("contact")
    page = Paginator(needs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "listening", "page": page, "needs": _label_needs(page.object_list)}
    _audit_shown(request.user, page.object_list, via="list")
    return render(request, "listening/desk/handed_over.html", context)


def _need_page(
    request: HtmxHttpRequest, need: Need, *, close_form: CloseNeedForm | None = None
) -> HttpResponse:
    (labelled,) = _label_needs([need])
    context = {
        "nav": "desk",
        "need": labelled,
        "actions": selectors.need_actions(request.user, need),
        "close_form": close_form or CloseNeedForm(initial={"expected_version": need.version}),
        "here": reverse("listening:need_detail", args=[need.pk]),
    }
    return render(request, "listening/desk/need_detail.html", context)


@require_permission(Perm.LISTENING_LOG)
@require_GET
def need_detail(request: HtmxHttpRequest, need_id: str) -> HttpResponse:
    """A need with its context; take it, close it or hand it over from here."""
    need = selectors.access_need(request.user, need_id)
    audit_detail_access(request.user, need)
    return _need_page(request, need)


@require_permission(Perm.DESK_WORK)
@require_POST
def need_take(request: HtmxHttpRequest, need_id: str) -> HttpResponse:
    need = selectors.access_need(request.user, need_id, for_desk=True)
    try:
        services.take_need(
            request.user, need=need, expected_version=VersionForm(request.POST).version()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("You have taken “%(need)s” for %(who)s.")
            % {"need": _category(need), "who": caller_label(need.person, need.contact)},
        )
    return HttpResponseRedirect(reverse("listening:need_detail", args=[need.pk]))


@require_permission(Perm.LISTENING_LOG)
@require_POST
def need_close(request: HtmxHttpRequest, need_id: str) -> HttpResponse:
    """Close a need as met or not met. If someone changed it meanwhile, show the latest
    version with the text the user typed, ready to be sent again."""
    need = selectors.access_need(request.user, need_id)
    form = CloseNeedForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.close_need(
                request.user,
                need=need,
                met=data["result"] == CloseNeedForm.MET,
                outcome=data["outcome"],
                expected_version=data["expected_version"],
            )
        except services.ConcurrentEdit as exc:
            need = selectors.access_need(request.user, need_id)
            typed = request.POST.copy()
            typed["expected_version"] = str(need.version)
            form = CloseNeedForm(typed)
            form.is_valid()
            form.add_error(None, exc)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The need is closed."))
            return HttpResponseRedirect(reverse("listening:need_detail", args=[need.pk]))
    return _need_page(request, need, close_form=form)


@require_permission(Perm.LISTENING_LOG)
@require_POST
def need_hand_over(request: HtmxHttpRequest, need_id: str) -> HttpResponse:
    need = selectors.access_need(request.user, need_id)
    try:
        need = services.hand_over_need(
            request.user, need=need, expected_version=VersionForm(request.POST).version()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The need is handed over to %(desk)s.") % {"desk": need.owner_organisation.name},
        )
    return HttpResponseRedirect(reverse("listening:need_detail", args=[need.pk]))


# --- alerts -----------------------------------------------------------------------------


def _board_context(request: HtmxHttpRequest, *, notice: str = "") -> dict[str, Any]:
    board = selectors.alert_board(request.user)
    state = [(str(a.pk), a.status, a.pk in board.overdue_ids) for a in board.unresolved]
    state += [(str(a.pk), a.status, False) for a in board.resolved]
    return {
        "nav": "alerts",
        "unresolved": _label_alerts(board.unresolved, board.overdue_ids),
        "resolved": _label_alerts(board.resolved, set()),
        "overdue_count": len(board.overdue_ids),
        "ack_minutes": selectors.alert_ack_minutes(),
        "digest": hashlib.sha256(repr(state).encode()).hexdigest()[:16],
        "notice": notice,
        "here": reverse("listening:alerts"),
    }


@require_permission(Perm.ALERTS_MANAGE)
@require_GET
def alerts(request: HtmxHttpRequest) -> HttpResponse:
    """Alerts to act on, overdue first, and those resolved in the last week.

    The page asks for the list every few seconds; when nothing changed the answer is empty
    (204), so nothing is swapped and screen readers hear nothing new.
    """
    context = _board_context(request)
    if request.htmx and request.GET.get("seen") == context["digest"]:
        return HttpResponse(status=204)
    _audit_shown(request.user, context["unresolved"], context["resolved"], via="list")
    if request.htmx:
        return render(request, "listening/desk/alerts.html#refresh", context)
    return render(request, "listening/desk/alerts.html", context)


@require_permission(Perm.ALERTS_MANAGE)
@require_GET
def overdue_notice(request: HtmxHttpRequest) -> HttpResponse:
    """The overdue-alerts notice alone, for the live region of every page."""
    count = selectors.overdue_alert_count(request.user)
    return render(request, "listening/desk/_overdue_notice.html", {"overdue_count": count})


def _alert_page(
    request: HtmxHttpRequest, alert: Alert, *, form: ResolveAlertForm | None = None
) -> HttpResponse:
    (labelled,) = _label_alerts([alert], {alert.pk} if selectors.alert_is_overdue(alert) else set())
    context = {
        "nav": "alerts",
        "alert": labelled,
        "form": form or ResolveAlertForm(),
        "contact_url": (
            reverse("listening:contact_detail", args=[alert.contact_id])
            if alert.contact_id and _contact_urls()
            else ""
        ),
        "here": reverse("listening:alert_detail", args=[alert.pk]),
    }
    return render(request, "listening/desk/alert_detail.html", context)


@require_permission(Perm.ALERTS_MANAGE)
@require_GET
def alert_detail(request: HtmxHttpRequest, alert_id: str) -> HttpResponse:
    alert = selectors.access_alert(request.user, alert_id, for_write=True)
    audit_detail_access(request.user, alert)
    return _alert_page(request, alert)


@require_permission(Perm.ALERTS_MANAGE)
@require_POST
def alert_acknowledge(request: HtmxHttpRequest, alert_id: str) -> HttpResponse:
    """Say "I have seen it and I am acting". From the alerts page through HTMX the updated list
    comes back; otherwise the page the button was on."""
    alert = selectors.access_alert(request.user, alert_id, for_write=True)
    try:
        services.acknowledge_alert(request.user, alert=alert)
    except ValidationError as exc:
        notice = " ".join(exc.messages)
        ok = False
    else:
        notice = _("Alert acknowledged: %(flag)s, %(who)s.") % {
            "flag": alert.get_red_flag_display(),
            "who": caller_label(alert.person, alert.contact),
        }
        ok = True
    if request.htmx:
        context = _board_context(request, notice=notice)
        return render(request, "listening/desk/alerts.html#refresh", context)
    (messages.success if ok else messages.error)(request, notice)
    return HttpResponseRedirect(_next_url(request, reverse("listening:alerts")))


@require_permission(Perm.ALERTS_MANAGE)
@require_POST
def alert_resolve(request: HtmxHttpRequest, alert_id: str) -> HttpResponse:
    alert = selectors.access_alert(request.user, alert_id, for_write=True)
    form = ResolveAlertForm(request.POST)
    if form.is_valid():
        try:
            services.resolve_alert(
                request.user, alert=alert, resolution=form.cleaned_data["resolution"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The alert is resolved."))
            return HttpResponseRedirect(reverse("listening:alerts"))
    return _alert_page(request, alert, form=form)


# --- follow-ups -------------------------------------------------------------------------


@require_permission(Perm.LISTENING_LOG)
@require_POST
def follow_up_done(request: HtmxHttpRequest, follow_up_id: str) -> HttpResponse:
    """Mark a call-back done or cancelled from "Oggi"."""
    follow_up = selectors.access_follow_up(request.user, follow_up_id)
    form = FollowUpDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether the call-back was done or cancelled."))
    else:
        cancel = form.cleaned_data["action"] == FollowUpDoneForm.CANCEL
        try:
            services.complete_follow_up(request.user, follow_up=follow_up, cancel=cancel)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Call-back cancelled.") if cancel else _("Call-back marked as done."),
            )
    return HttpResponseRedirect(_next_url(request, reverse("listening:today")))
