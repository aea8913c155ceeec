from django.db import migrations


def load(apps, schema_editor):
    from prossimo.listening.taxonomy import sync_need_categories

    sync_need_categories(apps.get_model("listening", "NeedCategory"))


class Migration(migrations.Migration):
    dependencies = [("listening", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
