"""The sync monitor's rules: which tablet has waited too long, and the alert its supervisors get once."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from sync.models import Device, DeviceStatus


def alert_after() -> timedelta:
    return timedelta(hours=settings.SYNC_ALERT_HOURS)


def waiting_too_long(device: Device, *, now=None) -> bool:
    """Something queued on the tablet has waited longer than the alert threshold (as the tablet last said)."""
    now = now or timezone.now()
    return bool(device.status == DeviceStatus.ACTIVE and device.pending and device.oldest_pending_at
                and now - device.oldest_pending_at > alert_after())
