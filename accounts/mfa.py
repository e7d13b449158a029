"""Two-factor sign-in: who must use it, the session's state, and checking a code (TOTP or a recovery code).

The state lives in the session, not in django-otp's middleware, which would read the user's devices on every
request: `MFA_STATE` is set once per session (verified, or not required) and read for free afterwards.
"""

import hashlib
import math
import re
import secrets
import time
from base64 import b32encode
from dataclasses import dataclass

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import Role
from audit.services import audit_login_failed

MFA_STATE = "avr_mfa"
VERIFIED = "verified"
NOT_REQUIRED = "not_required"
# A right password waiting for its second factor: {"user": pk, "backend": path, "at": time, "next": url}.
PENDING = "avr_mfa_pending"

TOTP_CODE = re.compile(r"^\d{6}$")
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10
RECOVERY_COUNT = 10
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def mfa_required(user) -> bool:
    """Whether the user must sign in with a second factor: staff of the admin, supervisors, admins, cleared staff."""
    if user.is_superuser or user.is_staff or user.is_protection_cleared or user.is_medical_cleared:
        return True
    return user.assignments.filter(role__in=[Role.SUPERVISOR, Role.ADMIN]).exists()


def mfa_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator, if enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def mfa_due(user) -> bool:
    """Whether signing in as this user needs a code (enrolled, or obliged to enrol first)."""
    return mfa_device(user) is not None or mfa_required(user)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code: a digest, so the table never holds a usable code."""
    normal = re.sub(r"[\s-]", "", code or "").lower()
    return hashlib.sha256(f"avr-recovery:{normal}".encode()).hexdigest()[:16]


def recovery_codes_new() -> list[str]:
    """Ten fresh recovery codes, as shown to the user (`abcde-fghjk`); never six digits, so never a TOTP code."""
    codes = []
    for _n in range(RECOVERY_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def totp_secret_base32(device: TOTPDevice) -> str:
    """The device's key as an authenticator app takes it typed in."""
    return b32encode(device.bin_key).decode().rstrip("=")


def totp_qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR code (the otpauth:// URL) as inline SVG: no image library, nothing fetched."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking one code: `ok`, whether a recovery code was used, or seconds to wait if throttled."""

    ok: bool
    recovery: bool = False
    wait: int = 0

    @property
    def throttled(self) -> bool:
        return self.wait > 0


def mfa_code_check(*, user, code: str, recovery: bool = True, device: TOTPDevice | None = None) -> CodeCheck:
    """Check a current TOTP code (or, if `recovery`, a recovery code, used up by this) of the user.

    django-otp's throttling answers before the code is compared: after n wrong codes, 2^(n-1) seconds must pass.
    The device row is locked so two requests cannot both use the same time step.
    """
    code = (code or "").strip().replace(" ", "")
    is_totp = bool(TOTP_CODE.match(code))
    if not is_totp and not recovery:
        return CodeCheck(ok=False)
    with transaction.atomic():
        if is_totp:
            devices = TOTPDevice.objects.select_for_update()
            found = (devices.filter(pk=device.pk) if device is not None
                     else devices.filter(user=user, confirmed=True)).first()
            token = code
        else:
            found = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            token = recovery_digest(code)
        if found is None:
            return CodeCheck(ok=False)
        allowed, why = found.verify_is_allowed()
        if not allowed:
            return CodeCheck(ok=False, wait=_seconds_until(why))
        return CodeCheck(ok=found.verify_token(token), recovery=not is_totp)


def _seconds_until(why: dict | None) -> int:
    until = (why or {}).get("locked_until")
    if until is None:
        return 1
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def pending_set(request, user, *, next_url: str) -> None:
    """Remember a right password until its code comes, without signing in (axes resets its count on a login)."""
    request.session[PENDING] = {"user": user.pk, "backend": user.backend, "at": time.time(), "next": next_url}


def pending_get(request):
    """The user whose password was right a moment ago, with the backend and where to go next; None if expired."""
    from accounts.models import User

    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > settings.MFA_PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None:
        return None
    user.backend = pending.get("backend")
    return user, pending.get("next") or "/"


def pending_clear(request) -> None:
    request.session.pop(PENDING, None)


class CodeRefused(Exception):
    """A code was wrong, or came too soon after wrong ones (`check.wait` seconds to wait)."""

    def __init__(self, check: CodeCheck):
        super().__init__("throttled" if check.throttled else "wrong code")
        self.check = check


def code_refused_message(check: CodeCheck, *, enrolling: bool = False) -> str:
    """What a refused code says, on the page and in the API."""
    if check.throttled:
        return ngettext("Too many wrong codes. Wait %(seconds)d second and try again.",
                        "Too many wrong codes. Wait %(seconds)d seconds and try again.",
                        check.wait) % {"seconds": check.wait}
    if enrolling:
        return _("That code is not right. Check that your phone's clock is right and type the code it shows now.")
    return _("That code is not right. Type the 6-digit code your authenticator app shows now, or one of your "
             "recovery codes.")


def second_factor_failed(request, user) -> None:
    """A wrong code counts as a failed sign-in: towards the lockout (axes listens to the signal) and in the log."""
    user_login_failed.send(sender=__name__, credentials={"username": user.username}, request=request)
    audit_login_failed(username=user.username, request=request)


def second_factor_locked(request, user) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": user.username})
