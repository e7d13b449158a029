from django.urls import path

from notifications import views

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("read/", views.notifications_read_all, name="notifications_read_all"),
    path("<int:pk>/", views.notification_open_view, name="notification_open"),
]
