import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.services import user_language

LOGIN_AT = "avr_login_at"
LANGUAGE = "avr_language"


class SessionLimitMiddleware:
    """Ends a session a fixed time after login, however active it has been (the idle limit is the cookie age)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(LOGIN_AT)
            if started is None:
                request.session[LOGIN_AT] = time.time()
            elif time.time() - started > settings.SESSION_ABSOLUTE_LIMIT_SECONDS:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
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
