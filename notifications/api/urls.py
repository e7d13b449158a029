from django.urls import path

from notifications.api import views

urlpatterns = [
    path("notifications/", views.NotificationList.as_view(), name="api-notification-list"),
    path("notifications/read/", views.NotificationsRead.as_view(), name="api-notifications-read"),
]
