from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from avr.admin_base import ReadOnlyAdmin
from retention.models import ErasureCertificate, LegalHold, ReviewItem
from retention.services import legal_hold_place, legal_hold_release


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    """Placing a hold goes through the service (who may, one standing hold per case); a hold is released, not deleted."""

    list_display = ["case", "placed_by", "placed_at", "released_at"]
    list_filter = ["released_at"]
    raw_id_fields = ["case"]
    fields = ["case", "reason"]
    actions = ["release"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        hold = legal_hold_place(case_id=obj.case_id, actor=request.user, reason=form.cleaned_data["reason"])
        obj.pk, obj.placed_by, obj.placed_at = hold.pk, hold.placed_by, hold.placed_at

    @admin.action(description=_("Release the selected holds"))
    def release(self, request, queryset):
        for hold in queryset.filter(released_at__isnull=True):
            legal_hold_release(case_id=hold.case_id, actor=request.user)
        messages.success(request, _("Holds released: the cases are queued again when they are due."))


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ["case", "due_on", "status", "confirmed_by", "confirmed_at"]
    list_filter = ["status"]


@admin.register(ErasureCertificate)
class ErasureCertificateAdmin(ReadOnlyAdmin):
    """Kept for good: what each run removed, when, by whom and under which policy."""

    list_display = ["run_id", "at", "actor_username", "policy", "automatic"]
    list_filter = ["automatic"]
    readonly_fields = ["run_id", "at", "actor_username", "policy", "automatic", "case_references", "removed"]
    exclude = ["actor", "case_ids"]
