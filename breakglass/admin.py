from django.contrib import admin

from avr.admin_base import ReadOnlyAdmin
from breakglass.models import BreakGlassGrant


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(ReadOnlyAdmin):
    """Read-only: grants are made and reviewed through their service, so that each is audited and notified."""

    list_display = ["case", "user", "granted_at", "expires_at", "reviewed_at"]
    list_select_related = ["case", "user"]
    readonly_fields = [f.name for f in BreakGlassGrant._meta.fields]
