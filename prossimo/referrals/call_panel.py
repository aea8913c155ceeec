"""What the referrals app adds to the listening line's pages.

- The call form's "Useful services" panel: while on the phone, the volunteer sees the active
  services of the directory that meet the needs chosen and serve the caller's municipality,
  and for each can record "information given" or (staff with `referrals.send`, for a
  registered person) send a referral, without leaving the call. Its fields are part of the
  call form (so drafts keep them); what they ask is checked before the call is logged and
  recorded in the same transaction.
- Under each need of the listening pages' lists: where its referrals stand and which
  services the caller was told about (`need_status_notes`).

The listening line knows nothing of this module: `ReferralsConfig.ready` registers both with
`listening.call_panels`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from prossimo.core.permissions import Perm, user_can
from prossimo.core.phones import format_phone
from prossimo.directory.formatting import schedule_summary, tel_href
from prossimo.directory.models import Service
from prossimo.directory.search import ServiceHit, ServiceQuery, hits_for, search_statement
from prossimo.listening.call_panels import CallPanel, CallSituation
from prossimo.listening.models import Contact, Need
from prossimo.referrals.selectors import information_by_need, referral_status_by_need
from prossimo.referrals.services import (
    SUMMARY_MAX,
    record_information_given,
    send_referral,
)
from prossimo.referrals.templatetags.referrals import need_status_context

#: How many services the panel shows for each need: the phone call needs a few good ones.
PER_NEED = 5
TEMPLATE = "referrals/_call_services.html"

#: The visible label of each field of a row, shared by the panel and the page's error summary.
LABELS: dict[str, Promise] = {
    "info": gettext_lazy("Information given"),
    "refer": gettext_lazy("Send a referral"),
    "consent": gettext_lazy("The person agrees to share a summary with the service"),
    "summary": gettext_lazy("Summary for the service"),
    "phone": gettext_lazy("Phone number the service may call"),
}


def services_for_needs(
    category_ids: Sequence[int], municipality_id: int | None, *, per_need: int = PER_NEED
) -> dict[int, list[ServiceHit]]:
    """The first `per_need` active services meeting each need (or one of its sub-needs) and
    serving the municipality (anywhere when None), by category id, in the directory search's
    order (by name). Seven queries whatever the number of needs: one statement joins the
    search's own statement for each need (`search.search_statement`), then the services and
    their phones, hours, places and needs (`search.hits_for`)."""
    if not category_ids:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    for index, category_id in enumerate(category_ids):
        query = ServiceQuery(need=category_id, municipality=municipality_id)
        sql, values = search_statement(query, limit=per_need, offset=0)
        parts.append(f"SELECT {index} AS k, q{index}.id AS id FROM ({sql}) q{index}")  # noqa: S608
        params.extend(values)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = [
            (int(k), pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))) for k, pk in cursor
        ]
    found = Service.objects.select_related("organization").in_bulk({pk for _k, pk in rows})
    hits = {hit.service.pk: hit for hit in hits_for(list(found.values()))}
    by_category: dict[int, list[ServiceHit]] = {}
    for k, pk in rows:
        if pk in hits:
            by_category.setdefault(category_ids[k], []).append(hits[pk])
    for listed in by_category.values():
        listed.sort(key=lambda hit: (hit.service.name, str(hit.service.pk)))
    return by_category


def _service_url(service: Service) -> str:
    try:
        return reverse("directory:service", args=[service.pk])
    except NoReverseMatch:
        return ""


@dataclass
class ServiceRow:
    """One service of the panel, under one need, with what the volunteer ticked and typed."""

    category_id: int
    hit: ServiceHit
    names: dict[str, str]  # the form fields: info, refer, consent, summary, phone
    can_refer: bool
    info: bool = False
    refer: bool = False
    consent: bool = False
    summary: str = ""
    phone: str = ""
    phones: list[dict[str, str]] = field(default_factory=list)  # number (E.164), href, text
    hours: list[str] = field(default_factory=list)
    url: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)  # by field: info, refer, …

    @property
    def service(self) -> Service:
        return self.hit.service

    @property
    def key(self) -> str:
        return f"svc-{self.category_id}-{self.hit.service.pk.hex}"


def _row(
    situation: CallSituation,
    category_id: int,
    hit: ServiceHit,
    *,
    can_refer: bool,
    default_phone: str,
) -> ServiceRow:
    key = f"svc-{category_id}-{hit.service.pk.hex}"
    names = {part: f"{key}-{part}" for part in ("info", "refer", "consent", "summary", "phone")}
    row = ServiceRow(category_id=category_id, hit=hit, names=names, can_refer=can_refer)
    row.info = situation.ticked(names["info"])
    if can_refer:
        row.refer = situation.ticked(names["refer"])
        row.consent = situation.ticked(names["consent"])
        row.summary = situation.value(names["summary"]).strip()
        row.phone = situation.value(names["phone"], default_phone)
    row.phones = [{"text": n, "href": tel_href(n)} for n in hit.phones if tel_href(n)]
    row.hours = [text for text in (schedule_summary(s) for s in hit.schedules) if text]
    row.url = _service_url(hit.service)
    row.errors = {
        part: situation.errors[name] for part, name in names.items() if name in situation.errors
    }
    return row


def build(situation: CallSituation) -> dict[str, Any]:
    """The panel: each need chosen with its services, and who may be referred."""
    user = situation.user
    may_send = user_can(user, Perm.REFERRALS_SEND)
    person = situation.person
    phones: list[dict[str, Any]] = []
    if may_send and person is not None:
        phones = [
            {
                "number": p.number,
                "text": format_phone(p.number),
                "kind": p.get_kind_display(),
                "caller": p.number == situation.caller_number,
            }
            for p in person.phones.all()
        ]
    can_refer = bool(phones)
    numbers = [p["number"] for p in phones]
    default_phone = situation.caller_number if situation.caller_number in numbers else ""
    if not default_phone and numbers:
        default_phone = numbers[0]
    municipality = situation.municipality
    found = services_for_needs(
        [c.pk for c in situation.categories], municipality.pk if municipality else None
    )
    language = (get_language() or "it")[:2]
    groups: list[dict[str, Any]] = [
        {
            "category": category,
            "label": category.label(language),
            "rows": [
                _row(situation, category.pk, hit, can_refer=can_refer, default_phone=default_phone)
                for hit in found.get(category.pk, [])
            ],
        }
        for category in situation.categories
    ]
    return {
        "groups": groups,
        "labels": LABELS,
        # Announced to screen readers when the panel is built again (a service listed under
        # two needs counts once).
        "services_found": len({row.service.pk for group in groups for row in group["rows"]}),
        "municipality": municipality,
        "person": person,
        "may_send": may_send,
        "can_refer": can_refer,
        "phones": phones,
        "errors": situation.errors.get("", []),
    }


def _rows(context: dict[str, Any]) -> list[ServiceRow]:
    return [row for group in context["groups"] for row in group["rows"]]


def field_label(context: dict[str, Any], name: str) -> str:
    """The visible label of the panel's field `name`, after its service's name (the same
    label is under every service), for the page's error summary; "" if no row has it."""
    for row in _rows(context):
        for part, field_name in row.names.items():
            if field_name == name:
                return f"{row.service.name}, {LABELS[part]}"
    return ""


