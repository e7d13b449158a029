"""The sync monitor's rules: which tablet has waited too long, and the alert its supervisors get once."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sync.models import Device, DeviceStatus


def alert_after() -> timedelta:
    return timedelta(hours=settings.SYNC_ALERT_HOURS)


def waiting_too_long(device: Device, *, now=None) -> bool:
    """Something queued on the tablet has waited longer than the alert threshold (as the tablet last said)."""
    now = now or timezone.now()
    return bool(device.status == DeviceStatus.ACTIVE and device.pending and device.oldest_pending_at
                and now - device.oldest_pending_at > alert_after())


def device_supervisor_ids(device: Device) -> set[int]:
    """The active supervisors who see the tablet on the monitor (the scope rule of sync.services.devices_visible_to,
    read the other way)."""
    from accounts.choices import Role
    from accounts.models import Assignment

    office = device.office
    scope = (Q(office=office) | Q(office__isnull=True, country=office.country)
             | Q(office__isnull=True, country="", programme__registration_countries__contains=[office.country]))
    return set(Assignment.objects.filter(scope, role=Role.SUPERVISOR, user__is_active=True)
               .values_list("user_id", flat=True))


def devices_waiting_alert(*, now=None) -> list[int]:
    """Tell the supervisors of each tablet whose work has waited too long, once per oldest operation.

    The tablet's row is claimed under a lock with `alerted_at`; `device_seen` clears it when the oldest operation
    changes, so the next one that waits too long is announced again. The notification ids, for the e-mails.
    """
    from notifications.services import sync_waiting_notifications_create

    now = now or timezone.now()
    due = Device.objects.filter(status=DeviceStatus.ACTIVE, alerted_at__isnull=True, pending__gt=0,
                                oldest_pending_at__lt=now - alert_after())
    created = []
    for device_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            device = (Device.objects.select_for_update(skip_locked=True)
                      .filter(pk=device_id, alerted_at__isnull=True).first())
            if device is None or not waiting_too_long(device, now=now):
                continue  # another run has it, or the tablet caught up meanwhile
            created += sync_waiting_notifications_create(
                device_id=str(device.pk), office_code=device.office.code, count=device.pending,
                since=device.oldest_pending_at, user_ids=device_supervisor_ids(device))
            device.alerted_at = now
            device.save(update_fields=["alerted_at"])
    return created
