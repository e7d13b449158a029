from django.urls import path

from sync import api

urlpatterns = [
    path("sync/", api.SyncUpload.as_view(), name="api-sync"),
    path("sync/import/", api.SyncImport.as_view(), name="api-sync-import"),
    path("sync/definitions/", api.SyncDefinitions.as_view(), name="api-sync-definitions"),
    path("sync/conflicts/", api.ConflictList.as_view(), name="api-sync-conflicts"),
    path("sync/conflicts/<int:pk>/resolve/", api.ConflictResolve.as_view(), name="api-sync-conflict-resolve"),
    path("devices/", api.DeviceList.as_view(), name="api-devices"),
    path("devices/<uuid:pk>/key/", api.DeviceKey.as_view(), name="api-device-key"),
    path("devices/<uuid:pk>/references/", api.DeviceReferences.as_view(), name="api-device-references"),
    path("devices/<uuid:pk>/revoke/", api.DeviceRevoke.as_view(), name="api-device-revoke"),
]
