from audit.services import audit_actor_set

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class AuditActorMiddleware:
    """Sets the acting user on the database session so the change triggers record who wrote.

    Session-level (not transaction-local) because admin and browser views write in several transactions, and
    reset after the request so a pooled connection never carries the user into the next one. Safe methods write
    no audited rows, so they skip the round trip.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        user = getattr(request, "user", None)
        audit_actor_set(actor=user if getattr(user, "is_authenticated", False) else None, local=False)
        try:
            return self.get_response(request)
        finally:
            audit_actor_set(actor=None, local=False)
