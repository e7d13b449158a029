"""The directory of institutions, the centres' kit-stock settings, and the follow-up plans and questionnaires,
kept by the admins at headquarters."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import OfficeKind, Role
from accounts.models import Office
from cases.permissions import user_roles
from reception.choices import Service
from reception.instruments import (
    instrument_version_copy,
    item_change_check,
    version_frozen_error,
    version_in_use,
)
from reception.models import (
    FollowUpPlan,
    FollowUpStep,
    Institution,
    Instrument,
    InstrumentItem,
    InstrumentVersion,
    KitDelivery,
    KitStock,
)
from reception.services import kit_stock_level


def is_reference_admin(request) -> bool:
    """Headquarters' reference data is kept by the admin role (and superusers), whatever the model permissions say."""
    return request.user.is_active and (request.user.is_superuser or Role.ADMIN in user_roles(request.user))


class AdminsOnly(admin.ModelAdmin):
    """Open to the admin role (and superusers), whatever the global model permissions say."""

    show_full_result_count = False

    def is_admin(self, request) -> bool:
        return is_reference_admin(request)

    def has_module_permission(self, request):
        return self.is_admin(request)

    def has_view_permission(self, request, obj=None):
        return self.is_admin(request)

    def has_add_permission(self, request):
        return self.is_admin(request)

    def has_change_permission(self, request, obj=None):
        return self.is_admin(request)

    def has_delete_permission(self, request, obj=None):
        return False  # referrals point at institutions: deactivate one instead


class InstitutionForm(forms.ModelForm):
    services = forms.MultipleChoiceField(label=_("services"), choices=Service.choices,
                                         widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Institution
        fields = ["name", "country", "municipality", "services", "address", "phone", "email", "contact_person",
                  "is_active"]


class ServiceFilter(admin.SimpleListFilter):
    title = _("service")
    parameter_name = "service"

    def lookups(self, request, model_admin):
        return Service.choices

    def queryset(self, request, queryset):
        return queryset.filter(services__contains=[self.value()]) if self.value() in Service.values else queryset


@admin.register(Institution)
class InstitutionAdmin(AdminsOnly):
    form = InstitutionForm
    list_display = ["name", "country", "municipality", "service_list", "phone", "is_active"]
    list_filter = ["country", ServiceFilter, "is_active"]
    search_fields = ["name", "municipality", "contact_person"]

    @admin.display(description=_("services"))
    def service_list(self, obj):
        return ", ".join(str(Service(s).label) for s in obj.services if s in Service.values)



@admin.register(KitStock)
class KitStockAdmin(AdminsOnly):
    list_display = ["centre", "low_threshold", "received", "given", "remaining"]
    autocomplete_fields = ["centre"]

    @admin.display(description=_("received"))
    def received(self, obj):
        return kit_stock_level(obj.centre).received

    @admin.display(description=_("given"))
    def given(self, obj):
        return kit_stock_level(obj.centre).given

    @admin.display(description=_("remaining"))
    def remaining(self, obj):
        return kit_stock_level(obj.centre).remaining


class KitDeliveryForm(forms.ModelForm):
    """The rules of the centre's own delivery form (reception.services.kit_delivery_record)."""

    class Meta:
        model = KitDelivery
        fields = ["centre", "quantity", "received_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = Office.objects.filter(kind=OfficeKind.RECEPTION_CENTRE)

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity < 1:
            raise forms.ValidationError(_("At least one kit."))
        return quantity

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."))
        return received_on


@admin.register(KitDelivery)
class KitDeliveryAdmin(AdminsOnly):
    """Kits sent to a centre, recorded by headquarters too (a new centre starts with a delivery); a delivery counts
    towards the stock, so it is never changed: a wrong one is balanced by another."""

    form = KitDeliveryForm
    list_display = ["centre", "quantity", "received_on", "recorded_by", "note"]
    list_filter = ["centre"]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class AdminsOnlyInline:
    """The inline of an AdminsOnly page: open to whoever may open the page."""

    def is_admin(self, request) -> bool:
        return is_reference_admin(request)

    def has_view_permission(self, request, obj=None):
        return self.is_admin(request)

    def has_add_permission(self, request, obj=None):
        return self.is_admin(request)

    def has_change_permission(self, request, obj=None):
        return self.is_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self.is_admin(request)


class FollowUpStepInline(AdminsOnlyInline, admin.TabularInline):
    model = FollowUpStep
    extra = 1
    fields = ["name", "offset_days", "window_days", "instrument_version"]


@admin.register(FollowUpPlan)
class FollowUpPlanAdmin(AdminsOnly):
    list_display = ["programme", "max_failed_attempts", "protection_focal_point", "referral_due_days"]
    autocomplete_fields = ["programme", "protection_focal_point"]
    inlines = [FollowUpStepInline]


class InstrumentVersionInline(AdminsOnlyInline, admin.TabularInline):
    model = InstrumentVersion
    extra = 0
    fields = ["number", "published_at"]
    show_change_link = True


@admin.register(Instrument)
class InstrumentAdmin(AdminsOnly):
    list_display = ["code", "name_es", "name_en"]
    search_fields = ["code", "name_es", "name_en"]
    inlines = [InstrumentVersionInline]


class InstrumentItemForm(forms.ModelForm):
    """A question of a version in use keeps its wording, type and rules: only its weight may change."""

    class Meta:
        model = InstrumentItem
        fields = ["order", "code", "text_es", "text_en", "answer_type", "options", "min_value", "max_value",
                  "required", "dimension", "reverse_scored", "weight", "flag", "flag_when"]

    def _post_clean(self):
        super()._post_clean()
        if self.has_changed() and getattr(self.instance, "version_id", None):
            try:
                item_change_check(self.instance)
            except forms.ValidationError as exc:
                self.add_error(None, exc)


class InstrumentItemFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if self.deleted_forms and version_in_use(self.instance):
            raise version_frozen_error()


class InstrumentItemInline(AdminsOnlyInline, admin.StackedInline):
    model = InstrumentItem
    form = InstrumentItemForm
    formset = InstrumentItemFormSet
    extra = 0


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(AdminsOnly):
    list_display = ["instrument", "number", "published_at", "in_use"]
    list_filter = ["instrument"]
    inlines = [InstrumentItemInline]
    actions = ["make_new_version", "recompute_scores"]

    @admin.display(description=_("in use"), boolean=True)
    def in_use(self, obj):
        return version_in_use(obj)

    @admin.action(description=_("Make a new version"))
    def make_new_version(self, request, queryset):
        for version in queryset:
            copy = instrument_version_copy(version)
            self.message_user(request, _("Version %(number)d of %(code)s is made: edit its questions.") % {
                "number": copy.number, "code": copy.instrument.code})

    @admin.action(description=_("Recompute the scores with the current weights"))
    def recompute_scores(self, request, queryset):
        from reception.followups import follow_up_scores_recompute

        count = sum(follow_up_scores_recompute(instrument_version_id=version.pk) for version in queryset)
        self.message_user(request, _("%(count)d follow-ups scored again.") % {"count": count})
