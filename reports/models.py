"""A requested report: its parameters, its progress, and the file once it is made (aggregates only)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reports.choices import ReportFormat, ReportKind, ReportStatus


class Report(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices, default=ReportKind.DONOR)
    programme = models.ForeignKey("accounts.Programme", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("programme"))
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    format = models.CharField(_("format"), max_length=4, choices=ReportFormat.choices)
    language = models.CharField(_("language"), max_length=5, default="es")
    status = models.CharField(_("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    # Empty for the monthly reports beat makes for each programme.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # Asking again for the same report replaces it: one row per person and request.
            models.UniqueConstraint(fields=["requested_by", "kind", "programme", "period_start", "period_end", "format",
                                            "language"], nulls_distinct=False, name="report_once_per_request"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="report_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}–{self.period_end} ({self.format})"


class ReturnFact(models.Model):
    """One person who left on a movement, as the donor report counts them: categories only, frozen when the movement
    departed.

    Written in the departure's transaction (reports.facts); no name, no birth date, no member. Anonymisation, an
    erasure, a later correction of the person or a transfer of the case to another office leave it as it was, so
    the report of a past period gives the same numbers when it is run again.
    """

    # Only to write each fact once; anonymising or erasing the person cuts it (retention.services).
    booking = models.OneToOneField("travel.Booking", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("booking"))
    programme = models.ForeignKey("accounts.Programme", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("programme"))
    movement = models.ForeignKey("travel.Movement", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("movement"))
    departed_at = models.DateTimeField(_("departed"))
    sex = models.CharField(_("sex"), max_length=8)
    age_band = models.CharField(_("age band"), max_length=8)
    nationality = models.CharField(_("nationality"), max_length=2)
    child_status = models.CharField(_("child or adult"), max_length=20)
    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("registering office"))
    country_of_return = models.CharField(_("country of return"), max_length=2)
    transport_mode = models.CharField(_("transport mode"), max_length=8)
    days_from_registration = models.IntegerField(_("days from registration to departure"), null=True, blank=True)

    class Meta:
        verbose_name = _("return fact")
        verbose_name_plural = _("return facts")
        indexes = [models.Index(fields=["departed_at", "programme"], name="returnfact_period")]

    def __str__(self) -> str:
        return f"{self.movement_id} {self.departed_at:%Y-%m-%d}"
