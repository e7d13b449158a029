"""No copy of a personal page or API answer is kept by the browser or a proxy (the back button, a shared PC)."""

from django.utils.cache import add_never_cache_headers

# Public and the same for everyone: the API's schema and docs. Static files never reach this middleware
# (WhiteNoise answers them above it); /health/ is anonymous.
PUBLIC_API_PATHS = ("/api/v1/schema/", "/api/v1/docs/")


def carries_personal_data(request) -> bool:
    if request.path.startswith("/api/"):
        return not request.path.startswith(PUBLIC_API_PATHS)
    # After the view: DRF sets the token's user on the request too.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class NoStoreMiddleware:
    """`Cache-Control: no-store` and `Pragma: no-cache` on every answer for a signed-in user and on the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if carries_personal_data(request):
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response
