from django.urls import path

from cases import views, views_register

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("register/", views_register.case_register_view, name="case_register"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/travel/", views.case_travel, name="case_travel"),
    path("<int:pk>/reception/", views.case_reception, name="case_reception"),
    path("<int:pk>/transition/", views.case_transition_view, name="case_transition"),
    path("<int:pk>/transfer/", views.case_transfer_view, name="case_transfer"),
    path("<int:pk>/principal/", views.principal_change, name="principal_change"),
    path("<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("<int:pk>/members/<int:member_id>/split/", views.member_split_view, name="member_split"),
    path("<int:pk>/members/<int:member_id>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/duplicates/", views_register.case_duplicates, name="case_duplicates"),
    path("<int:pk>/merge/", views_register.case_merge, name="case_merge"),
]
