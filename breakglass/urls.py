from django.urls import path

from breakglass import views

urlpatterns = [
    path("cases/break-glass/", views.break_glass_request, name="break_glass_request"),
    path("cases/break-glass/review/", views.break_glass_review_queue, name="break_glass_review"),
    path("cases/break-glass/<int:pk>/reviewed/", views.break_glass_review_view, name="break_glass_reviewed"),
]
