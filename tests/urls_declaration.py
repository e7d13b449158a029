"""The project urls plus the declaration download, until avr/urls.py includes screening.urls_pdf."""

from django.urls import include, path

from avr import urls as project
from screening.urls_pdf import api_patterns, page_patterns

urlpatterns = [*page_patterns, path("api/v1/", include(api_patterns)), *project.urlpatterns]

handler400, handler403 = project.handler400, project.handler403
handler404, handler500 = project.handler404, project.handler500
