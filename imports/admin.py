"""KoboToolbox sources are set up in the admin (the token goes in, never comes out); batches and rows are shown
read-only, without the households' data (that is for the batch's own page, which checks who may see it)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from avr.admin_base import ReadOnlyAdmin
from imports.models import ImportBatch, ImportRow, ImportSource
from imports.secrets import token_seal


class ImportSourceForm(forms.ModelForm):
    token = forms.CharField(
        label=gettext_lazy("API token"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("KoboToolbox's API token of an account that can read the form. It is kept "
                               "encrypted and never shown again; leave it empty to keep the one set."))

    class Meta:
        model = ImportSource
        fields = ["programme", "office", "server_url", "asset_uid", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("token") and not self.instance.token_sealed:
            self.add_error("token", _("A new source needs its API token."))
        return cleaned


@admin.register(ImportSource)
class ImportSourceAdmin(admin.ModelAdmin):
    form = ImportSourceForm
    list_display = ["programme", "office", "asset_uid", "is_active", "last_pulled_at", "last_submission_time",
                    "last_error"]
    list_filter = ["is_active", "programme"]
    fields = ["programme", "office", "server_url", "asset_uid", "token", "token_state", "is_active",
              "last_submission_time", "last_pulled_at", "last_error"]
    readonly_fields = ["token_state", "last_submission_time", "last_pulled_at", "last_error"]
    actions = ["pull_now"]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False  # its batches point at it; a source no longer pulled is made inactive

    @admin.display(description=gettext_lazy("API token"))
    def token_state(self, obj):
        return _("set") if obj and obj.token_sealed else _("not set")

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("token"):
            obj.token_sealed = token_seal(form.cleaned_data["token"])
            obj.last_error = ""
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Pull the selected sources now"))
    def pull_now(self, request, queryset):
        from django.conf import settings
        from django.db import transaction

        from imports.tasks_kobo import kobo_pull_task

        for source in queryset.filter(is_active=True):  # a pull stages up to thousands of households: bulk queue
            transaction.on_commit(lambda pk=source.pk: kobo_pull_task.apply_async(args=[pk],
                                                                                 queue=settings.AVR_BULK_QUEUE))
        messages.success(request, _("The pull is queued; its batch appears among the imports when it is read."))


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "programme", "office", "status", "rows", "valid", "invalid", "duplicates",
                    "merged", "uploaded_by", "uploaded_at"]
    list_filter = ["kind", "status", "programme"]
    fields = ["kind", "programme", "office", "source", "file_name", "status", "progress", "error", "rows", "valid",
              "invalid", "new", "duplicates", "merged", "uploaded_by", "uploaded_at", "approved_by", "approved_at",
              "refused_by", "refused_at", "finished_at"]
    readonly_fields = fields


@admin.register(ImportRow)
class ImportRowAdmin(ReadOnlyAdmin):
    """Which row became which case; the row's data, errors and candidates (personal data) are not shown."""

    list_display = ["pk", "batch", "sheet_row", "status", "case", "updates_case", "merged_at"]
    list_filter = ["status"]
    fields = ["batch", "sheet_row", "status", "kobo_submission_time", "case", "updates_case", "merged_at"]
    readonly_fields = fields
    raw_id_fields = ["batch"]
