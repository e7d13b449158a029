"""Erasure requests: the person asked for their data to go; each request is kept, carried out or refused."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ErasureStatus(models.TextChoices):
    COMPLETED = "completed", _("Erased")
    REFUSED = "refused", _("Refused")


class ErasureRefusal(models.TextChoices):
    """The legal grounds to refuse; the stable code is stored, its message is read in the reader's language."""

    ALREADY_ERASED = "already_erased", _("This person's data has already been erased.")
    LEGAL_HOLD = "legal_hold", _("The case is under a legal hold: nothing in it may be erased while the hold stands.")
    PROTECTION_REFERRAL = "protection_referral", _(
        "The case was referred for international protection (non-refoulement): its record must be kept.")
    PROTECTION_SERVICE_REFERRAL = "protection_service_referral", _(
        "This person has a referral to a protection service that is still open (sent or accepted).")
    FEAR_OF_RETURN = "fear_of_return", _(
        "This person's fear of return has not been resolved: the protection record must be kept.")
    RETURN_UNDER_WAY = "return_under_way", _(
        "This person is booked on a movement that has not arrived: the manifest and the reception centre still "
        "need their identity.")
    PRINCIPAL_OF_OPEN_CASE = "principal_of_open_case", _(
        "This person is the principal applicant of an open case: withdraw or close the case first.")


class ErasureRequest(models.Model):
    """One person's request to erase their data, with their reason, and what came of it; kept for good."""

    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="erasure_requests",
                               verbose_name=_("member"))
    # The case the member belonged to when they asked: the scope that decides who sees the request.
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="erasure_requests",
                             verbose_name=_("case"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=12, choices=ErasureStatus.choices)
    refusal_code = models.CharField(_("why it was refused"), max_length=32, choices=ErasureRefusal.choices,
                                    blank=True)
    certificate = models.ForeignKey("retention.ErasureCertificate", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("certificate"))

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(status="completed", refusal_code="", certificate__isnull=False)
                           | (models.Q(status="refused", certificate__isnull=True) & ~models.Q(refusal_code=""))),
                name="erasure_request_outcome"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_status_display()})"

    @property
    def refusal_reason(self) -> str:
        """The recorded legal reason, in the language of whoever reads it now."""
        return str(self.get_refusal_code_display()) if self.refusal_code else ""
