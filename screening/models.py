"""Counselling, screening, best interests and declarations: what must be true before a return is approved."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from screening.choices import (
    BestInterestsOutcome,
    CounsellingOutcome,
    CounsellingTopic,
    FitnessOutcome,
    ProtectionReferralTo,
    Severity,
    VulnerabilityKind,
)


class CounsellingSession(models.Model):
    """One counselling conversation with the household: what was covered and what they decided."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="counselling_sessions",
                             verbose_name=_("case"))
    held_on = models.DateField(_("date"))
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("counsellor"))
    interpreter = models.CharField(_("interpreter"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=60)
    topics = ArrayField(models.CharField(max_length=24, choices=CounsellingTopic.choices), default=list,
                        verbose_name=_("topics covered"))
    questions = models.TextField(_("the migrant's questions"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CounsellingOutcome.choices)
    notes = models.TextField(_("counselling notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["case", "held_on", "id"]
        verbose_name = _("counselling session")
        verbose_name_plural = _("counselling sessions")


class ProtectionScreening(models.Model):
    """Fear of return and related protection answers for one member; a "yes" flags the case."""

    member = models.OneToOneField("cases.Member", on_delete=models.CASCADE, related_name="protection",
                                  verbose_name=_("member"))
    fear_of_return = models.BooleanField(_("fear of return"))
    narrative = models.TextField(_("protection narrative"), blank=True)
    pending_asylum_claim = models.BooleanField(_("pending asylum claim"), default=False)
    threats = models.BooleanField(_("threats received"), default=False)
    screened_on = models.DateField(_("screened on"))
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("screened by"))
    # A protection officer or supervisor may clear the flag after a protection interview, with their reason.
    resolved_at = models.DateTimeField(_("flag resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("flag resolved by"))
    resolution_note = models.TextField(_("why the flag was resolved"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("protection screening")
        verbose_name_plural = _("protection screenings")

    @property
    def flag_open(self) -> bool:
        return self.fear_of_return and self.resolved_at is None


class Vulnerability(models.Model):
    """One vulnerability of one member, with its severity."""

    member = models.ForeignKey("cases.Member", on_delete=models.CASCADE, related_name="vulnerabilities",
                               verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=24, choices=VulnerabilityKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    needs_specialised_assessment = models.BooleanField(_("needs a specialised assessment"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["member", "kind"]
        verbose_name = _("vulnerability")
        verbose_name_plural = _("vulnerabilities")
        constraints = [models.UniqueConstraint(fields=["member", "kind"], name="vulnerability_once_per_kind")]


class FitnessToTravel(models.Model):
    """The clinician's outcome where a medical flag is set; the detail is for medical-cleared staff only."""

    member = models.OneToOneField("cases.Member", on_delete=models.CASCADE, related_name="fitness",
                                  verbose_name=_("member"))
    outcome = models.CharField(_("fitness to travel"), max_length=20, choices=FitnessOutcome.choices)
    assessed_on = models.DateField(_("assessed on"))
    clinician = models.CharField(_("clinician"), max_length=120)
    detail = models.TextField(_("medical detail"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))

    class Meta:
        verbose_name = _("fitness to travel")
        verbose_name_plural = _("fitness to travel")


class BestInterests(models.Model):
    """The best-interests determination for a child travelling without a parent."""

    member = models.OneToOneField("cases.Member", on_delete=models.CASCADE, related_name="best_interests",
                                  verbose_name=_("child"))
    responsible_authority = models.CharField(_("responsible authority"), max_length=160)
    guardian_name = models.CharField(_("guardian"), max_length=160)
    child_views = models.TextField(_("the child's views"))
    options_considered = models.TextField(_("options considered"))
    family_tracing_result = models.TextField(_("family tracing result"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=BestInterestsOutcome.choices)
    decided_on = models.DateField(_("decided on"))
    guardian_consent = models.BooleanField(_("guardian's consent to the return"), default=False)
    guardian_consent_on = models.DateField(_("guardian's consent given on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("best-interests determination")
        verbose_name_plural = _("best-interests determinations")


class Declaration(models.Model):
    """An adult's signed declaration of voluntary return; withdrawing it keeps the record."""

    member = models.ForeignKey("cases.Member", on_delete=models.CASCADE, related_name="declarations",
                               verbose_name=_("member"))
    signed_on = models.DateField(_("signed on"))
    witness = models.CharField(_("witness"), max_length=160)
    scan = models.FileField(_("scan"), upload_to="declarations/%Y/%m/", blank=True)
    # Stored under a name of our own; the uploader's (sanitised) name and the type its bytes showed are served back.
    scan_name = models.CharField(_("scan file name"), max_length=160, blank=True)
    scan_type = models.CharField(_("scan file type"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("why it was withdrawn"), blank=True)

    class Meta:
        ordering = ["member", "-recorded_at", "-id"]
        verbose_name = _("declaration of voluntary return")
        verbose_name_plural = _("declarations of voluntary return")


class ProtectionReferral(models.Model):
    """Where a person who fears return was referred when the case left the programme (non-refoulement)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="protection_referrals",
                             verbose_name=_("case"))
    referred_to = models.CharField(_("referred to"), max_length=20, choices=ProtectionReferralTo.choices)
    referred_on = models.DateField(_("referred on"), auto_now_add=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("referred by"))

    class Meta:
        verbose_name = _("protection referral")
        verbose_name_plural = _("protection referrals")
