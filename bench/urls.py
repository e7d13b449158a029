"""The project's URLs plus the guardian baseline lists (bench process only: ROOT_URLCONF = "bench.urls")."""

from django.urls import path

from avr.urls import urlpatterns as project_urlpatterns
from bench.guardian_baseline import GuardianCaseList, GuardianGenericCaseList

urlpatterns = [
    path("bench/guardian/cases/", GuardianCaseList.as_view(), name="bench-guardian-cases"),
    path("bench/guardian-generic/cases/", GuardianGenericCaseList.as_view(), name="bench-guardian-generic-cases"),
    *project_urlpatterns,
]
