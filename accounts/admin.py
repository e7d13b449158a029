from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Assignment, Office, Programme, User
from accounts.services import user_role_groups_sync
from audit.services import audit_password_changed


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "country", "is_active"]
    list_filter = ["kind", "country", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "donor", "start_date", "end_date", "retention_months", "retention_automatic"]
    search_fields = ["code", "name", "donor"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 1
    autocomplete_fields = ["office", "programme"]
    verbose_name = _("role")
    verbose_name_plural = _("roles (what this person may see and do)")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [AssignmentInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "roles"]
    list_filter = ["is_active", "is_protection_cleared", "is_medical_cleared", "assignments__role",
                   "assignments__office"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "language")}),
        (_("Clearances"), {"fields": ("is_protection_cleared", "is_medical_cleared")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    show_full_result_count = False

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(str(a) for a in obj.assignments.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("assignments__office", "assignments__programme")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user_role_groups_sync(user=form.instance)

    def user_change_password(self, request, id, form_url=""):
        before = _stored_password(id)
        response = super().user_change_password(request, id, form_url)
        # Audited by what was stored, not by the answer: a conflicting submit redirects like a successful one.
        user = User.objects.filter(pk=id).first() if before is not None else None
        if request.method == "POST" and user is not None and user.password != before:
            how = "admin" if user.has_usable_password() else "admin_disabled"
            audit_password_changed(user=user, actor=request.user, request=request, how=how)
        return response

    def has_delete_permission(self, request, obj=None):
        # Staff are deactivated, not deleted: the audit log keeps pointing at them.
        return False


def _stored_password(user_id) -> str | None:
    if not str(user_id).isdigit():
        return None  # the admin answers 404 itself
    return User.objects.filter(pk=user_id).values_list("password", flat=True).first()
