from django.urls import path

from cases import views

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/transition/", views.case_transition_view, name="case_transition"),
]
