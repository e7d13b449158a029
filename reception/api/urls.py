from django.urls import path

from reception.api import views

urlpatterns = [
    path("movements/<int:pk>/check-ins/", views.CheckInCreate.as_view(), name="api-check-ins"),
    path("members/<int:pk>/handover/", views.HandoverCreate.as_view(), name="api-handover"),
    path("members/<int:pk>/assistance/", views.AssistanceCreate.as_view(), name="api-assistance"),
    path("members/<int:pk>/follow-ups/", views.FollowUpCreate.as_view(), name="api-follow-ups"),
    path("follow-ups/", views.FollowUpQueue.as_view(), name="api-follow-up-queue"),
    path("follow-ups/<int:pk>/attempts/", views.FollowUpAttemptCreate.as_view(), name="api-follow-up-attempts"),
    path("institutions/", views.InstitutionList.as_view(), name="api-institutions"),
    path("referrals/", views.ReferralCreate.as_view(), name="api-referrals"),
    path("referrals/<int:pk>/", views.ReferralDetail.as_view(), name="api-referral-detail"),
]
