"""The interactive API docs."""

from django.http import HttpResponse
from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocs(SpectacularSwaggerSplitView):
    """Swagger UI; OPTIONS answers the allowed methods (the HTML renderer has no page for it)."""

    def options(self, request, *args, **kwargs):
        return HttpResponse(headers={"Allow": ", ".join(self.allowed_methods)})
