from django.db import migrations


def load(apps, schema_editor):
    from prossimo.questionnaires.loader import load_definitions

    load_definitions(apps.get_model("questionnaires", "Questionnaire"))


class Migration(migrations.Migration):
    dependencies = [("questionnaires", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
