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
from django.utils.translation import get_language, ngettext
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
DESK_FILTERS = ("all", "waiting", "mine", "todo")


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


class _UrlFor:
    """The URL of a route taking one UUID, for every row of a list: reversed once, then each
    row's id put in (a `reverse` a row, two or three a row, was a good part of a list's cost).
    Empty URLs when the route does not exist (yet)."""

    _STAND_IN = "00000000-0000-0000-0000-000000000000"

    def __init__(self, name: str) -> None:
        self.parts: tuple[str, str] | None = None
        try:
            url = reverse(name, args=[self._STAND_IN])
        except NoReverseMatch:
            return
        prefix, _stand_in, suffix = url.partition(self._STAND_IN)
        self.parts = (prefix, suffix)

    def __call__(self, pk: Any) -> str:
        if self.parts is None or pk is None:
            return ""
        return f"{self.parts[0]}{pk}{self.parts[1]}"


def _contact_urls() -> bool:
    """Whether the contact page exists yet (it belongs to the call screens)."""
    return _UrlFor("listening:contact_detail").parts is not None


def _when(moment: Any) -> str:
    """A moment as rows show it (the `date:"d/m/Y H:i"` of templates, in local time)."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _name(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _label_needs(needs: Iterable[Need]) -> list[Need]:
    """Who and what of each need, and the link to its contact (every page listing needs)."""
    needs = list(needs)
    contact_url = _UrlFor("listening:contact_detail")
    for need in needs:
        need.who = caller_label(need.person, need.contact)  # type: ignore[attr-defined]
        need.what = _category(need)  # type: ignore[attr-defined]
        need.contact_url = contact_url(need.contact_id)  # type: ignore[attr-defined]
    return needs


# The tables' rows (`_need_table.html`, `_alert_table.html`, `_follow_up_table.html`) are
# dicts of what they show, made here rather than by template tags: a list renders tens of rows,
# and a tag a text (translation, URL, date format), or an attribute looked up on a model
# instance, cost more than the rest of the page together. The msgids are the templates' ones.


def _need_rows(needs: Iterable[Need], user: Any) -> list[dict[str, Any]]:
    """A row of the desk's table for each need (with `selectors.DESK_RELATED` joined)."""
    needs = _label_needs(needs)
    detail_url = _UrlFor("listening:need_detail")
    take_url = _UrlFor("listening:need_take")
    badges: dict[str, str] = {
        Need.Status.HANDED_OVER: "bg-warning text-dark",
        Need.Status.IN_PROGRESS: "bg-primary",
        Need.Status.MET: "bg-success",
        Need.Status.UNMET: "bg-secondary",
    }
    about = _("about %(age)s years old")
    yours = _("you are working on it")
    taken_by = _("taken by %(name)s")
    the_contact = _("The contact of %(when)s and its notes")
    by = _("by %(name)s")
    for_whom = _("%(need)s for %(who)s")
    rows = []
    for need in needs:
        contact = need.contact
        where = ""
        if need.person is not None:
            where = need.person.municipality.label
        elif contact is not None:
            if contact.caller_municipality_id:
                where = contact.caller_municipality.name  # type: ignore[union-attr]
            if contact.caller_approx_age:
                where = f"{where} · {about % {'age': contact.caller_approx_age}}"
        owner = ""
        if need.owner_id is not None:
            owner = yours if need.owner_id == user.pk else taken_by % {"name": _name(need.owner)}
        who, what = need.who, need.what  # type: ignore[attr-defined]
        rows.append(
            {
                "pk": need.pk,
                "who": who,
                "what": what,
                "where": where,
                "note": need.note,
                "contact_url": need.contact_url,  # type: ignore[attr-defined]
                "contact_text": (
                    the_contact % {"when": _when(contact.started_at)} if contact else ""
                ),
                "handed": _when(need.handed_over_at),
                "handed_by": by % {"name": _name(need.handed_over_by)}
                if need.handed_over_by_id
                else "",
                "badge": badges.get(need.status, "bg-light text-dark border"),
                "status": need.get_status_display(),
                "owner": owner,
                "takeable": need.owner_id is None,
                "version": need.version,
                "detail_url": detail_url(need.pk),
                "take_url": take_url(need.pk),
                "action_label": for_whom % {"need": what, "who": who},
            }
        )
    return rows


