from django.urls import path

from reports.api import views

urlpatterns = [
    path("reports/", views.ReportCreate.as_view(), name="api-reports"),
    path("reports/<int:pk>/", views.ReportDetail.as_view(), name="api-report-detail"),
    path("reports/<int:pk>/download/", views.ReportDownload.as_view(), name="api-report-download"),
]
