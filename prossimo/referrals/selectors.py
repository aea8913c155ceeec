"""Reads of the referrals app: querysets already filtered by `Referral.objects.visible_to`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from prossimo.core.permissions import Perm, Role, permissions_of, user_can
from prossimo.people.models import Person
from prossimo.referrals.models import (
    ALLOWED_TRANSITIONS,
    RECEIVER_STATES,
    SENDER_STATES,
    Referral,
    ReferralDestination,
    ReferralTransition,
    ServiceInformation,
    partner_of,
)
from prossimo.territory.selectors import organisation_ids_with_roles

S = Referral.State
Via = ReferralTransition.Via

#: Roles holding `referrals.send` / `referrals.receive` (see `core.permissions`), by which a
#: membership makes its organisation a sending or a receiving side of the user's.
SEND_ROLES = frozenset(
    {Role.PROXIMITY_OPERATOR, Role.SOCIAL_WORKER, Role.COORDINATOR, Role.ADMINISTRATOR}
)
RECEIVE_ROLES = SEND_ROLES
#: States waiting for the receiving organisation: the longest-waiting come first.
WAITING_STATES = frozenset({S.REQUESTED, S.RECEIVED})

#: What a list row shows of a referral, read in the same query.
LIST_RELATED = (
    "need__category",
    "service__organization",
    "person__municipality__province",
    "sending_organisation",
    "receiving_organisation",
    "sender",
)


def _parse_id(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404 from None


def send_organisation_ids(user: Any) -> list[int]:
    """The organisations the user sends referrals for (none without `referrals.send`)."""
    if not user_can(user, Perm.REFERRALS_SEND):
        return []
    return organisation_ids_with_roles(user, SEND_ROLES)


def receive_organisation_ids(user: Any) -> list[int]:
    """The organisations whose incoming referrals the user works."""
    if not user_can(user, Perm.REFERRALS_RECEIVE):
        return []
    return organisation_ids_with_roles(user, RECEIVE_ROLES)


def is_partner_of(user: Any, referral: Referral) -> bool:
    """Whether `user` is the account of the partner system the referral's service reports
    through (`ReferralDestination.partner_account`)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return ReferralDestination.objects.filter(
        directory_organization__services=referral.service_id,
        partner_account=user,
        is_active=True,
    ).exists()


def is_sending_side(user: Any, referral: Referral) -> bool:
    if not user_can(user, Perm.REFERRALS_SEND):
        return False
    return referral.sender_id == user.pk or referral.sending_organisation_id in (
        send_organisation_ids(user)
    )


def is_receiving_side(user: Any, referral: Referral) -> bool:
    if (
        referral.receiving_organisation_id is not None
        and referral.receiving_organisation_id in receive_organisation_ids(user)
    ):
        return True
    return is_partner_of(user, referral)


def followed_up_by_phone(referral: Referral) -> bool:
    """Whether nobody receives the referral in Prossimo: no receiving organisation works it
    and no active destination has a partner system's account to update it. Only the sending
    side can then learn what became of it, from the service itself."""
    if referral.receiving_organisation_id is not None:
        return False
    return not ReferralDestination.objects.filter(
        directory_organization__services=referral.service_id,
        partner_account__isnull=False,
        is_active=True,
    ).exists()


def may_record_what_the_service_said(user: Any, referral: Referral) -> bool:
    """Whether `user` may record the receiving side's moves as the service told them
    (`via="phone"`): the sending side, for a referral nobody receives in Prossimo."""
    return is_sending_side(user, referral) and followed_up_by_phone(referral)


def states_the_service_may_report(user: Any, referral: Referral) -> list[str]:
    """The states `user` may record as told by the service, in the states' order: the
    receiving side's next moves from the referral's state; none if the user may not."""
    allowed = ALLOWED_TRANSITIONS[referral.state] & RECEIVER_STATES
    if not allowed or not may_record_what_the_service_said(user, referral):
        return []
    return [state for state in S.values if state in allowed]


def may_move(user: Any, referral: Referral, to_state: str, *, via: str = Via.UI) -> bool:
    """Whether `user` may make a move to `to_state` through `via` (the side's rule of
    `services.change_referral_state`; the state machine is checked apart).

    Cancelling is the sending side's; every other move is the receiving side's, except that
    for a referral nobody receives in Prossimo the sending side records them as told by the
    service (`via="phone"`, and only so). Nobody else records anything through `phone`.
    """
    if via == Via.PHONE:
        return to_state in RECEIVER_STATES and may_record_what_the_service_said(user, referral)
    if to_state in SENDER_STATES:
        return is_sending_side(user, referral)
    return is_receiving_side(user, referral)


def access_referral(user: Any, referral_id: Any, *, for_write: bool = False) -> Referral:
    """The referral if `user` may read it (else 404), and act on it if asked (else 403)."""
    referral = (
        Referral.objects.visible_to(user)
        .select_related(*LIST_RELATED, "share_consent_by")
        .filter(pk=_parse_id(referral_id))
        .first()
    )
    if referral is None:
        raise Http404
    if for_write and not (is_sending_side(user, referral) or is_receiving_side(user, referral)):
        raise PermissionDenied
    return referral


