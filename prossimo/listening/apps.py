from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "prossimo.listening"
    label = "listening"
    verbose_name = _("Listening line")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from prossimo.listening import models

        auditlog.register(models.Contact)
        auditlog.register(models.Need)
        auditlog.register(models.Alert)
        auditlog.register(models.FollowUp)
