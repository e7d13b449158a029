"""Pages of two-factor sign-in: the code after the password, enrolment (forced or chosen), and one's own settings."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache

from accounts.mfa import (
    MFA_STATE,
    NOT_REQUIRED,
    VERIFIED,
    CodeCheck,
    CodeRefused,
    code_refused_message,
    mfa_code_check,
    mfa_device,
    mfa_required,
    pending_clear,
    pending_get,
    recovery_codes_left,
    second_factor_failed,
    second_factor_locked,
    totp_qr_svg,
    totp_secret_base32,
)
from accounts.services import (
    mfa_disable,
    mfa_enrol_confirm,
    mfa_enrolment_device,
    mfa_recovery_codes_regenerate,
)
from accounts.views import lockout, signed_in
from audit.models import AuditAction
from audit.services import audit_login_refused, audit_record


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32, strip=True, widget=forms.TextInput(attrs={
        "autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}))


def _sign_in_again(request):
    messages.info(request, _("Your sign-in took too long or was interrupted. Please enter your password again."))
    return redirect("login")


# The enrolment page holds the secret before its user is signed in: no cache may keep any of these pages.
@never_cache
def login_code(request):
    """After a right password: the code from the authenticator app (or a recovery code), then the login."""
    pending = pending_get(request)
    if pending is None:
        return _sign_in_again(request)
    user, next_url = pending
    if mfa_device(user) is None:
        return redirect("mfa_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor_locked(request, user):
            pending_clear(request)
            audit_login_refused(username=user.username, request=request, reason="locked_out")
            return lockout(request)
        check = mfa_code_check(user=user, code=form.cleaned_data["code"])
        if check.ok:
            return _code_accepted(request, user, next_url, check)
        second_factor_failed(request, user)
        form.add_error("code", code_refused_message(check))
    status = 400 if form.errors else 200
    return render(request, "accounts/login_code.html", {"form": form}, status=status)


def _code_accepted(request, user, next_url, check: CodeCheck):
    if check.recovery:
        audit_record(actor=user, action=AuditAction.MFA_RECOVERY_USED, request=request, obj=user)
        left = recovery_codes_left(user)
        messages.warning(request, ngettext(
            "You signed in with a recovery code; %(count)d is left. Make new ones under Two-factor sign-in.",
            "You signed in with a recovery code; %(count)d are left. Make new ones under Two-factor sign-in.",
            left) % {"count": left})
    return signed_in(request, user, redirect(next_url))


@never_cache
def mfa_enrol(request):
    """Set up an authenticator app: forced at sign-in for those who must, or chosen from one's own settings."""
    if request.user.is_authenticated:
        user, next_url, forced = request.user, reverse("mfa_manage"), False
        if mfa_device(user) is not None:
            return redirect("mfa_manage")
    else:
        pending = pending_get(request)
        if pending is None:
            return _sign_in_again(request)
        (user, next_url), forced = pending, True
        if mfa_device(user) is not None:
            return redirect("login_code")
    device = mfa_enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa_enrol_confirm(user=user, device=device, code=form.cleaned_data["code"], request=request)
        except CodeRefused as exc:
            form.add_error("code", code_refused_message(exc.check, enrolling=True))
        else:
            if forced:
                signed_in(request, user, None)
            else:
                request.session[MFA_STATE] = VERIFIED
            return render(request, "accounts/mfa_codes.html", {"codes": codes, "next": next_url, "enrolled": True})
    return render(request, "accounts/mfa_enrol.html", {
        "form": form, "forced": forced, "secret": totp_secret_base32(device), "qr": totp_qr_svg(device),
    }, status=400 if form.errors else 200)


@never_cache
@login_required
def mfa_manage(request):
    """One's own two-factor settings: status, new recovery codes, and turning it off for those not obliged."""
    user = request.user
    form = CodeForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and form.is_valid() and action in ("recovery", "disable"):
        try:
            if action == "recovery":
                codes = mfa_recovery_codes_regenerate(user=user, code=form.cleaned_data["code"], request=request)
                return render(request, "accounts/mfa_codes.html", {"codes": codes, "next": reverse("mfa_manage")})
            mfa_disable(user=user, code=form.cleaned_data["code"], request=request)
        except CodeRefused as exc:
            form.add_error("code", code_refused_message(exc.check))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            request.session[MFA_STATE] = NOT_REQUIRED
            messages.success(request, _("Two-factor sign-in is off. You sign in with your password alone."))
            return redirect("mfa_manage")
    return render(request, "accounts/mfa_manage.html", {
        "form": form, "enrolled": mfa_device(user) is not None, "required": mfa_required(user),
        "codes_left": recovery_codes_left(user),
    }, status=400 if form.errors else 200)
