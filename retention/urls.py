from django.urls import path

from retention import views

urlpatterns = [
    path("review/", views.review_queue, name="retention_review"),
    path("review/confirm/", views.review_confirm, name="retention_review_confirm"),
]
