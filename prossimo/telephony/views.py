"""Telephony pages: the live region of every page (calls ringing, duty, overdue alerts), the
duty page, and taking a call from the banner."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from prossimo.core.access import require_permission
from prossimo.core.permissions import Perm, user_can
from prossimo.telephony import selectors, services
from prossimo.telephony.session import remember_duty

#: htmx stops polling when it receives this status (and still shows the content).
STOP_POLLING = 286


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _region_context(request: HtmxHttpRequest, state: selectors.LiveState) -> dict[str, Any]:
    remember_duty(request, state.on_duty)
    return {
        "show": True,
        "mode": state.mode,
        "live": state,
        "calls": selectors.banner(request.user, state),
    }


def _region(request: HtmxHttpRequest, state: selectors.LiveState) -> HttpResponse:
    """The whole region, in the mode the user's duty asks for, replacing the page's."""
    response = render(request, "telephony/_live_region.html", _region_context(request, state))
    response["HX-Reswap"] = "outerHTML"
    return response


@require_GET
def live(request: HtmxHttpRequest) -> HttpResponse:
    """The live region's content, polled by the pages of those who log calls.

    The page sends back its region's mode and the keys of what it shows (`mode`, `calls`,
    `overdue`). The duty changed (here, on another device, or it expired): the whole region,
    in its new mode. Nothing changed: no content (204), so the banner's alert is not announced
    again. Only the overdue alerts changed: that part alone, out of band. Else the content.
    """
    if request.htmx and not user_can(request.user, Perm.LISTENING_LOG):
        # A page left open after the session ended, or the role was withdrawn: empty the
        # region and stop asking (an error would be asked again at every poll).
        return HttpResponse(status=STOP_POLLING)
    return _live(request)


@require_permission(Perm.LISTENING_LOG)
def _live(request: HtmxHttpRequest) -> HttpResponse:
    state = selectors.live_state(request.user)
    if request.htmx and request.GET.get("mode") != state.mode:
        return _region(request, state)
    if request.GET.get("calls") == state.calls_key:
        if request.GET.get("overdue") == state.overdue_key:
            return HttpResponse(status=204)
        response = render(request, "telephony/_live.html#overdue", {"live": state, "oob": True})
        response["HX-Reswap"] = "none"
        return response
    context = {"live": state, "calls": selectors.banner(request.user, state)}
    return render(request, "telephony/_live.html", context)


@require_permission(Perm.LISTENING_LOG)
@require_http_methods(["GET", "POST"])
def duty(request: HtmxHttpRequest) -> HttpResponse:
    """Start or end one's duty; the page also shows the calls waiting, without JavaScript."""
    if request.method == "POST":
        if request.POST.get("action") == "end":
            services.end_duty(request.user)
        else:
            services.start_duty(request.user)
        state = selectors.live_state(request.user)
        if request.htmx:
            return _region(request, state)
        remember_duty(request, state.on_duty)
        return redirect("telephony:duty")
    state = selectors.live_state(request.user)
    return render(request, "telephony/duty.html", _region_context(request, state))


@require_permission(Perm.LISTENING_LOG)
@require_POST
def answer(request: HtmxHttpRequest, call_id: str) -> HttpResponse:
    """Take a call from the banner: a draft call form with the caller's number, which never
    appears in a URL."""
    call = selectors.access_call(request.user, call_id)
    try:
        contact = services.take_call(request.user, call=call)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("telephony:duty")
    return HttpResponseRedirect(reverse("listening:call_draft", args=[contact.pk]))
