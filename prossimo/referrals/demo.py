"""Demo data of the referrals app: a few referrals in various states, through the services.

Called by `prossimo demo` with users and data it made; knows nothing of the demo itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prossimo.directory.models import Service
from prossimo.listening.models import Need
from prossimo.referrals.models import Referral, ReferralDestination
from prossimo.referrals.services import change_referral_state, send_referral
from prossimo.territory.models import Organisation

S = Referral.State

#: What happens to the demo's referrals, in turn: (consent to share, the moves after sending).
SCRIPT: list[tuple[bool, list[tuple[str, str]]]] = [
    (True, []),
    (False, [(S.RECEIVED, "")]),
    (True, [(S.ACCEPTED, ""), (S.IN_PROGRESS, "Primo contatto fissato per giovedì")]),
    (True, [(S.ACCEPTED, ""), (S.COMPLETED, "Consegna della spesa attivata")]),
    (False, [(S.REJECTED, "Il servizio non copre il comune di residenza")]),
]


def build_demo_referrals(
    *,
    sender: Any,
    receiver: Any,
    receiving_organisation: Organisation,
    needs: Sequence[Need],
    services: Sequence[Service],
) -> list[Referral]:
    """Link the services' organizations to `receiving_organisation` (where not linked yet)
    and send up to five of `needs` (open, about a person with a phone, visible to `sender`)
    to `services` in turn, then move them as `receiver` would: one waiting, one received,
    one in progress, one completed, one declined. `sender` holds `referrals.send`,
    `receiver` `referrals.receive` in `receiving_organisation`."""
    for service in services:
        ReferralDestination.objects.get_or_create(
            directory_organization_id=service.organization_id,
            defaults={"organisation": receiving_organisation},
        )
    made: list[Referral] = []
    usable = [n for n in needs if n.person_id is not None and not n.is_closed]
    for i, (need, (consent, moves)) in enumerate(zip(usable, SCRIPT, strict=False)):
        phone = need.person.phones.order_by("pk").first()  # type: ignore[union-attr]
        if phone is None:
            continue
        referral = send_referral(
            sender,
            need=need,
            service=services[i % len(services)],
            summary="Vive da sola, preferisce essere chiamata al mattino." if consent else "",
            consent_to_share=consent,
            contact_phone=phone.number,
        )
        for to_state, reason in moves:
            referral = change_referral_state(
                receiver, referral=referral, to_state=to_state, reason=reason
            )
        made.append(referral)
    return made
