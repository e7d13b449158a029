"""The installable booth app: its shell page, service worker and web app manifest."""

from django.urls import path

from sync import booth

urlpatterns = [
    path("", booth.booth_shell, name="booth"),
    path("sw.js", booth.booth_service_worker, name="booth_sw"),
    path("manifest.webmanifest", booth.booth_manifest, name="booth_manifest"),
]
