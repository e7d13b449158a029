from django.urls import path

from documents import views

urlpatterns = [
    path("<int:pk>/documents/", views.document_upload_view, name="document_upload"),
    path("<int:pk>/documents/<int:document_id>/", views.document_download, name="document_download"),
    path("<int:pk>/documents/<int:document_id>/delete/", views.document_delete_view, name="document_delete"),
]
