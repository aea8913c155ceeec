"""The data migration that puts planned calls back on their enrolment's person."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from prossimo.people.tests.factories import PersonFactory
from prossimo.programmes.models import PlannedCall

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "prossimo.programmes.migrations.0005_calls_follow_merged_people"
)


def test_calls_left_on_an_absorbed_record_follow_their_enrolment(todays_call, lecco):
    absorbed = PersonFactory(municipality=lecco)
    PlannedCall.objects.filter(pk=todays_call.pk).update(person=absorbed)  # as before the fix
    migration.follow_the_enrolment(apps, None)
    todays_call.refresh_from_db()
    assert todays_call.person_id == todays_call.enrolment.person_id != absorbed.pk
    # Run again: nothing to do.
    migration.follow_the_enrolment(apps, None)
    assert PlannedCall.objects.get(pk=todays_call.pk).person_id == todays_call.person_id
