from django.contrib import admin

from avr.admin_base import ReadOnlyAdmin
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Read-only: notifications are written by the tasks, never by hand."""

    list_display = ["id", "recipient", "kind", "case", "movement", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient", "case", "movement"]
    raw_id_fields = ["recipient", "case", "movement"]
