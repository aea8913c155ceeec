"""`{% live_region %}`: the live region of base.html, drawn without a query for it.

On duty (as the session remembers) it loads and polls every second; off duty it is drawn at
once — the duty button, and for those who manage alerts the overdue alerts (one query), then
polled every 30 seconds — or, for everyone else, not polled at all.
"""

from __future__ import annotations

from typing import Any

from django import template

from prossimo.core.permissions import Perm, user_can
from prossimo.telephony import selectors
from prossimo.telephony.session import seems_on_duty

register = template.Library()


@register.inclusion_tag("telephony/_live_region.html", takes_context=True)
def live_region(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not user_can(user, Perm.LISTENING_LOG):
        return {"show": False}
    region: dict[str, Any] = {"show": True, "csrf_token": context.get("csrf_token")}
    if seems_on_duty(request):
        return {**region, "mode": "duty", "live": None}
    state = selectors.off_duty_state(user)
    return {**region, "mode": state.mode, "live": state, "calls": []}
