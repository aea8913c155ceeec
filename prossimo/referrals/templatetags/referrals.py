"""Template tags of the referrals app: a need's referrals, the services its caller was told
about and the "send" button, for the rows of needs other apps draw
(`{% need_referrals statuses need informed %}`)."""

from __future__ import annotations

from typing import Any

from django import template

from prossimo.core.permissions import Perm, user_can

register = template.Library()


def need_status_context(
    user: Any,
    statuses: dict[Any, Any],
    need: Any,
    informed: dict[Any, Any] | None = None,
    *,
    send_button: bool = True,
) -> dict[str, Any]:
    """What `referrals/_need_status.html` shows of one need. No query."""
    need_id = getattr(need, "pk", need)
    status = getattr(need, "status", "")
    can_send = (
        send_button
        and user is not None
        and user_can(user, Perm.REFERRALS_SEND)
        and getattr(need, "person_id", None) is not None
        and status not in ("met", "unmet")
    )
    return {
        "referrals": statuses.get(need_id, []),
        "informed": (informed or {}).get(need_id, []),
        "need_id": need_id,
        "can_send": can_send,
    }


@register.inclusion_tag("referrals/_need_status.html", takes_context=True)
def need_referrals(
    context: Any, statuses: dict[Any, Any], need: Any, informed: dict[Any, Any] | None = None
) -> dict[str, Any]:
    """The referrals of `need` found in `statuses` (from
    `referrals.selectors.referral_status_by_need`), the services its caller was told about
    (in `informed`, from `selectors.information_by_need`), and the button to send it to a
    service for users who may (an open need about a registered person). No query."""
    return need_status_context(context.get("user"), statuses, need, informed)
