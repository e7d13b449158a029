from django.urls import path

from imports import api

urlpatterns = [
    path("imports/", api.BatchList.as_view(), name="api-imports"),
    path("imports/<int:pk>/", api.BatchDetail.as_view(), name="api-import"),
    path("imports/<int:pk>/approve/", api.BatchApprove.as_view(), name="api-import-approve"),
    path("imports/<int:pk>/refuse/", api.BatchRefuse.as_view(), name="api-import-refuse"),
    path("imports/<int:pk>/continue/", api.BatchContinue.as_view(), name="api-import-continue"),
    path("imports/<int:pk>/rows/", api.BatchRows.as_view(), name="api-import-rows"),
    path("imports/<int:pk>/rows/<int:row_id>/decision/", api.RowDecision.as_view(), name="api-import-row-decision"),
]
