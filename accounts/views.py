import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.choices import Language
from accounts.dashboard import dashboard_for_user
from accounts.mfa import MFA_STATE, NOT_REQUIRED, VERIFIED, mfa_device, mfa_required, pending_clear, pending_set
from accounts.middleware import LANGUAGE, LOGIN_AT
from accounts.services import password_changed, user_language_set
from accounts.signin import busy_message, lockout_message, lockout_retry_after, sign_in_slot
from audit.services import audit_login, audit_login_failed, audit_login_refused, audit_logout
from cases.selectors import cases_listed_audit, home_sections_for_user


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        with sign_in_slot(request) as allowed:
            if allowed:
                return super().post(request, *args, **kwargs)
        audit_login_refused(username=request.POST.get("username", ""), request=request, reason="busy")
        # An unbound form: binding it would authenticate, which is the hashing this refusal avoids.
        form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")[:150]})
        return busy_response(self, form)

    def form_valid(self, form):
        user = form.get_user()
        if mfa_device(user) is not None:
            pending_set(self.request, user, next_url=self.get_success_url())
            return redirect("login_code")
        if mfa_required(user):
            pending_set(self.request, user, next_url=self.get_success_url())
            return redirect("mfa_enrol")
        return signed_in(self.request, user, HttpResponseRedirect(self.get_success_url()), state=NOT_REQUIRED)

    def form_invalid(self, form):
        username = form.data.get("username", "")
        if getattr(self.request, "axes_locked_out", False):
            audit_login_refused(username=username, request=self.request, reason="locked_out")
        else:
            audit_login_failed(username=username, request=self.request)
        return super().form_invalid(form)


def signed_in(request, user, response, *, state: str = VERIFIED):
    """Log the user in (password and, if needed, second factor checked), audited; returns `response`."""
    auth_login(request, user, backend=getattr(user, "backend", None))
    pending_clear(request)
    request.session[MFA_STATE] = state
    request.session[LOGIN_AT] = time.time()
    request.session.pop(LANGUAGE, None)
    audit_login(user=user, request=request)
    return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_logout(user=request.user, request=request)
        return super().post(request, *args, **kwargs)


def busy_response(view, form):
    """The form again, unchecked, with the message that too many password checks from this address are running."""
    response = view.render_to_response(view.get_context_data(form=form, refused=busy_message()))
    response.status_code = 429
    response["Retry-After"] = "1"
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def post(self, request, *args, **kwargs):
        # Checking the old password is a hash too, and this form has no lockout.
        with sign_in_slot(request) as allowed:
            if allowed:
                return super().post(request, *args, **kwargs)
        return busy_response(self, self.get_form_class()(request.user))

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(user=form.user, actor=self.request.user, request=self.request, how="own")
        messages.success(self.request, _("Your password was changed."))
        return response

    def get_success_url(self):
        return "/"


def lockout(request, original_response=None, credentials=None):
    """What a locked-out user sees: a clear page in the browser, structured JSON in the API."""
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "locked_out", "detail": message, "fields": {}}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(lockout_retry_after())
    return response


@login_required
def home(request):
    """The home page of each of the user's roles."""
    sections = home_sections_for_user(user=request.user)
    shown = [c for key in ("office_cases", "approvals", "to_book", "arrivals") for c in sections.get(key, [])]
    cases_listed_audit(user=request.user, cases=shown, request=request)
    dashboard = dashboard_for_user(user=request.user)  # counts only: nothing to write to the audit log
    return render(request, "accounts/home.html", {"sections": sections, "dashboard": dashboard})


@require_POST
def set_language(request):
    """Switch the interface language; signed-in users keep the choice."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in Language.values:
        messages.error(request, _("That language is not available."))
        return response
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
        request.session[LANGUAGE] = language
    translation.activate(language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=request.is_secure(), httponly=True)
    return response
