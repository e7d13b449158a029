"""Reads about staff: their API tokens."""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_for_key(key: str) -> ApiToken | None:
    """The token whose key this is, live or not, with its user."""
    return ApiToken.objects.select_related("user").filter(key_digest=api_token_digest(key)).first()


def api_token_idle_limit() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_IDLE_HOURS)


def api_token_idle_expires_at(token: ApiToken) -> datetime:
    return token.last_used_at + api_token_idle_limit()


def api_token_expired(token: ApiToken, now: datetime) -> bool:
    """Unused too long, or made too long ago (the shorter of its own expiry and today's `API_TOKEN_MAX_DAYS`)."""
    absolute = min(token.expires_at, token.created_at + timedelta(days=settings.API_TOKEN_MAX_DAYS))
    return now >= absolute or now >= api_token_idle_expires_at(token)


def api_tokens_live(user) -> QuerySet[ApiToken]:
    """The user's tokens that still open the API (the checks of `api_token_expired`, in SQL)."""
    now = timezone.now()
    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=now,
        created_at__gt=now - timedelta(days=settings.API_TOKEN_MAX_DAYS),
        last_used_at__gt=now - api_token_idle_limit(),
    )


def api_tokens_of(user) -> QuerySet[ApiToken]:
    """All the user's tokens, revoked and expired included: a user may revoke only their own."""
    return ApiToken.objects.filter(user=user)
