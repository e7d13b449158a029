from django.contrib import admin

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: reports are asked for on the reports pages or through the API, and made by the worker."""

    list_display = ["id", "kind", "programme", "period_start", "period_end", "format", "status", "progress",
                    "requested_by", "requested_at", "finished_at"]
    list_filter = ["status", "format", "programme"]
    list_select_related = ["programme", "requested_by"]
    raw_id_fields = ["requested_by"]
    date_hierarchy = "requested_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
