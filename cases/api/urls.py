from django.urls import path

from cases.api import registration, transfers, views

urlpatterns = [
    path("cases/", views.CaseList.as_view(), name="api-case-list"),
    path("cases/<int:pk>/", views.CaseDetail.as_view(), name="api-case-detail"),
    path("cases/<int:pk>/transitions/", views.CaseTransitionCreate.as_view(), name="api-case-transitions"),
    path("cases/<int:pk>/transfers/", transfers.CaseTransferList.as_view(), name="api-case-transfers"),
    path("cases/<int:pk>/events/", views.CaseEventList.as_view(), name="api-case-events"),
    path("cases/<int:pk>/members/", registration.MemberCreate.as_view(), name="api-case-members"),
    path("cases/<int:pk>/principal/", views.PrincipalChange.as_view(), name="api-case-principal"),
    path("cases/<int:pk>/members/<int:member_id>/split/", views.MemberSplit.as_view(), name="api-member-split"),
    path("members/<int:pk>/", registration.MemberUpdate.as_view(), name="api-member-detail"),
    path("members/<int:pk>/duplicate-decisions/", registration.DuplicateDecisionCreate.as_view(),
         name="api-duplicate-decisions"),
]
