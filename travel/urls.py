from django.urls import path

from travel import views

urlpatterns = [
    path("", views.movement_list, name="movement_list"),
    path("new/", views.movement_new, name="movement_new"),
    path("<int:pk>/", views.movement_detail, name="movement_detail"),
    path("<int:pk>/edit/", views.movement_edit, name="movement_edit"),
    path("<int:pk>/bookings/", views.movement_book, name="movement_book"),
    path("<int:pk>/bookings/<int:case_id>/unbook/", views.movement_unbook, name="movement_unbook"),
    path("<int:pk>/transition/", views.movement_transition_view, name="movement_transition"),
    path("<int:pk>/escorts/", views.escort_new, name="movement_escort_new"),
    path("<int:pk>/border-support/", views.border_support_new, name="movement_border_support_new"),
]

# Mounted under /cases/: a member's travel documents are recorded from the case's travel tab.
case_patterns = [
    path("<int:pk>/members/<int:member_id>/travel-documents/new/", views.travel_document_new,
         name="travel_document_new"),
]
