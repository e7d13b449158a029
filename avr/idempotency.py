"""Idempotency keys: stored as a SHA-256 digest (any length, no prefix collisions) and bound to the request."""

import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _


class IdempotencyKeyReused(ValidationError):
    """The key was already used for a different request: replaying the first would silently drop this one."""

    def __init__(self):
        super().__init__({"__all__": [_("This Idempotency-Key was already used for a different request. Nothing "
                                        "was saved: send a new key for a new request.")]})


def key_digest(key: str) -> str:
    """The stored form of a client's key: 64 hex characters whatever its length."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (date, datetime, Decimal)):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form")


def request_digest(data) -> str:
    """SHA-256 of the canonical JSON of what the request asked (sorted keys, objects by their id)."""
    canonical = json.dumps(data, default=_plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
