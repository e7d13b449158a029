"""Notification tasks: ids only as arguments; every step is safe to run twice."""

from celery import shared_task

from notifications.services import (
    break_glass_notifications_create,
    case_assigned_notifications_create,
    case_event_notifications_create,
    movement_event_notifications_create,
    notification_emails_send,
    supervisor_digest_create,
)

# SMTP errors and lost connections are OSErrors: retried with growing, jittered pauses, far below the broker's
# visibility timeout.
RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "retry_backoff_max": 600, "retry_jitter": True,
         "max_retries": 8}


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def case_event_notify(event_id: int) -> None:
    """Tell the people a case event concerns, in the bell and by e-mail; sent through the outbox."""
    notification_emails_send(notification_ids=case_event_notifications_create(event_id=event_id))


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def supervisor_digest() -> None:
    """Each supervisor's daily summary of the cases waiting for their approval (Celery beat, once a day)."""
    notification_emails_send(notification_ids=supervisor_digest_create())


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def movement_event_notify(movement_id: int, status: str, actor_id: int | None = None) -> None:
    """Tell the destination centre's staff that a movement was confirmed or has departed; sent through the outbox."""
    notification_emails_send(notification_ids=movement_event_notifications_create(
        movement_id=movement_id, status=status, actor_id=actor_id))


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def break_glass_notify(grant_id: int) -> None:
    """Tell a case's supervisors and data-protection focal point of an emergency access; sent through the outbox."""
    notification_emails_send(notification_ids=break_glass_notifications_create(grant_id=grant_id))


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def case_assigned_notify(transfer_id: int) -> None:
    """Tell a caseworker that a supervisor gave them a case; sent through the outbox."""
    notification_emails_send(notification_ids=case_assigned_notifications_create(transfer_id=transfer_id))
