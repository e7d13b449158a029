from django.contrib import admin

from avr.admin_base import ReadOnlyAdmin
from rights.models import ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    """Kept for good: who asked, when, and whether it was carried out or refused on which ground; never a name."""

    list_display = ["id", "case", "member_id", "status", "refusal_code", "requested_by", "requested_at"]
    list_filter = ["status", "refusal_code"]
    readonly_fields = ["case", "member_id", "status", "refusal_code", "requested_by", "requested_at", "certificate"]
    exclude = ["member", "reason"]
