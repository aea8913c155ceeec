from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "prossimo.referrals"
    label = "referrals"
    verbose_name = _("Referrals to services")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from prossimo.listening import call_panels
        from prossimo.people import timeline
        from prossimo.referrals import models
        from prossimo.referrals.call_panel import PANEL, need_status_notes
        from prossimo.referrals.views import person_referrals_section

        # The person's page lists their referrals to services and where each stands.
        timeline.register_section(
            "referrals", "referrals/person_section.html", person_referrals_section
        )
        # The call form shows the services meeting the needs ("information given", referrals),
        # and the listening pages' needs say where their referrals stand.
        call_panels.register_call_panel(PANEL)
        call_panels.register_need_status("referrals", need_status_notes)
        for model in (
            models.ReferralDestination,
            models.Referral,
            models.ReferralTransition,
            models.ServiceInformation,
        ):
            auditlog.register(model)