def clean(situation: CallSituation, context: dict[str, Any]) -> dict[str, list[str]]:
    """Referrals asked for that `send_referral` would refuse, said before anything is logged:
    a summary without the person's consent to share, a phone that is not theirs. Only what
    the panel shows counts (a tick left behind by a need since removed does not)."""
    errors: dict[str, list[str]] = {}
    numbers = {p["number"] for p in context["phones"]}
    for row in _rows(context):
        if not (row.can_refer and row.refer):
            continue
        if row.summary and not row.consent:
            errors[row.names["summary"]] = [
                _(
                    "Without the person's consent to share, only the need and the contact "
                    "phone are sent: tick the consent or leave the summary empty."
                )
            ]
        elif len(row.summary) > SUMMARY_MAX:
            errors[row.names["summary"]] = [
                _("Keep the summary under %(n)d characters.") % {"n": SUMMARY_MAX}
            ]
        if row.phone not in numbers:
            errors[row.names["phone"]] = [_("Choose one of the person's phone numbers.")]
    return errors


#: Where `send_referral`'s errors show in a row.
_SERVICE_ERROR_FIELDS = {
    "summary": "summary",
    "contact_phone": "phone",
    "service": "refer",
    "need": "refer",
}


def logged(situation: CallSituation, context: dict[str, Any], contact: Contact) -> None:
    """Once the call is logged (same transaction): each "information given" and each referral
    ticked, for the need just logged whose kind the service was listed under."""
    rows = [row for row in _rows(context) if row.info or (row.can_refer and row.refer)]
    if not rows:
        return
    user = situation.user
    needs: dict[int, Need] = {}
    for logged_need in (
        Need.objects.visible_to(user)
        .filter(contact=contact)
        .select_related("contact", "person")
        .order_by("created_at", "pk")
    ):
        needs.setdefault(logged_need.category_id, logged_need)
    for row in rows:
        need = needs.get(row.category_id)
        if need is None:
            continue
        if row.info:
            record_information_given(user, need=need, service=row.service, contact=contact)
        if row.can_refer and row.refer:
            try:
                send_referral(
                    user,
                    need=need,
                    service=row.service,
                    summary=row.summary,
                    consent_to_share=row.consent,
                    contact_phone=row.phone,
                )
            except ValidationError as exc:
                raise ValidationError(
                    {
                        row.names[_SERVICE_ERROR_FIELDS.get(name, "refer")]: messages
                        for name, messages in exc.message_dict.items()
                    }
                ) from exc


PANEL = CallPanel(
    name="services",
    template=TEMPLATE,
    build=build,
    clean=clean,
    logged=logged,
    label=field_label,
)


def need_status_notes(user: Any, needs: Sequence[Need], compact: bool) -> dict[Any, SafeString]:
    """Under each need of a listening page: its referrals and their states, the services the
    caller was told about, and (not `compact`) the button to send it to a service. Two
    queries whatever the number of needs."""
    ids = [need.pk for need in needs]
    statuses = referral_status_by_need(user, ids)
    informed = information_by_need(user, ids)
    notes: dict[Any, SafeString] = {}
    for need in needs:
        context = need_status_context(user, statuses, need, informed, send_button=not compact)
        if context["referrals"] or context["informed"] or context["can_send"]:
            notes[need.pk] = SafeString(render_to_string("referrals/_need_status.html", context))
    return notes
