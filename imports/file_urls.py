"""The import files under api/v1/ (included before the core's imports/ paths, so these resolve first)."""

from django.urls import path

from imports.file_api import ImportErrorsFile, ImportTemplate

urlpatterns = [
    path("imports/template.xlsx", ImportTemplate.as_view(), name="api-import-template"),
    path("imports/<int:pk>/errors.xlsx", ImportErrorsFile.as_view(), name="api-import-errors"),
]