def _label_alerts(alerts: Iterable[Alert], overdue_ids: set[Any]) -> list[Alert]:
    """Who each alert is about, and whether it is overdue (an alert's page, resolved lists)."""
    alerts = list(alerts)
    for alert in alerts:
        alert.who = caller_label(alert.person, alert.contact)  # type: ignore[attr-defined]
        alert.is_overdue = alert.pk in overdue_ids  # type: ignore[attr-defined]
    return alerts


def _alert_rows(alerts: Iterable[Alert], overdue_ids: set[Any]) -> list[dict[str, Any]]:
    """A row of the alerts' table for each alert (with `selectors.ALERT_RELATED` joined)."""
    alerts = list(alerts)
    # No-ops where the selector already joined them.
    prefetch_related_objects(alerts, "raised_by", "acknowledged_by")
    detail_url = _UrlFor("listening:alert_detail")
    acknowledge_url = _UrlFor("listening:alert_acknowledge")
    waiting = _("Waiting for acknowledgement")
    acknowledged = _("Acknowledged by %(name)s at %(time)s")
    by = _("by %(name)s")
    minutes = selectors.alert_ack_minutes()
    late = ngettext(
        "not acknowledged within %(n)s minute", "not acknowledged within %(n)s minutes", minutes
    ) % {"n": minutes}
    rows = []
    for alert in alerts:
        who = caller_label(alert.person, alert.contact)
        flag = alert.title
        overdue = alert.pk in overdue_ids
        if overdue:
            status = late
        elif alert.status == Alert.Status.ACKNOWLEDGED:
            status = acknowledged % {
                "name": _name(alert.acknowledged_by),
                "time": timezone.localtime(alert.acknowledged_at).strftime("%H:%M")
                if alert.acknowledged_at
                else "",
            }
        else:
            status = waiting
        rows.append(
            {
                "pk": alert.pk,
                "who": who,
                "flag": flag,
                "is_overdue": overdue,
                "raised": _when(alert.created_at),
                "raised_by": by % {"name": _name(alert.raised_by)} if alert.raised_by_id else "",
                "status": status,
                "can_acknowledge": alert.status == Alert.Status.OPEN,
                "detail_url": detail_url(alert.pk),
                "acknowledge_url": acknowledge_url(alert.pk),
                "action_label": f"{flag}, {who}",
            }
        )
    return rows


def _follow_up_rows(follow_ups: Iterable[FollowUp]) -> list[dict[str, Any]]:
    """A row of the call-backs' table for each follow-up (`selectors.FOLLOW_UP_RELATED`)."""
    follow_ups = list(follow_ups)
    prefetch_related_objects(follow_ups, "contact")
    today = timezone.localdate()
    need_url = _UrlFor("listening:need_detail")
    person_url = _UrlFor("people:detail")
    contact_url = _UrlFor("listening:contact_detail")
    done_url = _UrlFor("listening:follow_up_done")
    any_time = _("any time")
    due_on = _("due on %(date)s")
    call_back_to = _("call-back to %(who)s")
    rows = []
    for follow_up in follow_ups:
        who = caller_label(follow_up.person, follow_up.contact)
        # Where "Open" leads from a call-back: its need, else the person, else the contact.
        if follow_up.need_id:
            open_url = need_url(follow_up.need_id)
        elif follow_up.person_id:
            open_url = person_url(follow_up.person_id)
        else:
            open_url = contact_url(follow_up.contact_id)
        window = any_time
        if follow_up.window_start:
            window = follow_up.window_start.strftime("%H:%M")
            if follow_up.window_end:
                window += f"–{follow_up.window_end.strftime('%H:%M')}"
        overdue = follow_up.due_on < today
        rows.append(
            {
                "pk": follow_up.pk,
                "who": who,
                "what": follow_up.reason
                or (_category(follow_up.need) if follow_up.need_id else ""),  # type: ignore[arg-type]
                "is_overdue": overdue,
                "due": due_on % {"date": follow_up.due_on.strftime("%d/%m/%Y")} if overdue else "",
                "window": window,
                "on_duty": follow_up.assignee_id is None,
                "open_url": open_url,
                "done_url": done_url(follow_up.pk),
                "action_label": call_back_to % {"who": who},
            }
        )
    return rows


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
    """Lists show people's needs, alerts and call-backs: record who was shown what, every row
    about a person (one INSERT for the whole page)."""
    rows = [row for group in groups for row in group if getattr(row, "person_id", None)]
    if rows:
        audit_access(user, rows, via=via)


