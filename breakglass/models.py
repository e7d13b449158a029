from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BreakGlassGrant(models.Model):
    """Time-limited, read-only access to one case for someone outside its scope, with the reason they gave.

    Granted by `break_glass_grant`; read by the one visibility rule (cases.permissions); reviewed by a supervisor
    of the case or the programme's data-protection focal point.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants",
                             verbose_name=_("granted to"))
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="break_glass_grants",
                             verbose_name=_("case"))
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        indexes = [
            models.Index(fields=["user", "case", "expires_at"], name="break_glass_active"),
            models.Index(fields=["case"], name="break_glass_unreviewed", condition=models.Q(reviewed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.user_id} · {self.granted_at:%Y-%m-%d %H:%M}"
