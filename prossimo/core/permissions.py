"""Roles and what each may do: permissions as data, checked by `user_can` everywhere.

Roles come from a user's memberships in organisations (the `territory` app provides them
through `register_role_provider`, so that this kernel knows no domain app).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VOLUNTEER = "volunteer", _("Volunteer")
    PROXIMITY_OPERATOR = "proximity_operator", _("Proximity operator")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    COORDINATOR = "coordinator", _("Coordinator")
    MONITORING_OFFICER = "monitoring_officer", _("Monitoring officer")
    ADMINISTRATOR = "administrator", _("Administrator")


class Perm:
    """Permission codes. A view or endpoint names the code it needs."""

    PEOPLE_VIEW = "people.view"
    PEOPLE_ADD = "people.add"
    PEOPLE_CHANGE = "people.change"
    PEOPLE_DEACTIVATE = "people.deactivate"
    PEOPLE_MERGE = "people.merge"
    PEOPLE_AUDIT = "people.audit"
    PEOPLE_ALL_TERRITORIES = "people.all_territories"
    TERRITORY_MANAGE = "territory.manage"
    STATS_VIEW = "stats.view"
    API_TOKENS = "api.tokens"
    LISTENING_LOG = "listening.log"
    DESK_WORK = "listening.desk"
    ALERTS_MANAGE = "listening.alerts"
    # Telefonia Sociale & co (programmes app)
    PROGRAMMES_REFER = "programmes.refer"  # refer a person to a programme, follow the referral
    PROGRAMMES_MANAGE = "programmes.manage"  # take in charge, change state, plan calls
    PROGRAMMES_CALL = "programmes.call"  # "Chiamate di oggi": make the planned calls
    QUESTIONNAIRES_ADMINISTER = "questionnaires.administer"  # record a screening
    # Closed-loop referrals to the services of the directory (referrals app)
    REFERRALS_SEND = "referrals.send"  # send a need to a service, cancel what one's org sent
    REFERRALS_RECEIVE = "referrals.receive"  # work the incoming queue: accept, reject, report


_CASEWORK = {
    Perm.PEOPLE_VIEW,
    Perm.PEOPLE_ADD,
    Perm.PEOPLE_CHANGE,
    Perm.LISTENING_LOG,
    Perm.QUESTIONNAIRES_ADMINISTER,
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.VOLUNTEER: frozenset(_CASEWORK | {Perm.PROGRAMMES_CALL}),
    Role.PROXIMITY_OPERATOR: frozenset(
        _CASEWORK
        | {
            Perm.DESK_WORK,
            Perm.PROGRAMMES_CALL,
            Perm.REFERRALS_SEND,
            Perm.REFERRALS_RECEIVE,
        }
    ),
    Role.SOCIAL_WORKER: frozenset(
        _CASEWORK
        | {
            Perm.PEOPLE_DEACTIVATE,
            Perm.ALERTS_MANAGE,
            Perm.PROGRAMMES_REFER,
            Perm.REFERRALS_SEND,
            Perm.REFERRALS_RECEIVE,
        }
    ),
    Role.COORDINATOR: frozenset(
        _CASEWORK
        | {
            Perm.PEOPLE_DEACTIVATE,
            Perm.PEOPLE_AUDIT,
            Perm.STATS_VIEW,
            Perm.DESK_WORK,
            Perm.ALERTS_MANAGE,
            Perm.PROGRAMMES_REFER,
            Perm.PROGRAMMES_MANAGE,
            Perm.PROGRAMMES_CALL,
            Perm.REFERRALS_SEND,
            Perm.REFERRALS_RECEIVE,
        }
    ),
    # Aggregates only: no permission that opens a person's record.
    Role.MONITORING_OFFICER: frozenset({Perm.STATS_VIEW}),
    Role.ADMINISTRATOR: frozenset(
        _CASEWORK
        | {
            Perm.PEOPLE_DEACTIVATE,
            Perm.PEOPLE_MERGE,
            Perm.PEOPLE_AUDIT,
            Perm.PEOPLE_ALL_TERRITORIES,
            Perm.TERRITORY_MANAGE,
            Perm.STATS_VIEW,
            Perm.API_TOKENS,
            Perm.DESK_WORK,
            Perm.ALERTS_MANAGE,
            Perm.PROGRAMMES_REFER,
            Perm.PROGRAMMES_MANAGE,
            Perm.PROGRAMMES_CALL,
            Perm.REFERRALS_SEND,
            Perm.REFERRALS_RECEIVE,
        }
    ),
}

RoleProvider = Callable[[Any], Iterable[str]]
_role_provider: RoleProvider | None = None


def register_role_provider(provider: RoleProvider) -> None:
    """Set the function that lists a user's roles (called once, by the territory app)."""
    global _role_provider
    _role_provider = provider


def roles_of(user: Any) -> frozenset[str]:
    """The roles a user holds in any organisation, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_prossimo_roles", None)
    if cached is None:
        cached = frozenset(_role_provider(user)) if _role_provider else frozenset()
        user._prossimo_roles = cached
    return cached


def permissions_of(user: Any) -> frozenset[str]:
    codes: set[str] = set()
    for role in roles_of(user):
        codes |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(codes)


def user_can(user: Any, code: str) -> bool:
    return code in permissions_of(user)
