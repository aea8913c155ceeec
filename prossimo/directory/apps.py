from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "prossimo.directory"
    label = "directory"
    verbose_name = _("Resource directory")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from prossimo.directory import models

        # Edits made in the admin are recorded; imports write in bulk and record one event.
        for model in (
            models.Organization,
            models.Service,
            models.Location,
            models.ServiceAtLocation,
            models.Program,
            models.Taxonomy,
            models.TaxonomyTerm,
            models.ServiceNeed,
        ):
            auditlog.register(model)
        # A private person's details: the trail says who changed what, not the values.
        auditlog.register(
            models.InformalResource,
            mask_fields=["name", "phone", "description"],
            m2m_fields={"needs"},
        )
