"""Sync tasks: ids only; every step is safe to run twice."""

from celery import shared_task

from notifications.tasks import RETRY


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def devices_waiting_alert() -> None:
    """Alert the supervisors of tablets whose queue has waited too long, once per oldest operation (Celery beat)."""
    from notifications.services import notification_emails_send
    from sync import monitor

    notification_emails_send(notification_ids=monitor.devices_waiting_alert())
