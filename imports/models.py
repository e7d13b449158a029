"""Registrations brought in bulk (an XLSX from a partner, a KoboToolbox form): staged, checked, approved by a second
person, then merged into cases one row at a time, each row remembering the case it made."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BatchKind(models.TextChoices):
    XLSX = "xlsx", _("Spreadsheet")
    KOBO = "kobo", _("KoboToolbox")


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be read")
    PARSING = "parsing", _("Being read and checked")
    CONFIRM = "confirm", _("Waiting: is this a re-upload?")
    VALIDATED = "validated", _("Checked, waiting for approval")
    MERGING = "merging", _("Being merged into cases")
    MERGED = "merged", _("Merged")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Could not be read")


class ImportSource(models.Model):
    """A programme's KoboToolbox form, pulled nightly: only submissions newer than the last one seen."""

    programme = models.ForeignKey("accounts.Programme", on_delete=models.PROTECT, related_name="import_sources",
                                  verbose_name=_("programme"))
    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("registering office"))
    server_url = models.URLField(_("KoboToolbox server"), max_length=200)
    asset_uid = models.CharField(_("form (asset uid)"), max_length=64)
    # The API token, encrypted with a key derived from the Django secret key (imports.secrets): never shown again.
    token_sealed = models.TextField(editable=False)
    last_submission_time = models.DateTimeField(_("last submission seen"), null=True, blank=True)
    last_pulled_at = models.DateTimeField(_("last pulled"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("KoboToolbox source")
        verbose_name_plural = _("KoboToolbox sources")
        constraints = [models.UniqueConstraint(fields=["server_url", "asset_uid"], name="import_source_once")]

    def __str__(self) -> str:
        return f"{self.programme.code}: {self.asset_uid}"


class ImportBatch(models.Model):
    kind = models.CharField(_("kind"), max_length=4, choices=BatchKind.choices, default=BatchKind.XLSX)
    programme = models.ForeignKey("accounts.Programme", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("programme"))
    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("registering office"))
    source = models.ForeignKey(ImportSource, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="batches", verbose_name=_("KoboToolbox source"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    # The uploaded file, kept until the batch is merged or refused (it holds personal data), and its digest for
    # ever, so the same file again is refused at once.
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_digest = models.CharField(max_length=64, editable=False)
    language = models.CharField(max_length=5, default="es")
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    rows = models.PositiveIntegerField(_("households"), default=0)
    valid = models.PositiveIntegerField(_("valid"), default=0)
    invalid = models.PositiveIntegerField(_("invalid"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    duplicates = models.PositiveIntegerField(_("possible duplicates"), default=0)
    merged = models.PositiveIntegerField(_("merged"), default=0)
    # Someone said "this is not a re-upload" when the circuit breaker stopped the batch.
    reupload_denied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    refused_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("refused by"))
    refused_at = models.DateTimeField(_("refused"), null=True, blank=True)
    refusal_reason = models.CharField(_("why it was refused"), max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        constraints = [models.UniqueConstraint(fields=["programme", "file_digest"], name="import_batch_file_once")]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="import_batch_working")]


class RowStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("To correct")
    DUPLICATE = "duplicate", _("Possible duplicate to decide")
    SKIPPED = "skipped", _("Not imported (a duplicate)")
    UPDATE = "update", _("Amends a case already imported")
    MERGED = "merged", _("Merged")


class ImportRow(models.Model):
    """One household of a batch: as read, as normalised, what is wrong with it, and the case it became."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="household_rows")
    household_key = models.CharField(max_length=120)
    sheet_row = models.PositiveIntegerField()  # the households sheet's row number (1-based, as Excel shows it)
    member_rows = models.JSONField(default=list)  # the members sheet's row numbers of this household
    data = models.JSONField(default=dict)  # the registration body, as POST /api/v1/cases/ takes it
    errors = models.JSONField(default=dict)  # {"households": {column: [msg]}, "members": {row: {column: [msg]}}}
    status = models.CharField(max_length=10, choices=RowStatus.choices)
    candidates = models.JSONField(default=list)  # likely duplicates found, for the side-by-side decision
    kobo_uuid = models.CharField(max_length=64, blank=True)
    kobo_submission_time = models.DateTimeField(null=True, blank=True)
    updates_case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    # Set in the same transaction as the case it made: a retried merge finds it and never makes a second one.
    case = models.OneToOneField("cases.Case", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="import_row")
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "household_key"], name="import_row_once")]
        indexes = [models.Index(fields=["batch", "status", "id"], name="import_row_status"),
                   models.Index(fields=["kobo_uuid"], name="import_row_kobo",
                                condition=~models.Q(kobo_uuid=""))]
