from audit.services import audit_actor_set


class AuditActorMiddleware:
    """Sets the acting user on the database session so the change triggers record who wrote.

    Session-level (not transaction-local) because admin and browser views write in several transactions;
    it is set on every request, so a pooled connection never carries the previous user's name.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        audit_actor_set(actor=user if getattr(user, "is_authenticated", False) else None, local=False)
        return self.get_response(request)
