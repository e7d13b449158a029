"""The directory of institutions and the centres' kit-stock settings, kept by the admins at headquarters."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import OfficeKind, Role
from accounts.models import Office
from cases.permissions import user_roles
from reception.choices import Service
from reception.models import Institution, KitDelivery, KitStock
from reception.services import kit_stock_level


class AdminsOnly(admin.ModelAdmin):
    """Open to the admin role (and superusers), whatever the global model permissions say."""

    show_full_result_count = False

    def is_admin(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or Role.ADMIN in user_roles(request.user))

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
