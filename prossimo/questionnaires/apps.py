from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionnairesConfig(AppConfig):
    name = "prossimo.questionnaires"
    label = "questionnaires"
    verbose_name = _("Questionnaires")

    def ready(self) -> None:
        from prossimo.people import timeline
        from prossimo.questionnaires.views import person_screenings_section

        timeline.register_section(
            "screenings", "questionnaires/person_section.html", person_screenings_section
        )
