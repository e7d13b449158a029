from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    """The person's rights over their data: an export of everything held, consent withdrawal that stops each use."""

    name = "rights"
    verbose_name = _("The person's rights")