def incoming_queue(user: Any, *, state: str | None = None) -> QuerySet[Referral]:
    """The referrals sent to the organisations whose queue `user` works (or to the partner
    they are the account of), in `state` if given. Waiting states come oldest first, the
    others most recently changed first."""
    orgs = receive_organisation_ids(user)
    referrals = Referral.objects.visible_to(user).filter(
        Q(receiving_organisation__in=orgs) | partner_of(user)
    )
    if state is not None:
        referrals = referrals.filter(state=state)
    order = ["requested_at", "pk"] if state in WAITING_STATES else ["-state_changed_at", "pk"]
    return referrals.select_related(*LIST_RELATED).order_by(*order)


def sent_by_organisations(user: Any, *, state: str | None = None) -> QuerySet[Referral]:
    """The referrals the user's organisations sent (and those they sent), newest first."""
    orgs = send_organisation_ids(user)
    referrals = Referral.objects.visible_to(user).filter(
        Q(sending_organisation__in=orgs) | Q(sender=user)
    )
    if state is not None:
        referrals = referrals.filter(state=state)
    return referrals.select_related(*LIST_RELATED).order_by("-requested_at", "pk")


def count_by_state(referrals: QuerySet[Referral]) -> dict[str, int]:
    """How many of these referrals are in each state (every state named): one query."""
    counts = dict.fromkeys(S.values, 0)
    for state, n in referrals.order_by().values_list("state").annotate(n=Count("pk")):
        counts[state] = n
    return counts


def referrals_for_need(user: Any, need: Any) -> list[Referral]:
    """The need's referrals that `user` may read, newest first."""
    return list(
        Referral.objects.visible_to(user)
        .filter(need=need)
        .select_related(*LIST_RELATED)
        .order_by("-requested_at", "pk")
    )


def referral_status_by_need(user: Any, need_ids: Iterable[Any]) -> dict[Any, list[Referral]]:
    """For a page of needs: each need's referrals `user` may read (newest first), by need id;
    needs without any are absent. One query whatever the number of needs."""
    ids = list(need_ids)
    by_need: dict[Any, list[Referral]] = {}
    if not ids:
        return by_need
    rows = (
        Referral.objects.visible_to(user)
        .filter(need_id__in=ids)
        .select_related("service__organization")
        .only(
            "need_id",
            "state",
            "state_changed_at",
            "requested_at",
            "reason",
            "service__name",
            "service__organization__name",
        )
        .order_by("-requested_at", "pk")
    )
    for referral in rows:
        by_need.setdefault(referral.need_id, []).append(referral)
    return by_need


def information_by_need(user: Any, need_ids: Iterable[Any]) -> dict[Any, list[ServiceInformation]]:
    """For a page of needs: the services each caller was told about (oldest first), by need
    id, for the needs `user` may see; needs without any are absent. One query."""
    ids = list(need_ids)
    by_need: dict[Any, list[ServiceInformation]] = {}
    if not ids:
        return by_need
    rows = (
        ServiceInformation.objects.visible_to(user)
        .filter(need_id__in=ids)
        .select_related("service__organization")
        .only("need_id", "given_at", "service__name", "service__organization__name")
        .order_by("given_at", "pk")
    )
    for information in rows:
        by_need.setdefault(information.need_id, []).append(information)
    return by_need


def referrals_of_person(user: Any, person: Person) -> list[Referral]:
    """The person's referrals that `user` may read, open ones first, newest first."""
    rows = list(
        Referral.objects.visible_to(user)
        .filter(person=person)
        .select_related(*LIST_RELATED)
        .order_by("-requested_at", "pk")
    )
    return sorted(rows, key=lambda r: r.is_final)


def referral_history(referral: Referral) -> list[ReferralTransition]:
    """The referral's state changes, oldest first, each with who made it."""
    return list(referral.transitions.select_related("by").order_by("at", "pk"))


def shows_person(user: Any, referral: Referral) -> bool:
    """Whether `user` is shown who the person is (name, birth date, municipality) and the
    summary: always on the sending side and to administrators and the person's social worker;
    on the receiving side only with the person's consent to share."""
    if referral.share_consent:
        return True
    codes = permissions_of(user)
    if Perm.PEOPLE_ALL_TERRITORIES in codes:
        return True
    if referral.sender_id == user.pk or referral.person.social_worker_id == user.pk:
        return True
    from prossimo.people.models import CASEWORK_ROLES

    return referral.sending_organisation_id in organisation_ids_with_roles(user, CASEWORK_ROLES)


def person_is_visible(user: Any, person_id: Any) -> bool:
    """Whether `user` may open the person's record (to link it from a referral's page)."""
    return Person.objects.visible_to(user).filter(pk=person_id).exists()
