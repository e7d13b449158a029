from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # The case stage's own guards (birth dates, one person one return, unique travel documents) and the check
        # that the lifecycle table names no guard nobody registered.
        from cases import identity, safeguards  # noqa: F401

        self._forget_assignments_on_change()

    @staticmethod
    def _forget_assignments_on_change():
        # Other processes learn of a change from the user's version; this one forgets at once, so a caller that
        # changes an assignment and then checks access with a user loaded before the change sees the new one.
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Assignment, Office, Programme
        from cases.permissions import assignments_cache_clear

        for model in (Assignment, Office, Programme):
            post_save.connect(assignments_cache_clear, sender=model, dispatch_uid=f"assignments-{model.__name__}-save")
            post_delete.connect(assignments_cache_clear, sender=model,
                                dispatch_uid=f"assignments-{model.__name__}-delete")