@require_permission(Perm.LISTENING_LOG)
@require_GET
def today(request: HtmxHttpRequest) -> HttpResponse:
    """What the user should do today, the most urgent first: call-backs, alerts to act on, the
    desk's needs. Each section shows its first rows (`selectors.TODAY_ROWS`), how many there
    are, and links the whole list."""
    work = selectors.worklist_today(request.user)
    context = {
        "nav": "listening",
        "today": timezone.localdate(),
        "follow_ups": _follow_up_rows(work.follow_ups),
        "follow_up_count": work.follow_up_count,
        "alerts": _alert_rows(work.alerts, work.overdue_alert_ids),
        "alert_count": work.alert_count,
        "desk_needs": _need_rows(work.desk_needs, request.user),
        "desk_need_count": work.desk_need_count,
        "overdue_count": work.overdue_alert_count,
        "ack_minutes": selectors.alert_ack_minutes(),
        "here": reverse("listening:today"),
    }
    _audit_shown(request.user, work.follow_ups, work.alerts, work.desk_needs, via="worklist")
    return render(request, "listening/desk/today.html", context)


@require_permission(Perm.LISTENING_LOG)
@require_GET
def follow_ups(request: HtmxHttpRequest) -> HttpResponse:
    """Every call-back due today or earlier for the user (theirs or for whoever is on duty),
    the most urgent first, a page at a time: the whole list behind "Oggi"'s first rows."""
    page = Paginator(selectors.follow_ups_due(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    shown = list(page.object_list)
    context = {
        "nav": "listening",
        "page": page,
        "follow_ups": _follow_up_rows(shown),
        "here": request.get_full_path(),
    }
    _audit_shown(request.user, shown, via="list")
    return render(request, "listening/desk/follow_ups.html", context)


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
    elif show == "todo":  # what "Oggi" lists: waiting to be taken, or mine
        needs = selectors.desk_to_do(request.user)
    page = Paginator(needs, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    context = {
        "nav": "desk",
        "show": show,
        "page": page,
        "needs": _need_rows(shown, request.user),
        "here": request.get_full_path(),
    }
    _audit_shown(request.user, shown, via="desk")
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
    page_number = request.POST.get("page") or request.GET.get("page")
    board = selectors.alert_board(request.user, page=page_number, per_page=PAGE_SIZE)
    state: list[Any] = [(str(a.pk), a.status, a.pk in board.overdue_ids) for a in board.unresolved]
    state += [(str(a.pk), a.status, False) for a in board.resolved]
    state.append((board.unresolved_count, board.overdue_count))
    number = board.page.number if board.page is not None else 1
    return {
        "nav": "alerts",
        "unresolved": _alert_rows(board.unresolved, board.overdue_ids),
        "shown": [*board.unresolved, *board.resolved],
        "unresolved_count": board.unresolved_count,
        "resolved": _label_alerts(board.resolved, set()),
        "overdue_count": board.overdue_count,
        "ack_minutes": selectors.alert_ack_minutes(),
        "digest": hashlib.sha256(repr(state).encode()).hexdigest()[:16],
        "notice": notice,
        "page": board.page,
        "page_number": number if number > 1 else None,
        "here": reverse("listening:alerts") + (f"?page={number}" if number > 1 else ""),
    }


@require_permission(Perm.ALERTS_MANAGE)
@require_GET
def alerts(request: HtmxHttpRequest) -> HttpResponse:
    """Alerts to act on, overdue first, a page at a time; and those resolved in the last week.

    The page asks for the list every few seconds; when nothing changed the answer is empty
    (204), so nothing is swapped and screen readers hear nothing new.
    """
    context = _board_context(request)
    if request.htmx and request.GET.get("seen") == context["digest"]:
        return HttpResponse(status=204)
    _audit_shown(request.user, context["shown"], via="list")
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
