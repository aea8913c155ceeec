from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "prossimo.people"
    label = "people"
    verbose_name = _("People registry")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from prossimo.people import models

        auditlog.register(models.Person)
        auditlog.register(models.Phone)
        auditlog.register(models.ReferencePerson)
        auditlog.register(models.Consent)
        auditlog.register(models.PersonShare)
