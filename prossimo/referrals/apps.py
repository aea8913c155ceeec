from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "prossimo.referrals"
    label = "referrals"
    verbose_name = _("Referrals to services")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from prossimo.people import timeline
        from prossimo.referrals import models
        from prossimo.referrals.views import person_referrals_section

        # The person's page lists their referrals to services and where each stands.
        timeline.register_section(
            "referrals", "referrals/person_section.html", person_referrals_section
        )
        for model in (models.ReferralDestination, models.Referral, models.ReferralTransition):
            auditlog.register(model)
