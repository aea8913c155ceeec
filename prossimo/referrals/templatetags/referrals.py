"""Template tags of the referrals app: a need's referrals and the "send" button, for the
rows of needs other apps draw (`{% need_referrals statuses need %}`)."""

from __future__ import annotations

from typing import Any

from django import template

from prossimo.core.permissions import Perm, user_can

register = template.Library()


@register.inclusion_tag("referrals/_need_status.html", takes_context=True)
def need_referrals(context: Any, statuses: dict[Any, Any], need: Any) -> dict[str, Any]:
    """The referrals of `need` found in `statuses` (from
    `referrals.selectors.referral_status_by_need`), and the button to send it to a service
    for users who may (an open need about a registered person). No query."""
    user = context.get("user")
    need_id = getattr(need, "pk", need)
    status = getattr(need, "status", "")
    can_send = (
        user is not None
        and user_can(user, Perm.REFERRALS_SEND)
        and getattr(need, "person_id", None) is not None
        and status not in ("met", "unmet")
    )
    return {"referrals": statuses.get(need_id, []), "need_id": need_id, "can_send": can_send}
