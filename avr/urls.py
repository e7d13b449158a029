from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts import mfa_views
from accounts import views as account_views
from avr import errors
from avr.docs import ApiDocs
from avr.health import health
from breakglass.api import BreakGlassCreate
from rights import urls as rights_urls
from screening import urls_pdf as declaration_pdf_urls
from travel import urls as travel_page_urls
from travel import urls_manifest

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("screening.api.urls")),
    path("", include("travel.api.urls")),
    path("", include("reception.api.urls")),
    path("", include("reports.api.urls")),
    path("", include(declaration_pdf_urls.api_patterns)),
    path("", include(urls_manifest.api_patterns)),
    path("", include("notifications.api.urls")),
    path("", include(rights_urls.api_patterns)),
    path("", include("retention.api")),
    path("", include("sync.urls")),
    path("", include("imports.file_urls")),  # before the core's imports/ paths, so template.xlsx resolves
    path("", include("imports.urls")),
    path("", include("documents.api_urls")),
    path("cases/<int:pk>/break-glass/", BreakGlassCreate.as_view(), name="api-case-break-glass"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocs.as_view(url_name="api-schema"), name="api-docs"),
]

# The admin signs in through our login page, so lockout and the audit log cover it too.
admin.site.login = login_required(admin.site.login)
admin.site.site_header = admin.site.site_title = "AVR Case Manager"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/login/code/", mfa_views.login_code, name="login_code"),
    path("accounts/mfa/", mfa_views.mfa_manage, name="mfa_manage"),
    path("accounts/mfa/enrol/", mfa_views.mfa_enrol, name="mfa_enrol"),
    path("accounts/logout/", account_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("", include("breakglass.urls")),
    path("cases/", include("screening.urls")),
    path("", include(declaration_pdf_urls.page_patterns)),
    path("", include(urls_manifest.page_patterns)),
    path("", include(rights_urls.page_patterns)),
    path("cases/", include("cases.urls")),
    path("cases/", include("documents.urls")),
    path("cases/", include(travel_page_urls.case_patterns)),
    path("movements/", include("travel.urls")),
    path("reception/", include("reception.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("retention/", include("retention.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("booth/", include("sync.booth_urls")),
    path("sync/", include("sync.page_urls")),
    path("imports/", include("imports.page_urls")),
    path("health/", health, name="health"),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
