from django.urls import path

from screening.api import views

urlpatterns = [
    path("cases/<int:pk>/counselling-sessions/", views.CounsellingSessionList.as_view(),
         name="api-counselling-sessions"),
    path("cases/<int:pk>/checklist/", views.CaseChecklist.as_view(), name="api-case-checklist"),
    path("cases/bulk-approval/", views.BulkApproval.as_view(), name="api-bulk-approval"),
    path("members/<int:pk>/screening/", views.MemberScreening.as_view(), name="api-member-screening"),
    path("members/<int:pk>/best-interests/", views.MemberBestInterests.as_view(), name="api-member-best-interests"),
    path("members/<int:pk>/declarations/", views.MemberDeclarationList.as_view(), name="api-member-declarations"),
    path("declarations/<int:pk>/withdraw/", views.DeclarationWithdraw.as_view(), name="api-declaration-withdraw"),
    path("declarations/<int:pk>/scan/", views.DeclarationScan.as_view(), name="api-declaration-scan"),
    path("members/<int:pk>/consents/", views.MemberConsentList.as_view(), name="api-member-consents"),
    path("consents/<int:pk>/withdraw/", views.ConsentWithdraw.as_view(), name="api-consent-withdraw"),
    path("members/<int:pk>/protection-flag/resolve/", views.ProtectionFlagResolve.as_view(),
         name="api-protection-flag-resolve"),
]
