"""Planned calls of people merged before `merge_people` moved hidden relations (session 4)
stayed on the absorbed record while their enrolment moved to the kept one: they follow their
enrolment's person again. Nothing to undo."""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def follow_the_enrolment(apps, schema_editor):
    PlannedCall = apps.get_model("programmes", "PlannedCall")
    Enrolment = apps.get_model("programmes", "Enrolment")
    PlannedCall.objects.exclude(person_id=F("enrolment__person_id")).update(
        person_id=Subquery(
            Enrolment.objects.filter(pk=OuterRef("enrolment_id")).values("person_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [("programmes", "0004_import_jobs")]

    operations = [migrations.RunPython(follow_the_enrolment, migrations.RunPython.noop)]
