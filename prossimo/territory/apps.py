from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "prossimo.territory"
    label = "territory"
    verbose_name = _("Territory and organisations")

    def ready(self) -> None:
        from prossimo.core.permissions import register_role_provider
        from prossimo.territory.selectors import roles_for_user

        register_role_provider(roles_for_user)
