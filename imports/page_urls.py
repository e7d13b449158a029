from django.urls import path

from imports import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("new/", views.import_upload, name="import_upload"),
    path("template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/errors.xlsx", views.import_errors_file, name="import_errors_file"),
    path("<int:pk>/approve/", views.import_approve, name="import_approve"),
    path("<int:pk>/refuse/", views.import_refuse, name="import_refuse"),
    path("<int:pk>/continue/", views.import_continue, name="import_continue"),
    path("<int:pk>/rows/<int:row_id>/decide/", views.import_row_decide, name="import_row_decide"),
]
