"""Demo data of the resource directory and of referrals to its services.

A synthetic directory of the demo territory (`directory.synthetic`: services of associations,
cooperatives, the health authority, pharmacies, parishes, with hours, places and needs met),
then a few referrals from the proximity desk's operator to services of the listening
association, moved by its coordinator (`referrals.demo`). Built once: a later run finds the
services and leaves everything as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prossimo.directory.models import Service, ServiceNeed
from prossimo.directory.synthetic import build_synthetic_directory
from prossimo.listening.models import Need, NeedCategory
from prossimo.listening.services import ContactInput, NeedInput, log_contact
from prossimo.people.models import Person
from prossimo.referrals.demo import build_demo_referrals
from prossimo.referrals.models import Referral
from prossimo.territory.models import Municipality, Organisation

#: Services of the demo directory, and their schedules per service (on average).
SERVICES = 240
SCHEDULES_PER_SERVICE = 3.0
SEED = 20261126


def build_demo_directory(municipalities: Sequence[Municipality]) -> dict[str, Any]:
    """The synthetic directory, unless the directory already holds services."""
    if Service.objects.exists():
        return {}
    categories = list(NeedCategory.objects.filter(is_active=True))
    return build_synthetic_directory(
        services=SERVICES,
        schedules_per_service=SCHEDULES_PER_SERVICE,
        municipalities=list(municipalities),
        categories=categories,
        seed=SEED,
    )


def build_demo_service_referrals(
    *, sender: Any, receiver: Any, receiving_organisation: Organisation
) -> int:
    """Up to five referrals of open needs the sender's organisation sees, each to a service
    meeting its need where there is one; none when referrals exist already."""
    if Referral.objects.exists():
        return 0
    _calls_with_needs(sender)
    needs = list(
        Need.objects.visible_to(sender)
        .open()
        .filter(person__isnull=False, person__phones__isnull=False)
        .select_related("person")
        .distinct()
        .order_by("created_at", "pk")[:20]
    )
    if not needs:
        return 0
    meeting = dict(
        ServiceNeed.objects.filter(
            category_id__in={n.category_id for n in needs},
            service__status=Service.Status.ACTIVE,
        )
        .order_by("category_id", "service__name")
        .values_list("category_id", "service_id")
    )
    chosen = [n for n in needs if n.category_id in meeting][:5]
    if not chosen:
        return 0
    services = Service.objects.in_bulk([meeting[n.category_id] for n in chosen])
    made = build_demo_referrals(
        sender=sender,
        receiver=receiver,
        receiving_organisation=receiving_organisation,
        needs=chosen,
        services=[services[meeting[n.category_id]] for n in chosen],
    )
    return len(made)


#: What the demo callers ask the desk, by the need's category code when a service meets it.
CALLS = (
    "Chiede chi può accompagnarla alla visita in ospedale di giovedì.",
    "Non riesce a prenotare la visita al CUP online e chiede aiuto.",
    "Da quando è caduto non può andare a fare la spesa.",
    "Si sente molto solo la sera e chiede se c'è un gruppo in paese.",
    "Deve rinnovare l'invalidità e non sa da dove cominciare.",
    "La figlia chiede un servizio di pasti a domicilio per la madre.",
    "Chiede un aiuto per le pratiche della pensione.",
    "Cerca qualcuno che lo porti alla fisioterapia due volte a settimana.",
)


def _calls_with_needs(sender: Any) -> int:
    """Calls the desk's operator took from people of the territory, each with a need that a
    service of the demo directory meets where the person lives (through the listening line's
    own service). None when the operator logged calls already."""
    if Need.objects.filter(contact__operator=sender).exists():
        return 0
    served = ServiceNeed.objects.filter(service__status=Service.Status.ACTIVE).values(
        "category_id", "service__municipalities_served__municipality_id"
    )
    by_place: dict[int, list[int]] = {}
    for row in served.order_by("category_id"):
        place = row["service__municipalities_served__municipality_id"]
        if place is not None:
            by_place.setdefault(place, []).append(row["category_id"])
    people = (
        Person.objects.visible_to(sender)
        .filter(is_active=True, municipality_id__in=list(by_place), phones__isnull=False)
        .distinct()
        .order_by("last_name", "pk")[: len(CALLS)]
    )
    categories = NeedCategory.objects.in_bulk({c for cs in by_place.values() for c in cs})
    logged = 0
    for i, person in enumerate(people):
        choices = by_place[person.municipality_id]
        category = categories[choices[i % len(choices)]]
        log_contact(
            sender,
            data=ContactInput(person=person, notes=CALLS[i]),
            needs=[NeedInput(category, note=CALLS[i][:120])],
        )
        logged += 1
    return logged
