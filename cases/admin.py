from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from avr.admin_base import ReadOnlyAdmin
from cases.fields import FieldPolicyAdmin
from cases.models import Case
from cases.permissions import cases_visible_to


@admin.register(Case)
class CaseAdmin(FieldPolicyAdmin, ReadOnlyAdmin):
    """Cases in the admin follow the same visibility rule and field policy as every other page, read-only there.

    Every change goes through the case services (version, validation, events) on the case pages or the API;
    the admin shows no personal field and no note, and its one action approves through the approval service.
    """

    list_display = ["reference", "status", "programme", "registering_office", "intake_date"]
    list_filter = ["status", "programme", "registering_office"]
    search_fields = ["=reference"]
    fields = ["reference", "status", "programme", "registering_office", "registration_country",
              "destination_country", "reception_centre", "intake_date", "created_by", "created_at", "version"]
    readonly_fields = fields
    actions = ["approve_selected"]

    @admin.action(description=gettext_lazy("Approve the selected cases (each is checked like a single approval)"))
    def approve_selected(self, request, queryset):
        from screening.approval import cases_bulk_approve

        cases = {case.pk: case.reference for case in queryset}
        for result in cases_bulk_approve(actor=request.user, case_ids=list(cases)):
            reference = cases[result.case]
            if result.outcome == "approved":
                self.message_user(request, _("%(reference)s approved.") % {"reference": reference}, messages.SUCCESS)
            elif result.outcome == "refused":
                self.message_user(request, _("%(reference)s not approved: %(missing)s") % {
                    "reference": reference, "missing": " ".join(u["message"] for u in result.unmet)}, messages.ERROR)
            else:
                self.message_user(request, _("Case %(reference)s could not be approved (not found or not yours to "
                                             "approve).") % {"reference": reference}, messages.ERROR)

    def get_queryset(self, request):
        return cases_visible_to(request.user, super().get_queryset(request))
