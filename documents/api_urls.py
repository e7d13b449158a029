from django.urls import path

from documents import api

urlpatterns = [
    path("cases/<int:pk>/documents/", api.CaseDocumentList.as_view(), name="api-case-documents"),
    path("cases/<int:pk>/documents/<int:document_id>/", api.CaseDocumentFile.as_view(), name="api-case-document"),
    path("cases/<int:pk>/documents/<int:document_id>/delete/", api.CaseDocumentDelete.as_view(),
         name="api-case-document-delete"),
]
