"""Whether the user is on duty, remembered in their session: a page then knows without a query
whether its live region must poll (on duty) or can be drawn once (off duty).

Only a hint: the live view reads the duty from the database and corrects the hint. It is set
at login, and when the user starts or ends a duty.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

ON_DUTY_KEY = "telephony_on_duty"


def seems_on_duty(request: HttpRequest) -> bool:
    return bool(request.session.get(ON_DUTY_KEY, False))


def remember_duty(request: HttpRequest, on_duty: bool) -> None:
    if seems_on_duty(request) != on_duty:
        request.session[ON_DUTY_KEY] = on_duty


@receiver(user_logged_in)
def _remember_duty_at_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    if request is None or not hasattr(request, "session"):
        return
    from prossimo.telephony.selectors import open_duties

    remember_duty(request, open_duties(user).exists())
