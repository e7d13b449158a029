"""No copy of a personal page or API answer is kept by the browser or a proxy (the back button, a shared PC)."""

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
            # no-store alone forbids every cache (RFC 9111); a header that already says it (never_cache) is kept.
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"  # HTTP/1.0 proxies
        return response
