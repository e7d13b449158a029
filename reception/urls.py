"""Pages of the reception centre, mounted under /reception/."""

from django.urls import path

from reception import follow_up_views, views

urlpatterns = [
    path("", views.arrivals, name="arrivals"),
    path("movements/<int:pk>/check-in/", views.check_in_board, name="check_in_board"),
    path("members/<int:member_id>/handover/", views.handover_new, name="handover_new"),
    path("members/<int:member_id>/assistance/", views.assistance_new, name="assistance_new"),
    path("assistance/<int:pk>/receipt.pdf", views.assistance_receipt, name="assistance_receipt"),
    path("kits/", views.kit_stock, name="kit_stock"),
    path("members/<int:member_id>/referrals/new/", views.referral_new, name="referral_new"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/<int:pk>/", views.referral_update, name="referral_update"),
    path("referrals/<int:pk>/slip.pdf", views.referral_slip, name="referral_slip"),
    path("follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("follow-ups/queue/", follow_up_views.follow_up_queue_page, name="follow_up_queue"),
    path("follow-ups/<int:pk>/", follow_up_views.follow_up_detail, name="follow_up_detail"),
    path("safeguarding/", follow_up_views.safeguarding_task_list, name="safeguarding_task_list"),
    path("safeguarding/<int:pk>/close/", follow_up_views.safeguarding_task_close, name="safeguarding_task_close"),
    path("members/<int:member_id>/follow-ups/new/", views.follow_up_new, name="follow_up_new"),
    path("members/<int:member_id>/consents/<int:consent_id>/withdraw/", views.consent_withdraw,
         name="reception_consent_withdraw"),
    path("cases/<int:pk>/close/", views.case_close, name="reception_case_close"),
]
