from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Counselling and screening")

    def ready(self):
        from screening import rules  # noqa: F401  (registers the approval guards with the case lifecycle)
