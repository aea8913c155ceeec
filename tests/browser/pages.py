"""The pages that browser tests walk through: the people registry, the listening line, duty.

Each page names who opens it, its main fields and its main action, by selectors that do not
depend on the translated text, in the order they come on the page.

A page's address is built from `{"person": person_a}` only. The listening line's pages show
the call `conftest.logged_call` logged about that person: their user fixture
(`volunteer_after_a_call`, ...) logs it, and their address finds its contact, need or alert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PERSON_FIELDS = (
    "#id_first_name",
    "#id_last_name",
    "input[name=sex]:checked",  # a radio group is one Tab stop: the checked radio
    "#id_birth_date",
    "#id_birth_municipality",
    "#id_fiscal_code",
    "#id_address",
    "#id_postal_code",
    "#id_municipality",
    "#id_phones-0-number",
)


@dataclass(frozen=True)
class PageSpec:
    name: str
    role: str | None  # the user fixture who opens it; None: nobody is logged in
    path: Callable[[dict[str, Any]], str]
    fields: tuple[str, ...]
    action: str
    autofocus: str | None = None  # the element that has the focus when the page opens

    def __str__(self) -> str:
        return self.name


def _person(suffix: str = "") -> Callable[[dict[str, Any]], str]:
    return lambda objects: f"/persone/{objects['person'].pk}/{suffix}"


def _contact(objects: dict[str, Any]) -> str:
    from prossimo.listening.models import Contact

    contact = Contact.objects.get(person=objects["person"], status=Contact.Status.LOGGED)
    return f"/ascolto/contatti/{contact.pk}/"


def _handed_over_need(objects: dict[str, Any]) -> str:
    from prossimo.listening.models import Need

    need = Need.objects.get(person=objects["person"], status=Need.Status.HANDED_OVER)
    return f"/ascolto/bisogni/{need.pk}/"


def _alert(objects: dict[str, Any]) -> str:
    from prossimo.listening.models import Alert

    return f"/ascolto/allerte/{Alert.objects.get(person=objects['person']).pk}/"


CALL_FIELDS = (
    "#id_needs-0-category",
    "#id_needs-0-note",
    "#id_needs-0-hand_over",
    "input[name=urgency]:checked",
    "#id_red_flags_0",
    "#id_outcomes_0",
    "#id_follow_up_on",
    "#id_notes",
)
LOG_THE_CALL = "#call-form button[name=action][value=log]"


PAGES = [
    PageSpec(
        "login",
        None,
        lambda _: "/account/login/",
        ("input[name=login]", "input[name=password]"),
        "main form button[type=submit]",
    ),
    PageSpec("home", "volunteer", lambda _: "/", (), "main a[href='/persone/']"),
    PageSpec(
        "profile",
        "volunteer",
        lambda _: "/profilo/",
        ("select[name=preferred_language]",),
        "main form button[type=submit]",
    ),
    PageSpec(
        "search",
        "volunteer",
        lambda _: "/persone/",
        ("#id_q", "#id_include_inactive"),
        "main form[role=search] button[type=submit]",
        autofocus="#id_q",
    ),
    PageSpec(
        "detail",
        "volunteer",
        _person(),
        ("#id_kind", "#id_given_on", "#id_note"),
        "main a[href$='/modifica/']",
    ),
    PageSpec(
        "create",
        "volunteer",
        lambda _: "/persone/nuova/",
        PERSON_FIELDS,
        "#person-form button[type=submit].btn-primary",
    ),
    PageSpec(
        "edit",
        "volunteer",
        _person("modifica/"),
        PERSON_FIELDS,
        "#person-form button[type=submit].btn-primary",
    ),
    PageSpec(
        "consent add",
        "volunteer",
        _person("consensi/nuovo/"),
        ("#id_kind", "#id_given_on", "#id_note"),
        "main form button[type=submit]",
    ),
    PageSpec(
        "deactivate",
        "social_worker",
        _person("disattiva/"),
        ("#id_reason",),
        "main form button[type=submit]",
    ),
    PageSpec(
        "audit trail",
        "coordinator",
        _person("accessi/"),
        (),
        "main .breadcrumb-item:nth-child(2) a",
    ),
    PageSpec(
        "merge",
        "administrator",
        _person("unisci/"),
        ("#id_q",),
        "main form[role=search] button[type=submit]",
    ),
    PageSpec(
        "ambiti",
        "administrator",
        lambda _: "/territorio/ambiti/",
        (),
        "main a[href='/territorio/ambiti/nuovo/']",
    ),
    PageSpec(
        "ambito new",
        "administrator",
        lambda _: "/territorio/ambiti/nuovo/",
        ("#id_name", "#id_code", "#id_province", "button[name=action][value=show]"),
        "button[name=action][value=save]",
    ),
    PageSpec(
        "call form",
        "volunteer",
        lambda _: "/ascolto/chiamata/nuova/",
        (
            "#id_caller_first_name",
            "#id_caller_approx_age",
            "#id_caller_municipality",
            "#id_search_q",
            *CALL_FIELDS,
        ),
        LOG_THE_CALL,
        autofocus="input[name=who][value=anonymous]",
    ),
    PageSpec(
        "call form for a known number",
        "volunteer_after_a_call",
        # What a softphone opens: the number moves into a draft, out of the address.
        lambda _: "/ascolto/chiamata/nuova/?numero=3401234567",
        CALL_FIELDS,
        LOG_THE_CALL,
        autofocus="input[name=who]:checked",
    ),
    PageSpec(
        "unfinished calls",
        "volunteer_after_a_call",
        lambda _: "/ascolto/chiamata/bozze/",
        (),
        "main [data-drafts] a[href^='/ascolto/chiamata/']",
    ),
    PageSpec(
        "contact",
        "volunteer_after_a_call",
        _contact,
        (),
        "main a[href^='/ascolto/chiamata/nuova/persona/']",
    ),
    PageSpec(
        "record with its history",
        "volunteer_after_a_call",
        _person(),
        (),
        "#history a[href^='/ascolto/contatti/']",
    ),
    PageSpec(
        "today",
        "coordinator_after_a_call",
        lambda _: "/ascolto/oggi/",
        (),
        "main [data-alert] button[id^=ack-]",
    ),
    PageSpec(
        "call-backs",
        "volunteer_after_a_call",
        lambda _: "/ascolto/richiami/",
        (),
        "main [data-follow-up] button[value=done]",
    ),
    PageSpec(
        "desk queue",
        "operator_after_a_call",
        lambda _: "/ascolto/sportello/",
        (),
        "main [data-need] form[action$='/prendi/'] button[type=submit]",
    ),
    PageSpec(
        "need",
        "operator_after_a_call",
        _handed_over_need,
        ("#id_result_0", "#id_outcome"),
        "main form[action$='/chiudi/'] button[type=submit]",
    ),
    PageSpec(
        "needs handed over",
        "volunteer_after_a_call",
        lambda _: "/ascolto/affidati/",
        (),
        "main [data-need] a[href^='/ascolto/bisogni/']",
    ),
    PageSpec(
        "alerts",
        "coordinator_after_a_call",
        lambda _: "/ascolto/allerte/",
        (),
        "#alert-board button[id^=ack-]",
    ),
    PageSpec(
        "alert",
        "coordinator_after_a_call",
        _alert,
        ("#id_resolution",),
        "#resolve button[type=submit]",
    ),
    PageSpec("duty", "volunteer", lambda _: "/telefonia/turno/", (), "#telephony-duty-start"),
]
