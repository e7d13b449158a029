import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.mfa import MFA_STATE, NOT_REQUIRED, mfa_due
from accounts.services import user_language

LOGIN_AT = "avr_login_at"
LANGUAGE = "avr_language"
SEEN_AT = "avr_seen_at"
# The idle timeout slides with activity; rewriting the session row on every request would cost a write per page,
# so the expiry moves at most once a minute (the timeout is exact to within that minute).
TOUCH_EVERY_SECONDS = 60


class SessionLimitMiddleware:
    """Ends a session a fixed time after login however active it has been, and slides the idle expiry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get(LOGIN_AT)
            if started is None:
                request.session[LOGIN_AT] = now
            elif now - started > settings.SESSION_ABSOLUTE_LIMIT_SECONDS:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return self.get_response(request)
            if now - request.session.get(SEEN_AT, 0) >= TOUCH_EVERY_SECONDS:
                request.session[SEEN_AT] = now  # modified: saved with a fresh idle expiry
        return self.get_response(request)


class UserLanguageMiddleware:
    """Signed-in staff see their own language (chosen, or that of their office's country)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(LANGUAGE)
            if language is None:
                language = user_language(user)
                request.session[LANGUAGE] = language
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class MfaSessionMiddleware:
    """A signed-in session that never passed the second-factor step ends if the user needs one.

    Every sign-in sets `MFA_STATE`; a session without it predates two-factor sign-in (or was made some other way).
    Its user is checked once: then the key is set, or the session ends. No query once the key is there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and MFA_STATE not in request.session:
            if not mfa_due(user):
                request.session[MFA_STATE] = NOT_REQUIRED
            else:
                logout(request)
                return mfa_session_ended(request)
        return self.get_response(request)


def mfa_session_ended(request):
    message = _("Your account now needs two-factor sign-in. Please sign in again.")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "mfa_required", "detail": message, "fields": {}}, status=401)
    messages.info(request, message)
    return redirect_to_login(request.get_full_path() if request.method == "GET" else "/")
