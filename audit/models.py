from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    LOGIN_REFUSED = "login_refused", _("Sign-in refused (too many attempts)")
    PASSWORD_CHANGE = "password_change", _("Password changed")
    VIEW = "view", _("Viewed personal data")
    LIST = "list", _("Listed personal data")
    INSERT = "insert", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    EXPORT = "export", _("Export")
    DOWNLOAD = "download", _("Download")
    SHRED = "shred", _("Values made unreadable")
    BREAK_GLASS = "break_glass", _("Emergency access granted")
    BREAK_GLASS_REVIEW = "glass_reviewed", _("Emergency access reviewed")
    ERASURE = "erasure", _("Erasure requested")
    MFA_ENROLLED = "mfa_enrolled", _("Two-factor sign-in set up")
    MFA_CODES = "mfa_codes", _("New recovery codes made")
    MFA_RECOVERY_USED = "mfa_recovery", _("Signed in with a recovery code")
    MFA_DISABLED = "mfa_disabled", _("Two-factor sign-in turned off")
    MFA_RESET_ASKED = "mfa_reset_asked", _("Two-factor reset requested")
    MFA_RESET = "mfa_reset", _("Two-factor reset approved")
    DETACH = "detached", _("Old audit months detached to archive tables")


class AuditEvent(models.Model):
    """One line of the append-only audit log; the database refuses UPDATE and DELETE on this table.

    The table is partitioned by month of `at` (audit/partitions.py); its primary key in the database is (id, at),
    `id` alone here: ids come from one sequence, so they stay unique (audit migration 0011 says why).
    """

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # PROTECT: staff who appear in the log are deactivated, never deleted, so the log keeps its meaning.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("who"), db_constraint=False,
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_ids = ArrayField(models.BigIntegerField(), verbose_name=_("objects listed"), default=list, blank=True)
    reason = models.TextField(_("reason or detail"), blank=True)
    changes = models.JSONField(_("changes"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("page or endpoint"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"


class CaseKey(models.Model):
    """One case's key for the values in its audit lines; destroying it makes them unreadable, the lines remain.

    Written by the database triggers, read by `audit_values_read`, destroyed by `case_audit_key_destroy`;
    on purpose in no admin page, serializer or export.
    """

    # Not a foreign key: the audit app sits below the stages, and the key outlives nothing it protects.
    case_id = models.BigIntegerField(_("case"), primary_key=True)
    key = models.BinaryField(_("key"), null=True, editable=False)
    created_at = models.DateTimeField(_("key created"), default=timezone.now)
    destroyed_at = models.DateTimeField(_("key destroyed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case audit key")
        verbose_name_plural = _("case audit keys")

    def __str__(self) -> str:
        return f"case {self.case_id}"
