from django.contrib import admin

from breakglass.models import BreakGlassGrant


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(admin.ModelAdmin):
    """Read-only: grants are made and reviewed through their service, so that each is audited and notified."""

    list_display = ["case", "user", "granted_at", "expires_at", "reviewed_at"]
    list_select_related = ["case", "user"]
    show_full_result_count = False
    readonly_fields = [f.name for f in BreakGlassGrant._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
