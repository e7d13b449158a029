from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TravelConfig(AppConfig):
    name = "travel"
    verbose_name = _("Travel and movements")

    def ready(self):
        from travel import rules  # noqa: F401  (registers the booking guards with the case lifecycle)
