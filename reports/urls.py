from django.urls import path

from reports import views

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("new/", views.report_new, name="report_new"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/progress/", views.report_progress, name="report_progress"),
    path("<int:pk>/download/", views.report_download, name="report_download"),
    path("<int:pk>/again/", views.report_again, name="report_again"),
]
