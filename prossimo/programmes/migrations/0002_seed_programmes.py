"""The two programmes of the seed documents (003: Telefonia Sociale; 001: Servizi di Prossimità)."""

from django.db import migrations

PROGRAMMES = [
    {
        "code": "telefonia-sociale",
        "name": "Telefonia Sociale",
        "name_en": "Social telephone service",
        "description": (
            "Servizio di contact-center a favore di cittadini fragili individuati dai Servizi "
            "Sociali dei Comuni: ascolto attivo, individuazione tempestiva di criticità, "
            "contrasto all'isolamento e informazioni sulla rete dei servizi del territorio."
        ),
        "target_people": 1500,
        "default_rhythm": "weekly",
        "default_weekdays": (1 << 1) | (1 << 4),  # Tuesday and Friday
        "default_interval_days": 7,
        "rules": [("ucla-3", 6, 2), ("prisma-7", 3, None)],
    },
    {
        "code": "servizi-prossimita",
        "name": "Servizi di Prossimità",
        "name_en": "Proximity services",
        "description": (
            "Operatori socio-sanitari e animatori di comunità: visite domiciliari per la "
            "valutazione dei bisogni, accompagnamento, aiuto nelle pratiche, monitoraggio delle "
            "situazioni a rischio e attività di socializzazione."
        ),
        "target_people": 0,
        "default_rhythm": "every_n_days",
        "default_weekdays": 0,
        "default_interval_days": 14,
        "rules": [],
    },
]


def seed(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    ScreeningRule = apps.get_model("programmes", "ScreeningRule")
    for data in PROGRAMMES:
        data = dict(data)
        rules = data.pop("rules")
        programme, created = Programme.objects.get_or_create(code=data["code"], defaults=data)
        if created:
            for code, threshold, worsening in rules:
                ScreeningRule.objects.create(
                    programme=programme,
                    questionnaire_code=code,
                    threshold=threshold,
                    worsening_by=worsening,
                )


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
