"""The booth tablets and what they sent, in the admin: read-only, without the tablet's secret and without any value
of a case (the values of a conflict are read on the conflicts page, through the field policy)."""

from django.contrib import admin

from avr.admin_base import ReadOnlyAdmin
from sync.models import Device, SyncConflict, SyncOperation


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    """Read-only: tablets are enrolled from the booth app and withdrawn from the sync monitor."""

    list_display = ["label", "office", "status", "last_seen_at", "pending", "oldest_pending_at", "last_error"]
    list_filter = ["status", "office"]
    list_select_related = ["office"]
    search_fields = ["label", "reference_prefix"]
    # Never `secret`: with it, anyone could derive every user's key for the tablet's queue.
    fields = ["id", "label", "office", "status", "enrolled_by", "enrolled_at", "revoked_at", "revoked_by",
              "revoke_reason", "last_seen_at", "last_user", "pending", "oldest_pending_at", "alerted_at",
              "last_error", "last_error_at", "last_sequence", "storage_usage", "storage_quota", "storage_persisted",
              "reference_prefix", "next_reference"]
    readonly_fields = fields


@admin.register(SyncOperation)
class SyncOperationAdmin(ReadOnlyAdmin):
    """Read-only: each operation a tablet sent, as it was answered (its result holds member ids, not shown)."""

    list_display = ["id", "device", "sequence", "kind", "status", "code", "captured_at", "received_at",
                    "possible_duplicates"]
    list_filter = ["status", "kind"]
    list_select_related = ["device"]
    fields = ["id", "device", "user", "sequence", "kind", "form_version", "captured_at", "received_at", "status",
              "code", "case", "possible_duplicates", "payload_digest"]
    readonly_fields = fields


@admin.register(SyncConflict)
class SyncConflictAdmin(ReadOnlyAdmin):
    """Read-only and without the three values, the member or the note: those belong to the case's team."""

    list_display = ["id", "case", "field", "status", "resolution", "created_at", "resolved_at"]
    list_filter = ["status", "resolution"]
    list_select_related = ["case"]
    fields = ["id", "operation", "case", "field", "status", "resolution", "created_at", "resolved_by",
              "resolved_at"]
    readonly_fields = fields
