"""Retention: legal holds, the review queue of closed cases due for anonymisation, and the erasure certificates."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LegalHold(models.Model):
    """A case that must not be anonymised while the hold stands (litigation, an investigation, an open appeal)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="legal_holds",
                             verbose_name=_("case"))
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("placed by"))
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("released by"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [models.UniqueConstraint(fields=["case"], condition=Q(released_at__isnull=True),
                                               name="legal_hold_one_standing")]

    def __str__(self) -> str:
        return str(self.case)


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    CONFIRMED = "confirmed", _("Confirmed: anonymisation queued")
    ANONYMISED = "anonymised", _("Anonymised")
    SKIPPED = "skipped", _("Skipped (legal hold or reopened)")


class ReviewItem(models.Model):
    """A closed case past its programme's retention period, waiting for a supervisor's or admin's confirmation."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="retention_review",
                                verbose_name=_("case"))
    due_on = models.DateField(_("due on"))
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    certificate = models.ForeignKey("retention.ErasureCertificate", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("certificate"))

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("retention review")
        verbose_name_plural = _("retention reviews")


class ErasureCertificate(models.Model):
    """What one anonymisation run removed, when, by whom and under which policy; kept for good, names no person."""

    run_id = models.UUIDField(_("run"), default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    # e.g. "request" (one case by hand) or "programme CARAVANS-2018: 24 months after closure".
    policy = models.CharField(_("policy"), max_length=200)
    automatic = models.BooleanField(_("automatic run"), default=False)
    case_references = ArrayField(models.CharField(max_length=32), verbose_name=_("cases"), default=list)
    case_ids = ArrayField(models.BigIntegerField(), verbose_name=_("case ids"), default=list)
    # {"cases.Member": {"rows": 3, "fields": ["given_names", ...]}, "files": 1, "audit_keys": 1}
    removed = models.JSONField(_("what was removed"), default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("erasure certificate")
        verbose_name_plural = _("erasure certificates")

    def __str__(self) -> str:
        return f"{self.run_id} ({self.at:%Y-%m-%d})"
