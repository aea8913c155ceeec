"""Forms of the referral pages. They parse input; `referrals.services` holds the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossimo.core.forms import error_summary_items
from prossimo.referrals.models import RECEIVER_STATES, Referral


class SendReferralForm(forms.Form):
    """Send a need to a service: which service, what is shared, how to reach the person."""

    service = forms.ChoiceField(label=_("Service"))
    consent_to_share = forms.BooleanField(
        label=_("The person consents to share the summary with the service"),
        required=False,
        help_text=_(
            "Ask them, on the phone is fine: you are recorded as who heard it. Without consent "
            "only the need and the contact phone are sent, not even the person's name."
        ),
    )
    summary = forms.CharField(
        label=_("Summary for the service"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the service should know. Sent only with the consent above."),
    )
    contact_phone = forms.ChoiceField(
        label=_("Phone number the service may call"),
        widget=forms.RadioSelect,
        help_text=_("One the person agreed to give."),
    )

    def __init__(
        self,
        *args: Any,
        services: list[tuple[str, str]],
        phones: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("Choose the service")), *services]  # type: ignore[attr-defined]
        self.fields["contact_phone"].choices = phones  # type: ignore[attr-defined]

    def error_summary(self) -> list[dict[str, Any]]:
        return error_summary_items(
            self, form_anchor="referral-form", anchors={"contact_phone": "id_contact_phone_0"}
        )


class StateForm(forms.Form):
    """Move a referral to the state of the button pressed (each state has its prefix)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, to_state: str, **kwargs: Any) -> None:
        kwargs["prefix"] = to_state
        super().__init__(*args, **kwargs)
        self.to_state = to_state
        reason = self.fields["reason"]
        if to_state in Referral.NEED_REASON:
            reason.required = True
            reason.label = _("Reason (the other side sees it)")
        else:
            reason.label = _("Note (optional; the other side sees it)")

    def error_summary(self) -> list[dict[str, Any]]:
        return error_summary_items(self, form_anchor=f"state-{self.to_state}")


class ServiceSaidForm(forms.Form):
    """Record what a service outside Prossimo said of the referral (on the phone, by e-mail):
    its new state and who at the service said so. The list offers `states` (the moves
    possible now); any of the receiving side's states is accepted, and
    `services.change_referral_state` judges the move, after the version."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to_state = forms.ChoiceField(
        label=_("What the service said"),
        error_messages={"required": _("Choose what the service said.")},
    )
    reason = forms.CharField(
        label=_("Who at the service told you"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Their name or role, and how: on the phone, by e-mail. It stays in the history."
        ),
        error_messages={"required": _("Say who at the service told you (name or role).")},
    )

    def __init__(self, *args: Any, states: list[str], **kwargs: Any) -> None:
        kwargs["prefix"] = "told"
        super().__init__(*args, **kwargs)
        blank = ("", _("Choose a state"))
        field = self.fields["to_state"]
        field.choices = [  # type: ignore[attr-defined]
            blank,
            *((s, Referral.State(s).label) for s in Referral.State.values if s in RECEIVER_STATES),
        ]
        # Only the moves possible now are offered.
        field.widget.choices = [blank, *((s, Referral.State(s).label) for s in states)]

    def error_summary(self) -> list[dict[str, Any]]:
        return error_summary_items(self, form_anchor="service-said")


class QueueFilterForm(forms.Form):
    stato = forms.ChoiceField(choices=Referral.State.choices, required=False)

    def state(self, default: str | None) -> str | None:
        if self.is_valid() and self.cleaned_data["stato"]:
            return str(self.cleaned_data["stato"])
        return default
