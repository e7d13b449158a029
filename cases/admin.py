from django.contrib import admin

from cases.models import Case
from cases.permissions import cases_visible_to


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases in the admin follow the same visibility rule as every other page."""

    list_display = ["reference", "status", "programme", "registering_office", "intake_date"]
    list_filter = ["status", "programme", "registering_office"]
    search_fields = ["=reference"]
    show_full_result_count = False
    readonly_fields = ["reference", "status", "created_by", "version", "registration_country"]

    def get_queryset(self, request):
        return cases_visible_to(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
