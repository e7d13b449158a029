from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenCreate.as_view(), name="api-token"),
    path("auth/tokens/", views.ApiTokenList.as_view(), name="api-token-list"),
    path("auth/tokens/<str:public_id>/", views.ApiTokenDetail.as_view(), name="api-token-detail"),
    path("offices/", views.OfficeList.as_view(), name="api-office-list"),
    path("offices/<str:code>/", views.OfficeDetail.as_view(), name="api-office-detail"),
    path("programmes/", views.ProgrammeList.as_view(), name="api-programme-list"),
    path("programmes/<str:code>/", views.ProgrammeDetail.as_view(), name="api-programme-detail"),
]
