"""Reads of the territory: who serves which municipalities, and the municipality search."""

from __future__ import annotations

import pytest

from prossimo.territory.models import Municipality
from prossimo.territory.selectors import municipalities_served_by, search_municipalities
from prossimo.territory.tests.factories import AmbitoFactory, OrganisationFactory, municipality

pytestmark = pytest.mark.django_db


def served_names(*organisations) -> list[str]:
    return sorted(
        municipalities_served_by([o.pk for o in organisations]).values_list("name", flat=True)
    )


def test_an_organisation_serves_the_municipalities_given_directly(territory):
    org = OrganisationFactory()
    org.municipalities.set([municipality("Lecco"), municipality("Monza")])

    assert served_names(org) == ["Lecco", "Monza"]


def test_an_organisation_serves_every_municipality_of_its_ambiti(territory):
    ambito = AmbitoFactory()
    ambito.municipalities.set([municipality("Vimercate"), municipality("Arcore")])
    org = OrganisationFactory()
    org.ambiti.add(ambito)
    org.municipalities.add(municipality("Lecco"))

    assert served_names(org) == ["Arcore", "Lecco", "Vimercate"]


def test_a_municipality_added_to_the_ambito_is_served_at_once(territory):
    ambito = AmbitoFactory()
    org = OrganisationFactory()
    org.ambiti.add(ambito)
    assert served_names(org) == []

    ambito.municipalities.add(municipality("Merate"))

    assert served_names(org) == ["Merate"]


def test_a_municipality_served_several_ways_is_listed_once(territory):
    lecco = municipality("Lecco")
    first, second = AmbitoFactory(), AmbitoFactory()
    first.municipalities.add(lecco)
    second.municipalities.add(lecco)
    a, b = OrganisationFactory(), OrganisationFactory()
    a.municipalities.add(lecco)
    a.ambiti.set([first, second])
    b.municipalities.add(lecco)

    assert served_names(a, b) == ["Lecco"]


def test_served_municipalities_accept_a_subquery_of_organisation_ids(territory, volunteer):
    from prossimo.territory.selectors import organisation_ids_with_roles

    ids = organisation_ids_with_roles(volunteer, {"volunteer"})

    served = municipalities_served_by(ids)
    assert served.count() == Municipality.objects.filter(province__abbreviation="LC").count()


def test_other_organisations_serve_nothing_of_ours(territory, org_a, org_b):
    assert "Monza" not in served_names(org_a)
    assert "Lecco" not in served_names(org_b)


@pytest.mark.parametrize("text", ["forli", "Forlì", "FORLÌ", "  forlì "])
def test_municipality_search_ignores_accents_case_and_spaces(territory, text):
    assert "Forlì" in [m.name for m in search_municipalities(text)]


def test_municipality_search_lists_names_starting_with_the_text_first(territory):
    names = [m.name for m in search_municipalities("monza")]

    assert names[0] == "Monza"


def test_municipality_search_finds_text_inside_the_name(territory):
    names = [m.name for m in search_municipalities("brianza", limit=50)]

    assert "Agrate Brianza" in names
    assert "Besana in Brianza" in names


def test_municipality_search_respects_the_limit(territory):
    assert len(search_municipalities("san", limit=15)) == 15


def test_municipality_search_skips_inactive_municipalities(territory):
    Municipality.objects.filter(name="Lecco").update(is_active=False)

    assert "Lecco" not in [m.name for m in search_municipalities("lecco")]


def test_municipality_search_of_nothing_finds_nothing(territory):
    assert search_municipalities("   ") == []


def test_municipality_search_loads_provinces_in_the_same_queries(
    territory, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        labels = [m.label for m in search_municipalities("ca")]
    assert len(labels) == 15
