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

        from prossimo.listening.views_calls import person_call_action, person_history_section
        from prossimo.people import timeline

        timeline.register_section(
            "listening", "listening/calls/person_history.html", person_history_section
        )
        timeline.register_action(
            "listening_call", "listening/calls/person_call_action.html", person_call_action
        )
