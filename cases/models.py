from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.choices import Country
from cases.choices import CaseStatus, DocumentType, Relationship, Sex


class Case(models.Model):
    """A household returning together. The scope columns decide who may see it (cases.permissions)."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    programme = models.ForeignKey("accounts.Programme", on_delete=models.PROTECT, verbose_name=_("programme"))
    registering_office = models.ForeignKey(
        "accounts.Office", on_delete=models.PROTECT, related_name="registered_cases", verbose_name=_("registering office")
    )
    # Denormalised from the office so that a movement officer's country filter is one indexed column.
    registration_country = models.CharField(_("country of registration"), max_length=2, choices=Country.choices)
    destination_country = models.CharField(_("country of return"), max_length=2, choices=Country.choices)
    reception_centre = models.ForeignKey(
        "accounts.Office", on_delete=models.PROTECT, null=True, blank=True, related_name="incoming_cases",
        verbose_name=_("reception centre"),
    )
    assigned_caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_cases",
        verbose_name=_("assigned caseworker"),
    )
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REGISTERED)
    caseworker_notes = models.TextField(_("caseworker notes"), blank=True)
    intake_date = models.DateField(_("intake date"), default=date.today)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [("approve_case", _("Can approve the return of this case"))]
        indexes = [
            models.Index(fields=["registering_office", "status", "id"], name="case_office_scope"),
            models.Index(fields=["programme", "registration_country", "status", "id"], name="case_programme_scope"),
            models.Index(fields=["registration_country", "status", "id"], name="case_country_scope"),
            models.Index(fields=["reception_centre", "status", "id"], name="case_reception_scope"),
            models.Index(fields=["assigned_caseworker", "id"], name="case_assignee_scope"),
        ]

    def __str__(self) -> str:
        return self.reference


class Member(models.Model):
    """A person in a household case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members", verbose_name=_("case"))
    relationship = models.CharField(_("relationship to the principal"), max_length=16, choices=Relationship.choices)
    given_names = models.CharField(_("given names"), max_length=120)
    family_names = models.CharField(_("family names"), max_length=120)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    date_of_birth_estimated = models.BooleanField(_("date of birth estimated"), default=False)
    nationality = models.CharField(_("nationality"), max_length=2, choices=Country.choices)
    document_type = models.CharField(_("document type"), max_length=24, choices=DocumentType.choices, blank=True)
    document_number = models.CharField(_("document number"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    needs_medical_attention = models.BooleanField(_("needs medical attention"), default=False)
    # Blocking keys for duplicate detection (cases.dedup), written by the services, indexed.
    name_key = models.CharField(max_length=255, blank=True, editable=False)
    family_initials = models.CharField(max_length=8, blank=True, editable=False)
    birth_year = models.SmallIntegerField(null=True, blank=True, editable=False)
    document_key = models.CharField(max_length=40, blank=True, editable=False)
    phone_key = models.CharField(max_length=16, blank=True, editable=False)

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(fields=["nationality", "family_initials", "birth_year"], name="member_name_block"),
            models.Index(fields=["document_key"], name="member_document_block", condition=~models.Q(document_key="")),
            models.Index(fields=["phone_key"], name="member_phone_block", condition=~models.Q(phone_key="")),
        ]

    def __str__(self) -> str:
        return f"{self.given_names} {self.family_names}"

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_names}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A case shared with one user outside its scope (direct FK: no generic-table scans)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """A case shared with a team; preferred over per-user grants."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class ReferenceCounter(models.Model):
    """The last number handed out per office and year; references are never reused."""

    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="reference_counter_unique")]


class CaseEvent(models.Model):
    """One change of a case's status: who, when, from, to, why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who"))
    at = models.DateTimeField(_("when"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=CaseStatus.choices)
    note = models.TextField(_("why"), blank=True)

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
