from django.contrib import admin

from avr.admin_base import ReadOnlyAdmin
from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only: what waits, what runs, what failed and why (ids and task names only)."""

    list_display = ("id", "task", "key", "created_at", "published_at", "started_at", "done_at", "failed_at",
                    "attempts", "last_error")
    list_filter = ("task",)
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
