"""The directory of institutions and the centres' kit-stock settings, kept by the admins at headquarters."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from cases.permissions import user_roles
from reception.choices import Service
from reception.models import Institution, KitStock
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
