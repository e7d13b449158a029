import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", _("In service")
    REVOKED = "revoked", _("Withdrawn")


class Device(models.Model):
    """A booth tablet that queues work offline. Its secret never leaves the server: each user gets a key derived
    from it (sync.keys), with which the tablet wraps the key of its encrypted queue."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(_("label"), max_length=80)
    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="devices",
                               verbose_name=_("office"))
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("enrolled by"))
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    secret = models.CharField(max_length=64, editable=False)
    status = models.CharField(_("status"), max_length=8, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE)
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("withdrawn by"))
    revoke_reason = models.CharField(_("why it was withdrawn"), max_length=300, blank=True)
    # What the tablet said of its queue the last time it called; the sync monitor shows it.
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("last signed in"))
    pending = models.PositiveIntegerField(_("operations waiting"), default=0)
    oldest_pending_at = models.DateTimeField(_("oldest waiting since"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_sequence = models.BigIntegerField(_("last operation"), default=0)
    storage_usage = models.BigIntegerField(null=True, blank=True)
    storage_quota = models.BigIntegerField(null=True, blank=True)
    storage_persisted = models.BooleanField(null=True, blank=True)
    # Set when the 24-hour alert went out for the current oldest operation, so it goes out once.
    alerted_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_reference = models.PositiveIntegerField(default=1, editable=False)
    reference_prefix = models.CharField(_("provisional reference prefix"), max_length=24, unique=True,
                                        editable=False)

    class Meta:
        verbose_name = _("booth tablet")
        verbose_name_plural = _("booth tablets")
        indexes = [models.Index(fields=["office", "status"], name="device_office")]

    def __str__(self) -> str:
        return self.label


class ReferenceBlock(models.Model):
    """Numbers reserved for one tablet, so the slip it prints offline carries a reference no one else will."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="reference_blocks")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "start"], name="reference_block_once")]


class OperationStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    CONFLICT = "conflict", _("Applied with conflicts to resolve")
    REJECTED = "rejected", _("Refused")


class SyncOperation(models.Model):
    """One operation a tablet queued offline, applied once: its id is the tablet's Idempotency-Key.

    The payload is not kept (the case holds what was applied); its digest tells a replay from a reused id.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="operations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sequence = models.BigIntegerField()
    kind = models.CharField(max_length=24)
    form_version = models.CharField(max_length=32, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    payload_digest = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=OperationStatus.choices)
    code = models.CharField(max_length=32, blank=True)
    result = models.JSONField(default=dict)
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    possible_duplicates = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["device", "sequence"], name="sync_op_device_sequence"),
                   models.Index(fields=["case"], name="sync_op_case", condition=models.Q(possible_duplicates__gt=0))]


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("To resolve")
    RESOLVED = "resolved", _("Resolved")


class ConflictChoice(models.TextChoices):
    SERVER = "server", _("Keep the value on the server")
    DEVICE = "device", _("Take the value from the tablet")


class SyncConflict(models.Model):
    """A protection-relevant field that the tablet and the server changed differently: both values wait here for
    a caseworker to choose; neither was applied over the other."""

    operation = models.ForeignKey(SyncOperation, on_delete=models.CASCADE, related_name="conflicts")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sync_conflicts")
    member = models.ForeignKey("cases.Member", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="sync_conflicts")
    field = models.CharField(max_length=40)
    base_value = models.JSONField(null=True)
    server_value = models.JSONField(null=True)
    device_value = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=ConflictStatus.choices, default=ConflictStatus.OPEN)
    resolution = models.CharField(max_length=8, choices=ConflictChoice.choices, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "status"], name="sync_conflict_case"),
                   models.Index(fields=["-id"], name="sync_conflict_open", condition=models.Q(status="open"))]
