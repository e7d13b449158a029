from django.urls import path

from rights import api, views

page_patterns = [
    path("cases/<int:pk>/members/<int:member_id>/export/", views.member_export_view, name="member_export"),
    path("cases/<int:pk>/members/<int:member_id>/erasure/", views.member_erasure_view, name="member_erasure"),
]
api_patterns = [
    path("members/<int:pk>/export/", api.MemberExport.as_view(), name="api-member-export"),
    path("members/<int:pk>/erasure-requests/", api.MemberErasureRequests.as_view(), name="api-member-erasure"),
]
