from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "prossimo.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        from prossimo.telephony import session  # noqa: F401 - connects the login receiver
