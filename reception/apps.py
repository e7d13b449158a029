from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceptionConfig(AppConfig):
    name = "reception"
    verbose_name = _("Reception, assistance and referrals")

    def ready(self):
        from reception import rules  # noqa: F401  (registers the arrival and closure guards)
