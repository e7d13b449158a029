"""The manifest downloads, for the project urls to include: page_patterns under "", api_patterns under "api/v1/"."""

from django.urls import path

from travel.views_manifest import (
    MovementManifestBuild,
    MovementManifestCsv,
    MovementManifestPdf,
    MovementManifestXlsx,
    movement_manifest_build_progress,
    movement_manifest_build_view,
    movement_manifest_view,
)

page_patterns = [
    path("movements/<int:pk>/manifest.pdf", movement_manifest_view, {"kind": "pdf"}, name="movement_manifest_pdf"),
    path("movements/<int:pk>/manifest.csv", movement_manifest_view, {"kind": "csv"}, name="movement_manifest_csv"),
    path("movements/<int:pk>/manifest.xlsx", movement_manifest_view, {"kind": "xlsx"}, name="movement_manifest_xlsx"),
    path("movements/<int:pk>/manifest/builds/<int:build_id>/", movement_manifest_build_view,
         name="movement_manifest_build"),
    path("movements/<int:pk>/manifest/builds/<int:build_id>/progress/", movement_manifest_build_progress,
         name="movement_manifest_build_progress"),
]
api_patterns = [
    path("movements/<int:pk>/manifest.pdf", MovementManifestPdf.as_view(), name="api-movement-manifest-pdf"),
    path("movements/<int:pk>/manifest.csv", MovementManifestCsv.as_view(), name="api-movement-manifest-csv"),
    path("movements/<int:pk>/manifest.xlsx", MovementManifestXlsx.as_view(), name="api-movement-manifest-xlsx"),
    path("movements/<int:pk>/manifest-builds/<int:build_id>/", MovementManifestBuild.as_view(),
         name="api-movement-manifest-build"),
]
