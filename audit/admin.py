from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Browse and filter the log; nobody can add, change or delete through the admin (nor in the database)."""

    list_display = ["at", "actor_username", "action", "object_type", "object_id", "ip_address", "path"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "object_id", "=object_type", "reason"]
    date_hierarchy = "at"
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [f.name for f in AuditEvent._meta.fields] + ["object_ids"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
