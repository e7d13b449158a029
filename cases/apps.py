from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # The case stage's own guards (birth dates, one person one return, unique travel documents) and the check
        # that the lifecycle table names no guard nobody registered.
        from cases import identity, safeguards  # noqa: F401
