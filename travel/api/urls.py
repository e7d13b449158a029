from django.urls import path

from travel.api import views

urlpatterns = [
    path("movements/", views.MovementList.as_view(), name="api-movements"),
    path("movements/<int:pk>/", views.MovementDetail.as_view(), name="api-movement-detail"),
    path("movements/<int:pk>/bookings/", views.BookingCreate.as_view(), name="api-movement-bookings"),
    path("movements/<int:pk>/bookings/<int:case_id>/", views.BookingDelete.as_view(), name="api-movement-booking"),
    path("movements/<int:pk>/transitions/", views.MovementTransition.as_view(), name="api-movement-transitions"),
    path("movements/<int:pk>/escorts/", views.EscortCreate.as_view(), name="api-movement-escorts"),
    path("movements/<int:pk>/border-support/", views.BorderSupportCreate.as_view(), name="api-border-support"),
    path("members/<int:pk>/travel-documents/", views.TravelDocumentList.as_view(), name="api-travel-documents"),
]
