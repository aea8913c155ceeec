"""Caller identification: who is calling, from the number the listening line's phone shows."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from prossimo.core.phones import normalise_phone
from prossimo.people.models import Person, Phone


def identify_caller(user: Any, raw_number: str) -> list[Person]:
    """The people `user` may see who have the number `raw_number`, typed in any format.

    Rule: the number is normalised to E.164 (`prossimo.core.phones.normalise_phone`); an empty
    or invalid number identifies nobody. Among the people visible to the user
    (`Person.objects.visible_to`) every one holding that number is returned — a couple or a
    family may share one — active people first, then by surname and name. Each comes with
    their municipality and province and their phone numbers (`person.phones.all()`).

    Queries: one for the people and one for their phones (none for the phones when nobody is
    found), plus the user's roles once per user object (`permissions_of` caches them).
    """
    try:
        number = normalise_phone(raw_number)
    except ValidationError:
        return []
    # A join, not `pk__in=<subquery>`: without statistics SQLite would otherwise walk every
    # live person through the `merged_into` index instead of starting from the number's
    # index. A person holds a number once (unique_person_phone): no duplicates to remove.
    return list(
        Person.objects.visible_to(user)
        .filter(phones__number=number)
        .select_related("municipality__province")
        .prefetch_related(Prefetch("phones", queryset=Phone.objects.order_by("pk")))
        .order_by("-is_active", "last_name_search", "first_name_search", "pk")
    )
