"""Arrivals, child handovers, assistance, kit stock, the directory of institutions, referrals and follow-up."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Country
from reception.choices import (
    ONCE_PER_RETURN,
    AssistanceKind,
    ChildAuthority,
    Currency,
    HandoverTo,
    ReferralStatus,
    Service,
)


class CheckIn(models.Model):
    """One traveller's arrival (or not) at the reception centre; one per booking, so a retried scan is harmless."""

    booking = models.OneToOneField("travel.Booking", on_delete=models.PROTECT, related_name="check_in",
                                   verbose_name=_("booking"))
    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="check_ins",
                               verbose_name=_("member"))
    arrived = models.BooleanField(_("arrived"))
    at = models.DateTimeField(_("checked in at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("checked in by"))
    reason = models.CharField(_("why they did not arrive"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")


class Handover(models.Model):
    """An unaccompanied child handed to the child-protection authority, and where the child goes."""

    member = models.OneToOneField("cases.Member", on_delete=models.PROTECT, related_name="handover",
                                  verbose_name=_("child"))
    authority = models.CharField(_("receiving authority"), max_length=10, choices=ChildAuthority.choices)
    authority_other = models.CharField(_("other authority"), max_length=160, blank=True)
    official_name = models.CharField(_("official's name"), max_length=160)
    official_position = models.CharField(_("official's position"), max_length=160)
    handed_over_at = models.DateTimeField(_("handed over at"))
    goes_to = models.CharField(_("the child goes to"), max_length=10, choices=HandoverTo.choices)
    goes_to_name = models.CharField(_("name of the family member or shelter"), max_length=160)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("child handover")
        verbose_name_plural = _("child handovers")


class Assistance(models.Model):
    """One item given to one person at the centre, with who gave it and when."""

    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="assistance",
                               verbose_name=_("member"))
    centre = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("reception centre"))
    kind = models.CharField(_("kind"), max_length=24, choices=AssistanceKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    given_at = models.DateTimeField(_("given at"))
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("given by"))
    # The SHA-256 of the client's request key (form token or Idempotency-Key): a double click or a retry finds the
    # first item.
    request_key = models.CharField(max_length=100)

    class Meta:
        ordering = ["member", "given_at", "id"]
        verbose_name = _("assistance")
        verbose_name_plural = _("assistance")
        constraints = [
            models.UniqueConstraint(fields=["member", "request_key"], name="assistance_request_once"),
            models.UniqueConstraint(fields=["member", "kind"], condition=Q(kind__in=ONCE_PER_RETURN),
                                    name="assistance_once_per_return"),
        ]
        indexes = [models.Index(fields=["centre", "kind"], name="assistance_centre_kind")]


class KitStock(models.Model):
    """A centre's hygiene-kit stock settings; received and given are counted from their records."""

    centre = models.OneToOneField("accounts.Office", on_delete=models.PROTECT, related_name="kit_stock",
                                  verbose_name=_("reception centre"))
    low_threshold = models.PositiveIntegerField(_("warn when fewer than"), default=20)

    class Meta:
        verbose_name = _("kit stock")
        verbose_name_plural = _("kit stocks")


class KitDelivery(models.Model):
    """Hygiene kits received at a centre."""

    centre = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("reception centre"))
    quantity = models.PositiveIntegerField(_("kits received"))
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))

    class Meta:
        ordering = ["centre", "-received_on"]
        verbose_name = _("kit delivery")
        verbose_name_plural = _("kit deliveries")


class Institution(models.Model):
    """A government or partner service people can be referred to (admins keep the directory)."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    services = ArrayField(models.CharField(max_length=16, choices=Service.choices), verbose_name=_("services"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=160, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "municipality", "name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name


class Referral(models.Model):
    """A person referred to an institution for a service, followed until it answers."""

    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="referrals",
                               verbose_name=_("member"))
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="referrals",
                                    verbose_name=_("institution"))
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    consent = models.ForeignKey("cases.Consent", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("consent to share"))
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices,
                              default=ReferralStatus.SENT)
    sent_on = models.DateField(_("sent on"))
    due_on = models.DateField(_("answer due on"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("referred by"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["status", "due_on"], name="referral_due")]


class FollowUp(models.Model):
    """A phone survey one to three months after return, with the person's consent to be contacted."""

    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="follow_ups",
                               verbose_name=_("member"))
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # The person withdrew their consent to be contacted before the call was made: it is never made.
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    reached = models.BooleanField(_("reached"), null=True)
    safe = models.BooleanField(_("feels safe"), null=True)
    working = models.BooleanField(_("working"), null=True)
    needs = models.TextField(_("needs"), blank=True)
    intends_to_migrate_again = models.BooleanField(_("intends to migrate again"), null=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["done_on", "due_on"], name="follow_up_due")]
