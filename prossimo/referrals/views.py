"""Pages of closed-loop referrals: send a need to a service, the receiving organisation's
queue, the referrals one's organisation sent, a referral's page with its states and history.

Thin views: they parse input, call `referrals.selectors` or `referrals.services` and render.
Every referral comes through `selectors.access_referral`, every need through
`listening.selectors.access_need`; every page showing referrals records them in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_access, audit_detail_access
from prossimo.core.permissions import Perm, user_can
from prossimo.directory.models import Service
from prossimo.listening.selectors import access_need
from prossimo.listening.services import ConcurrentEdit
from prossimo.people.forms import add_errors
from prossimo.people.models import Person
from prossimo.referrals import selectors, services
from prossimo.referrals.forms import QueueFilterForm, SendReferralForm, ServiceSaidForm, StateForm
from prossimo.referrals.models import ALLOWED_TRANSITIONS, Referral, ReferralTransition

S = Referral.State
Via = ReferralTransition.Via
PAGE_SIZE = 25
#: At most this many services are offered for a need (those meeting it, by name).
MAX_SERVICES = 100
#: The order in which the possible moves are offered, and what each button says.
MOVE_LABELS = {
    S.RECEIVED: gettext_lazy("Mark as received"),
    S.ACCEPTED: gettext_lazy("Accept"),
    S.REJECTED: gettext_lazy("Decline"),
    S.IN_PROGRESS: gettext_lazy("Start working on it"),
    S.ON_HOLD: gettext_lazy("Put on hold"),
    S.COMPLETED: gettext_lazy("Report it completed"),
    S.FAILED: gettext_lazy("Report it failed"),
    S.CANCELLED: gettext_lazy("Cancel the referral"),
}
#: Moves drawn as a warning (they end the referral without the service being given).
DANGER = frozenset({S.REJECTED, S.FAILED, S.CANCELLED})


# --- lists --------------------------------------------------------------------------------


def _rows(user: Any, referrals: list[Referral]) -> list[dict[str, Any]]:
    return [{"r": r, "named": selectors.shows_person(user, r)} for r in referrals]


@require_permission(Perm.REFERRALS_RECEIVE)
@require_GET
def incoming(request: HttpRequest) -> HttpResponse:
    """ "Invii ricevuti": the referrals sent to the user's organisations, one state at a time."""
    state = QueueFilterForm(request.GET).state(S.REQUESTED)
    counts = selectors.count_by_state(selectors.incoming_queue(request.user))
    page = Paginator(selectors.incoming_queue(request.user, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    referrals = list(page.object_list)
    audit_access(request.user, referrals, via="list")
    context = {
        "state": state,
        "state_label": S(state).label if state else "",
        "tabs": [(value, label, counts[value]) for value, label in S.choices],
        "page": page,
        "rows": _rows(request.user, referrals),
        "section": "incoming",
        "nav": "referrals_in",
    }
    return render(request, "referrals/incoming.html", context)


@require_permission(Perm.REFERRALS_SEND)
@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    """The referrals the user's organisations sent, newest first, with where each stands."""
    page = Paginator(selectors.sent_by_organisations(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    referrals = list(page.object_list)
    audit_access(request.user, referrals, via="list")
    context = {
        "page": page,
        "rows": _rows(request.user, referrals),
        "section": "sent",
        "nav": "referrals_out",
    }
    return render(request, "referrals/sent.html", context)


# --- sending ------------------------------------------------------------------------------


def _service_choices(need: Any, wanted: str) -> tuple[list[tuple[str, str]], Service | None]:
    """Active services meeting the need's category (or its parent or sub-categories), by
    name, and the service named in the address first if it is active."""
    category = need.category
    meets = Q(needs_met__category=category.pk) | Q(needs_met__category__parent=category.pk)
    if category.parent_id:
        meets |= Q(needs_met__category=category.parent_id)
    active = Service.objects.filter(status=Service.Status.ACTIVE).select_related("organization")
    services_ = list(active.filter(meets).distinct().order_by("name", "id")[:MAX_SERVICES])
    chosen = None
    if wanted:
        try:
            chosen = active.filter(pk=selectors._parse_id(wanted)).first()
        except Http404:
            chosen = None
    if chosen is not None and chosen not in services_:
        services_.insert(0, chosen)
    return [(str(s.pk), f"{s.name} – {s.organization.name}") for s in services_], chosen


def _phone_choices(person: Person | None) -> list[tuple[str, str]]:
    if person is None:
        return []
    return [
        (p.number, f"{p.number} ({p.get_kind_display()})") for p in person.phones.order_by("pk")
    ]


@require_permission(Perm.REFERRALS_SEND)
def new(request: HttpRequest) -> HttpResponse:
    """Send a need to a service (`?need=<uuid>&service=<uuid>`: opaque ids, nothing personal):
    pick or confirm the service, write the summary, record the consent, choose a phone."""
    params = request.POST if request.method == "POST" else request.GET
    need = access_need(request.user, params.get("need", ""))
    wanted = params.get("service", "")
    service_choices, chosen = _service_choices(need, wanted)
    phones = _phone_choices(need.person)
    initial = {"service": str(chosen.pk) if chosen else ""}
    if len(phones) == 1:
        initial["contact_phone"] = phones[0][0]
    form = SendReferralForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        services=service_choices,
        phones=phones,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service = Service.objects.get(pk=data["service"])
        try:
            referral = services.send_referral(
                request.user,
                need=need,
                service=service,
                summary=data["summary"],
                consent_to_share=data["consent_to_share"],
                contact_phone=data["contact_phone"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The referral is sent to “%(service)s”.") % {"service": service.name},
            )
            return redirect("referrals:detail", referral.pk)
    if need.person is not None:
        audit_detail_access(request.user, need.person, via="page")
    destination = services.destination_of(chosen) if chosen else None
    context = {
        "need": need,
        "person": need.person,
        "form": form,
        "error_summary": form.error_summary() if form.is_bound else [],
        "already": selectors.referrals_for_need(request.user, need),
        "chosen": chosen,
        "in_prossimo": destination is not None and destination.organisation_id is not None,
        "nav": "referrals_out",
    }
    return render(request, "referrals/new.html", context)


# --- a referral's page ----------------------------------------------------------------------


def _referral_page(
    request: HttpRequest,
    referral: Referral,
    *,
    bound: StateForm | ServiceSaidForm | None = None,
) -> HttpResponse:
    user = request.user
    moves = []
    for to_state in MOVE_LABELS:
        if to_state not in ALLOWED_TRANSITIONS[referral.state]:
            continue
        if not selectors.may_move(user, referral, to_state):
            continue
        form = (
            bound
            if isinstance(bound, StateForm) and bound.to_state == to_state
            else StateForm(to_state=to_state, initial={"expected_version": referral.version})
        )
        moves.append(
            {
                "to": to_state,
                "label": S(to_state).label,
                "action": MOVE_LABELS[to_state],
                "danger": to_state in DANGER,
                "form": form,
            }
        )
    # For a referral nobody receives in Prossimo: what the service said, recorded by the sender.
    told_states = selectors.states_the_service_may_report(user, referral)
    told = None
    if told_states:
        told = (
            bound
            if isinstance(bound, ServiceSaidForm)
            else ServiceSaidForm(states=told_states, initial={"expected_version": referral.version})
        )
    shown = [m["form"] for m in moves] + [told]
    lost = bound if bound is not None and not any(f is bound for f in shown) else None
    audit_detail_access(user, referral, via="page")  # every page showing it, errors included
    is_receiver = selectors.is_receiving_side(user, referral)
    context = {
        "referral": referral,
        "named": selectors.shows_person(user, referral),
        "person_visible": selectors.person_is_visible(user, referral.person_id),
        "history": selectors.referral_history(referral),
        "moves": moves,
        "told": told,
        "told_via": Via.PHONE,
        "lost": lost,
        "error_summary": bound.error_summary() if bound is not None else [],
        "is_receiver": is_receiver,
        "nav": "referrals_in" if is_receiver else "referrals_out",
    }
    return render(request, "referrals/detail.html", context)


@require_permission(Perm.PEOPLE_VIEW)
@require_GET
def detail(request: HttpRequest, referral_id: str) -> HttpResponse:
    """A referral: the need, the service, who sent it, what is shared, its states and history.
    The receiving organisation opening it marks it received."""
    referral = selectors.access_referral(request.user, referral_id)
    if referral.state == S.REQUESTED:
        moved = services.mark_received(request.user, referral=referral)
        if moved.state != S.REQUESTED:
            referral = selectors.access_referral(request.user, referral_id)
    return _referral_page(request, referral)


@require_permission(Perm.PEOPLE_VIEW)
@require_POST
def change_state(request: HttpRequest, referral_id: str) -> HttpResponse:
    """Move the referral to another state, or record the state a service outside Prossimo
    reported (`via=phone`). If someone else changed it meanwhile, show the latest version with
    what the user typed, ready to be sent again."""
    referral = selectors.access_referral(request.user, referral_id, for_write=True)
    if request.POST.get("via") == Via.PHONE:
        return _record_what_the_service_said(request, referral)
    to_state = request.POST.get("to_state", "")
    if to_state not in S.values:
        messages.error(request, _("Choose one of the states offered."))
        return redirect("referrals:detail", referral.pk)
    form = StateForm(request.POST, to_state=to_state)
    if not form.is_valid():
        return _referral_page(request, referral, bound=form)
    return _move(
        request,
        referral,
        form,
        to_state,
        via=Via.UI,
        again=lambda _latest, typed: StateForm(typed, to_state=to_state),
    )


def _record_what_the_service_said(request: HttpRequest, referral: Referral) -> HttpResponse:
    """The "Record what the service said" form of `change_state` (sending side, referrals
    nobody receives in Prossimo; anyone else 403)."""
    user = request.user
    if not selectors.may_record_what_the_service_said(user, referral):
        raise PermissionDenied
    form = ServiceSaidForm(
        request.POST, states=selectors.states_the_service_may_report(user, referral)
    )
    if not form.is_valid():
        return _referral_page(request, referral, bound=form)
    return _move(
        request,
        referral,
        form,
        form.cleaned_data["to_state"],
        via=Via.PHONE,
        again=lambda latest, typed: ServiceSaidForm(
            typed, states=selectors.states_the_service_may_report(user, latest)
        ),
    )


def _move(
    request: HttpRequest,
    referral: Referral,
    form: StateForm | ServiceSaidForm,
    to_state: str,
    *,
    via: str,
    again: Callable[[Referral, QueryDict], StateForm | ServiceSaidForm],
) -> HttpResponse:
    """Make the move a valid `form` asks for. If someone else changed the referral meanwhile,
    the page shows its latest version with what the user typed (`again` builds the form anew
    for it), ready to be sent again; a move the rules refuse shows why."""
    try:
        services.change_referral_state(
            request.user,
            referral=referral,
            to_state=to_state,
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["expected_version"],
            via=via,
        )
    except ConcurrentEdit as exc:
        referral = selectors.access_referral(request.user, referral.pk)
        typed = request.POST.copy()
        typed[f"{form.prefix}-expected_version"] = str(referral.version)
        form = again(referral, typed)
        form.is_valid()
        form.add_error(None, exc)
    except ValidationError as exc:
        add_errors(form, exc)
    else:
        messages.success(
            request, _("The referral is now “%(state)s”.") % {"state": S(to_state).label}
        )
        return redirect("referrals:detail", referral.pk)
    return _referral_page(request, referral, bound=form)


# --- the person's page ----------------------------------------------------------------------


def person_referrals_section(user: Any, person: Person) -> dict[str, Any] | None:
    """The "Referrals to services" section of a person's page (nothing when there are none)."""
    if not user_can(user, Perm.PEOPLE_VIEW):
        return None
    referrals = selectors.referrals_of_person(user, person)
    if not referrals:
        return None
    return {"referrals": referrals, "person": person}
