"""Django admin (/gestione/): the directory's tables open for a superuser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prossimo.directory import hsds
from prossimo.directory.models import Location, Service
from prossimo.directory.services import import_hsds
from prossimo.directory.tests.conftest import EXAMPLES
from prossimo.territory.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, territory):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert import_hsds(EXAMPLES / "csv").ok
    return client


@pytest.mark.parametrize(
    "model",
    [spec.model._meta.model_name for spec in hsds.tables().values()]
    + ["informalresource", "hsdsimport"],
)
def test_directory_lists_open_for_a_superuser(admin_client, model):
    response = admin_client.get(reverse(f"admin:directory_{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", [Service, Location])
def test_a_record_with_a_link_to_a_record_we_dont_hold_opens(admin_client, model):
    """The example's location names an organization that isn't in the package."""
    obj = model.objects.get()

    response = admin_client.get(
        reverse(f"admin:directory_{model._meta.model_name}_change", args=[obj.pk])
    )

    assert response.status_code == 200
