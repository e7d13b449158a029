from django.contrib import admin

from avr.admin_base import ReadOnlyAdmin
from reports.models import Report


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Read-only: reports are asked for on the reports pages or through the API, and made by the worker."""

    list_display = ["id", "kind", "programme", "period_start", "period_end", "format", "status", "progress",
                    "requested_by", "requested_at", "finished_at"]
    list_filter = ["status", "format", "programme"]
    list_select_related = ["programme", "requested_by"]
    raw_id_fields = ["requested_by"]
    date_hierarchy = "requested_at"
