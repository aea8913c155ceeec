"""The ambiti pages (administrators only) and the `save_ambito` service behind them."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from prossimo.core.testing import italian
from prossimo.territory.models import Ambito, Municipality, Province
from prossimo.territory.services import save_ambito
from prossimo.territory.tests.factories import AmbitoFactory, municipality

pytestmark = pytest.mark.django_db

LIST = reverse("territory:ambiti")
CREATE = reverse("territory:ambito_create")


def edit_url(ambito: Ambito) -> str:
    return reverse("territory:ambito_edit", args=[ambito.pk])


@pytest.fixture
def vimercate_area(territory) -> Ambito:
    ambito = AmbitoFactory(name="Ambito di Vimercate", code="VIM")
    ambito.municipalities.set([municipality("Vimercate"), municipality("Arcore")])
    return ambito


def province(abbreviation: str) -> Province:
    return Province.objects.get(abbreviation=abbreviation)


def names(ambito: Ambito) -> set[str]:
    return set(ambito.municipalities.values_list("name", flat=True))


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["list", "create", "edit"])
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("volunteer", 403),
        ("proximity_operator", 403),
        ("social_worker", 403),
        ("coordinator", 403),
        ("monitoring_officer", 403),
        ("outsider", 403),
        ("administrator", 200),
    ],
)
def test_only_administrators_open_the_ambiti_pages(
    client, cast, vimercate_area, page, role, status
):
    url = {"list": LIST, "create": CREATE, "edit": edit_url(vimercate_area)}[page]
    client.force_login(cast[role])

    assert client.get(url).status_code == status


@pytest.mark.parametrize("page", ["list", "create", "edit"])
def test_anonymous_users_are_sent_to_log_in(client, vimercate_area, page):
    url = {"list": LIST, "create": CREATE, "edit": edit_url(vimercate_area)}[page]

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_coordinator_cannot_post_an_ambito(client, coordinator):
    client.force_login(coordinator)

    response = client.post(CREATE, {"name": "Ambito pirata", "action": "save"})

    assert response.status_code == 403
    assert not Ambito.objects.filter(name="Ambito pirata").exists()


def test_editing_an_ambito_that_does_not_exist_is_not_found(client, administrator):
    client.force_login(administrator)

    assert client.get(reverse("territory:ambito_edit", args=[999999])).status_code == 404


# --- list ----------------------------------------------------------------------------------


def test_ambiti_list_shows_each_ambito_with_its_municipalities_and_organisations(
    client, administrator, org_a, vimercate_area, django_assert_max_num_queries
):
    client.force_login(administrator)

    with django_assert_max_num_queries(12):
        response = client.get(LIST)

    html = response.content.decode()
    assert "Ambito di Vimercate" in html
    assert "Ambito di Lecco" in html
    assert org_a.name in html
    assert edit_url(vimercate_area) in html


# --- create and edit -----------------------------------------------------------------------


def test_administrator_creates_an_ambito_ticking_municipalities_of_a_province(
    client, administrator
):
    client.force_login(administrator)
    lc = province("LC")
    ticked = [municipality("Lecco").pk, municipality("Merate").pk]

    response = client.post(
        CREATE,
        {
            "name": "Ambito di prova",
            "code": "PROVA-1",
            "province": lc.pk,
            "municipalities": ticked,
            "action": "save",
        },
    )

    assert response.status_code == 302
    assert response.url == LIST
    ambito = Ambito.objects.get(name="Ambito di prova")
    assert ambito.code == "PROVA-1"
    assert names(ambito) == {"Lecco", "Merate"}


def test_administrator_adds_municipalities_by_pasting_istat_codes(client, administrator):
    client.force_login(administrator)

    response = client.post(
        CREATE,
        {"name": "Ambito incollato", "istat_codes": "097042, 108033\n97048", "action": "save"},
    )

    assert response.status_code == 302
    assert names(Ambito.objects.get(name="Ambito incollato")) == {"Lecco", "Monza", "Merate"}


def test_unknown_istat_codes_are_named_and_nothing_is_saved(client, administrator):
    client.force_login(administrator)

    response = client.post(
        CREATE, {"name": "Ambito errato", "istat_codes": "097042 999999 12ab", "action": "save"}
    )

    assert response.status_code == 200
    assert "12ab" in response.content.decode()
    assert not Ambito.objects.filter(name="Ambito errato").exists()

    response = client.post(
        CREATE, {"name": "Ambito errato", "istat_codes": "097042 999999", "action": "save"}
    )
    assert "999999" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Ambito.objects.filter(name="Ambito errato").exists()


def test_an_ambito_name_already_used_is_refused_whatever_its_case(
    client, administrator, vimercate_area
):
    client.force_login(administrator)

    response = client.post(CREATE, {"name": "ambito di VIMERCATE", "action": "save"})

    assert response.status_code == 200
    assert Ambito.objects.filter(name__iexact="ambito di vimercate").count() == 1
    assert italian("Another ambito already has this name.") in response.content.decode()


def test_the_edit_page_lists_the_ambitos_province_with_its_municipalities_ticked(
    client, administrator, vimercate_area
):
    client.force_login(administrator)

    form = client.get(edit_url(vimercate_area)).context["form"]

    assert form.province_id == province("MB").pk
    listed = {m.name for m in form.fields["municipalities"].queryset}
    assert {"Vimercate", "Arcore", "Monza"} <= listed
    assert set(form.initial["municipalities"]) == {
        municipality("Vimercate").pk,
        municipality("Arcore").pk,
    }


def test_showing_another_province_keeps_what_was_typed_and_ticked(
    client, administrator, vimercate_area
):
    client.force_login(administrator)
    ticked = [municipality("Vimercate").pk]

    response = client.post(
        edit_url(vimercate_area),
        {"name": "Nome nuovo", "province": province("LC").pk, "municipalities": ticked,
         "action": "show"},
    )  # fmt: skip

    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_bound
    listed = {m.name for m in form.fields["municipalities"].queryset}
    assert {"Lecco", "Merate", "Vimercate", "Arcore"} <= listed
    assert "Monza" not in listed
    assert form.initial["name"] == "Nome nuovo"
    assert form.initial["municipalities"] == ticked
    assert names(vimercate_area) == {"Vimercate", "Arcore"}  # not saved
    assert 'aria-invalid="true"' not in response.content.decode()


def test_administrator_edits_an_ambito_and_the_change_is_audited(
    client, administrator, vimercate_area
):
    client.force_login(administrator)
    ticked = [municipality("Vimercate").pk, municipality("Lecco").pk]

    response = client.post(
        edit_url(vimercate_area),
        {"name": "Ambito del Vimercatese", "code": "VIM", "municipalities": ticked,
         "action": "save"},
    )  # fmt: skip

    assert response.status_code == 302
    vimercate_area.refresh_from_db()
    assert vimercate_area.name == "Ambito del Vimercatese"
    assert names(vimercate_area) == {"Vimercate", "Lecco"}
    entry = LogEntry.objects.filter(additional_data__event="territory.ambito.updated").get()
    assert entry.actor == administrator
    assert entry.additional_data["removed"] == [municipality("Arcore").pk]
    assert entry.additional_data["added"] == [municipality("Lecco").pk]


def test_unticking_every_municipality_empties_the_ambito(client, administrator, vimercate_area):
    client.force_login(administrator)

    client.post(edit_url(vimercate_area), {"name": vimercate_area.name, "action": "save"})

    assert names(vimercate_area) == set()


def test_the_ambito_form_renders_accessible_fields_without_inline_script_or_style(
    client, administrator, vimercate_area
):
    client.force_login(administrator)

    html = client.get(edit_url(vimercate_area)).content.decode()

    assert '<label for="id_name"' in html
    assert 'aria-describedby="id_istat_codes_help"' in html
    assert "<legend" in html  # the municipalities are a group of checkboxes
    assert "Arcore (MB)" in html
    assert "style=" not in html.split("<main", 1)[1]
    assert "<script>" not in html


# --- the service ---------------------------------------------------------------------------


def test_only_administrators_may_save_an_ambito(territory, coordinator):
    with pytest.raises(PermissionDenied):
        save_ambito(coordinator, ambito=None, name="X", code="", municipality_ids=[])


def test_an_ambito_needs_a_name(territory, administrator):
    with pytest.raises(ValidationError) as exc:
        save_ambito(administrator, ambito=None, name="   ", code="", municipality_ids=[])

    assert "name" in exc.value.message_dict


def test_an_ambito_cannot_hold_municipalities_that_do_not_exist(territory, administrator):
    with pytest.raises(ValidationError) as exc:
        save_ambito(administrator, ambito=None, name="X", code="", municipality_ids=[-1])

    assert "municipalities" in exc.value.message_dict
    assert not Ambito.objects.filter(name="X").exists()


def test_saving_an_ambito_keeps_its_own_name(territory, administrator, vimercate_area):
    ids = list(Municipality.objects.filter(name="Vimercate").values_list("pk", flat=True))

    saved = save_ambito(
        administrator, ambito=vimercate_area, name=" Ambito di  Vimercate ", code="V",
        municipality_ids=ids + ids,
    )  # fmt: skip

    assert (saved.name, saved.code) == ("Ambito di Vimercate", "V")
    assert names(saved) == {"Vimercate"}
