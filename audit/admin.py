from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from avr.admin_base import ReadOnlyAdmin

SHOWN = ["at", "actor_username", "action", "object_type", "object_id", "object_ids", "changed_columns", "reason",
         "ip_address", "page"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """When, who, what and which columns changed, never the values; each look at the log is itself logged.

    Nobody can add, change or delete through the admin (nor in the database).
    """

    list_display = ["at", "actor_username", "action", "object_type", "object_id", "changed_columns", "ip_address",
                    "page"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "object_id", "=object_type", "reason"]
    date_hierarchy = "at"
    list_per_page = 50
    fields = SHOWN
    readonly_fields = SHOWN

    @admin.display(description=_("changed columns"))
    def changed_columns(self, obj):
        return ", ".join((obj.changes or {}).get("columns", []))

    @admin.display(description=_("page or endpoint"))
    def page(self, obj):
        # A query string can carry what was searched for (a name, a document number): the path alone.
        return obj.path.split("?", 1)[0]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            audit_record(actor=request.user, action=AuditAction.LIST, request=request,
                         object_type="audit.auditevent", object_ids=[e.pk for e in changelist.result_list])
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            audit_record(actor=request.user, action=AuditAction.VIEW, request=request,
                         object_type="audit.auditevent", object_id=str(object_id))
        return response
