from django.urls import path

from rights import api, views

page_patterns = [
    path("cases/<int:pk>/members/<int:member_id>/export/", views.member_export_view, name="member_export"),
]
api_patterns = [
    path("members/<int:pk>/export/", api.MemberExport.as_view(), name="api-member-export"),
]
