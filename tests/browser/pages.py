"""The pages of the people registry (and the few around it) that browser tests walk through.

Each page names who opens it, its main fields and its main action, by selectors that do not
depend on the translated text, in the order they come on the page.
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
]
