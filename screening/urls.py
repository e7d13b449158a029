from django.urls import path

from screening import views

urlpatterns = [
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("approvals/bulk/", views.approval_bulk, name="approval_bulk"),
    path("<int:pk>/screening/", views.case_screening, name="case_screening"),
    path("<int:pk>/counselling/new/", views.counselling_session_new, name="counselling_session_new"),
    path("<int:pk>/members/<int:member_id>/screening/", views.member_screening_edit, name="member_screening_edit"),
    path("<int:pk>/members/<int:member_id>/best-interests/", views.best_interests_edit, name="best_interests_edit"),
    path("<int:pk>/members/<int:member_id>/declarations/new/", views.declaration_new, name="declaration_new"),
    path("<int:pk>/declarations/<int:declaration_id>/withdraw/", views.declaration_withdraw,
         name="declaration_withdraw"),
    path("<int:pk>/declarations/<int:declaration_id>/scan/", views.declaration_scan, name="declaration_scan"),
    path("<int:pk>/members/<int:member_id>/consents/new/", views.consent_new, name="consent_new"),
    path("<int:pk>/consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("<int:pk>/members/<int:member_id>/protection-flag/resolve/", views.protection_flag_resolve,
         name="protection_flag_resolve"),
]
