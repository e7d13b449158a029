"""Sign-in guards that answer before any password is hashed: lockouts, the API throttle, concurrent attempts.

Hashing a password costs a core for a noticeable fraction of a second, so every refusal here must be cheaper than
one hash: a few indexed queries (lockouts, in PostgreSQL) or one Redis round trip (throttle and concurrency).
"""

import logging
from contextlib import contextmanager

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.utils.translation import gettext as _
from redis.exceptions import RedisError
from rest_framework.throttling import ScopedRateThrottle

from audit.services import client_ip

logger = logging.getLogger(__name__)

# A counter that cannot be reached (Redis down) or that expired between two calls (ValueError) opens the gate and
# leaves the lockout, kept in PostgreSQL, as the guard.
COUNTER_ERRORS = (RedisError, OSError, ValueError)
# Set on the request when the address itself is locked (across usernames), for the message.
ADDRESS_LOCKED = "avr_address_locked"


def lockout_message(request=None) -> str:
    if getattr(request, ADDRESS_LOCKED, False):
        return _("Too many failed sign-in attempts from this address, for any account. Sign-in from here is "
                 "locked; try again later or ask an administrator to unlock it.")
    return _("Too many failed sign-in attempts. This account is locked for this device; "
             "try again later or ask an administrator to unlock it.")


def busy_message() -> str:
    return _("Too many sign-in attempts from this address at the same time. Wait a moment and try again.")


def throttled_message() -> str:
    return _("Too many sign-in attempts from this address. Wait a moment and try again.")


def lockout_retry_after() -> int:
    """Seconds until a lockout ends: each refused attempt starts the cool-off again."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


class SignInLockoutHandler(AxesDatabaseHandler):
    """Axes with its own limit for each lockout parameter set, in the order of AXES_LOCKOUT_PARAMETERS.

    Axes compares one count (the largest over the sets) with one limit. Here the username on an address locks at
    AXES_FAILURE_LIMIT and the address across all usernames (a password spray) at its higher limit.
    """

    def set_limits(self, request, credentials) -> list[int]:
        return [get_failure_limit(request, credentials), settings.AXES_IP_FAILURE_LIMIT]

    def get_failures(self, request, credentials=None) -> int:
        counts = [attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
                  for attempts in self.get_user_attempts(request, credentials)]
        limit = get_failure_limit(request, credentials)
        reached = [count >= own for count, own in zip(counts, self.set_limits(request, credentials))]
        if any(reached):
            setattr(request, ADDRESS_LOCKED, not reached[0])
            return max(limit, counts[0])
        # Below every set's own limit: report no more than the username's count, which axes compares with `limit`.
        return min(counts[0], limit - 1)

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A success clears only that username on that address: signing in to one's own account must not wipe the
        # address's count across the other usernames it tried.
        username = get_client_username(request, credentials)
        count, _deleted = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


@contextmanager
def sign_in_slot(request):
    """Yield whether this address may check a password now: at most SIGNIN_CONCURRENT_PER_IP checks at once."""
    key = f"signin-in-flight:{client_ip(request)}"
    try:
        # add + incr are atomic in Redis; the timeout frees a slot a killed worker never gave back.
        cache.add(key, 0, timeout=settings.SIGNIN_SLOT_SECONDS)
        held = cache.incr(key)
    except COUNTER_ERRORS:
        logger.warning("Sign-in concurrency counter unavailable; only the lockout applies", exc_info=True)
        yield True
        return
    try:
        yield held <= settings.SIGNIN_CONCURRENT_PER_IP
    finally:
        try:
            cache.decr(key)
        except COUNTER_ERRORS:
            pass  # expired meanwhile: nothing to give back


class SignInThrottle(ScopedRateThrottle):
    """DRF's scoped throttle per client address, in the shared cache; lets requests through if the cache is down."""

    def get_ident(self, request):
        return client_ip(request._request) or super().get_ident(request)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except COUNTER_ERRORS:
            logger.warning("Sign-in throttle cache unavailable; only the lockout applies", exc_info=True)
            return True
