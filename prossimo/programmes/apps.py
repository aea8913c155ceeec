from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "prossimo.programmes"
    label = "programmes"
    verbose_name = _("Programmes")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from prossimo.people import timeline
        from prossimo.programmes import escalation, models
        from prossimo.programmes.views_enrolments import (
            person_enrolments_section,
            person_refer_action,
        )

        # The person's page lists their referrals and enrolments, and offers to refer them.
        timeline.register_section(
            "programmes", "programmes/enrolments/person_section.html", person_enrolments_section
        )
        timeline.register_action(
            "programmes_refer",
            "programmes/enrolments/person_refer_action.html",
            person_refer_action,
        )
        escalation.connect()
        # Every write of these rows is in the audit trail (planned calls generated in bulk by
        # the daily job are not: the job's run is, as one event).
        for model in (
            models.Enrolment,
            models.EnrolmentTransition,
            models.CallPlan,
            models.Absence,
            models.PlannedCall,
            models.CallAttempt,
        ):
            auditlog.register(model)
