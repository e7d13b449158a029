from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import Country
from accounts.models import Assignment, MfaReset, Office, Programme, User
from accounts.services import (
    mfa_reset_approve,
    mfa_reset_reason_checked,
    mfa_reset_request,
    password_changed,
    user_role_groups_sync,
)


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "country", "is_active"]
    list_filter = ["kind", "country", "is_active"]
    search_fields = ["code", "name"]


class ProgrammeForm(forms.ModelForm):
    # Ticked boxes, not a comma-separated text: a typo would make a programme register nowhere.
    registration_countries = forms.MultipleChoiceField(
        label=_("countries of registration"), choices=Country.choices, widget=forms.CheckboxSelectMultiple)
    return_countries = forms.MultipleChoiceField(
        label=_("countries of return"), choices=Country.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Programme
        fields = "__all__"


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeForm
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
            password_changed(user=user, actor=request.user, request=request, how=how)
        return response

    def has_delete_permission(self, request, obj=None):
        # Staff are deactivated, not deleted: the audit log keeps pointing at them.
        return False


def _stored_password(user_id) -> str | None:
    if not str(user_id).isdigit():
        return None  # the admin answers 404 itself
    return User.objects.filter(pk=user_id).values_list("password", flat=True).first()


# django-otp's own admin pages would let one admin add or delete a second factor (and show its secret): a reset
# goes through MfaReset instead, with a second admin.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class MfaResetForm(forms.ModelForm):
    class Meta:
        model = MfaReset
        fields = ["user", "reason"]

    def clean_reason(self):
        try:
            return mfa_reset_reason_checked(self.cleaned_data.get("reason"))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["reason"]) from exc


@admin.register(MfaReset)
class MfaResetAdmin(admin.ModelAdmin):
    """An admin files a reset (user + reason); another admin approves it with the action. Nothing is edited."""

    list_display = ["user", "requested_by", "requested_at", "approved_by", "approved_at"]
    list_filter = [("approved_at", admin.EmptyFieldListFilter)]
    fields = ["user", "reason", "requested_by", "requested_at", "approved_by", "approved_at"]
    autocomplete_fields = ["user"]
    form = MfaResetForm
    actions = ["approve"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ["requested_by", "requested_at", "approved_by", "approved_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("accounts.approve_mfareset")

    def save_model(self, request, obj, form, change):
        saved = mfa_reset_request(user=obj.user, reason=obj.reason, actor=request.user, request=request)
        obj.pk = saved.pk
        obj.requested_by, obj.requested_at = saved.requested_by, saved.requested_at

    def save_related(self, request, form, formsets, change):
        pass  # no relations beyond the user, written by the service

    @admin.action(description=_("Approve the selected resets (removes the second factor)"), permissions=["approve"])
    def approve(self, request, queryset):
        done = 0
        for reset in queryset.filter(approved_at__isnull=True):
            try:
                mfa_reset_approve(reset_id=reset.pk, actor=request.user, request=request)
            except PermissionDenied as exc:
                self.message_user(request, f"{reset.user}: {exc}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, ngettext(
                "%(count)d reset approved: that user sets up a new authenticator at the next sign-in.",
                "%(count)d resets approved: those users set up a new authenticator at the next sign-in.",
                done) % {"count": done}, messages.SUCCESS)
