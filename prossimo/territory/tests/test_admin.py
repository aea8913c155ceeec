"""Django admin (/gestione/): territory tables read-only, organisations and users editable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prossimo.core.permissions import Role
from prossimo.territory.models import Membership
from prossimo.territory.tests.factories import UserFactory, municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(territory):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    "model",
    ["territory_region", "territory_province", "territory_municipality", "territory_ambito",
     "territory_organisation", "territory_membership", "core_user"],
)  # fmt: skip
def test_admin_lists_open_for_a_superuser(admin_client, org_a, volunteer, model):
    response = admin_client.get(reverse(f"admin:{model}_changelist"))

    assert response.status_code == 200


def test_municipalities_are_searchable_in_the_admin(admin_client):
    response = admin_client.get(reverse("admin:territory_municipality_changelist"), {"q": "E507"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [municipality("Lecco")]


def test_istat_tables_cannot_be_changed_in_the_admin(admin_client):
    lecco = municipality("Lecco")

    assert admin_client.get(reverse("admin:territory_municipality_add")).status_code == 403
    view = admin_client.get(reverse("admin:territory_municipality_change", args=[lecco.pk]))
    assert view.status_code == 200
    assert view.context["has_change_permission"] is False
    response = admin_client.post(
        reverse("admin:territory_municipality_delete", args=[lecco.pk]), {"post": "yes"}
    )
    assert response.status_code == 403


def test_organisation_page_shows_its_members_and_territory(admin_client, org_a, volunteer):
    response = admin_client.get(reverse("admin:territory_organisation_change", args=[org_a.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Lecco (LC)" in html  # municipalities labelled with their province
    assert volunteer.username in html


def test_user_page_shows_the_users_memberships(admin_client, volunteer, org_a):
    response = admin_client.get(reverse("admin:core_user_change", args=[volunteer.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert org_a.name in html
    assert "memberships-TOTAL_FORMS" in html


def test_a_membership_is_added_from_the_user_page(admin_client, org_b, volunteer):
    url = reverse("admin:core_user_change", args=[volunteer.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "date_joined_0": volunteer.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": volunteer.date_joined.strftime("%H:%M:%S"),
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(volunteer.memberships.get().pk),
            "memberships-0-user": str(volunteer.pk),
            "memberships-0-organisation": str(volunteer.memberships.get().organisation_id),
            "memberships-0-role": Role.VOLUNTEER,
            "memberships-0-is_active": "on",
            "memberships-1-user": str(volunteer.pk),
            "memberships-1-organisation": str(org_b.pk),
            "memberships-1-role": Role.COORDINATOR,
            "memberships-1-is_active": "on",
        }
    )
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Membership.objects.filter(
        user=volunteer, organisation=org_b, role=Role.COORDINATOR
    ).exists()


def test_staff_without_permissions_cannot_see_organisations(client, territory):
    staff = UserFactory(username="staff", is_staff=True)
    client.force_login(staff)

    response = client.get(reverse("admin:territory_organisation_changelist"))

    assert response.status_code == 403
