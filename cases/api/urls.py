from django.urls import path

from cases.api import views

urlpatterns = [
    path("cases/", views.CaseList.as_view(), name="api-case-list"),
    path("cases/<int:pk>/", views.CaseDetail.as_view(), name="api-case-detail"),
    path("cases/<int:pk>/transitions/", views.CaseTransitionCreate.as_view(), name="api-case-transitions"),
    path("cases/<int:pk>/events/", views.CaseEventList.as_view(), name="api-case-events"),
]
