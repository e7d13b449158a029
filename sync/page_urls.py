"""The sync pages: conflicts to resolve and the monitor of the booth tablets."""

from django.urls import path

from sync import views

urlpatterns = [
    path("conflicts/", views.conflict_list, name="sync_conflicts"),
    path("conflicts/<int:pk>/resolve/", views.conflict_resolve_view, name="sync_conflict_resolve"),
    path("devices/", views.device_list, name="sync_devices"),
    path("devices/<uuid:pk>/revoke/", views.device_revoke_view, name="sync_device_revoke"),
]
