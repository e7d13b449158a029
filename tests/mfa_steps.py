"""Second-factor steps for tests: a user's current code, enrolling a user, as an authenticator app would."""

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import mfa_enrol_confirm, mfa_enrolment_device


def code_for(device: TOTPDevice) -> str:
    """A code the device accepts now: the current time step, or the next one if this step was used already
    (django-otp refuses a step twice and accepts one step ahead)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def current_code(user) -> str:
    return code_for(TOTPDevice.objects.get(user=user, confirmed=True))


def enrolled(user) -> list[str]:
    """Enrol the user with a new authenticator; returns their ten recovery codes."""
    device = mfa_enrolment_device(user=user)
    return mfa_enrol_confirm(user=user, device=device, code=code_for(device), request=None)
