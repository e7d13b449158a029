"""Reception tasks: ids only as arguments; every step is safe to run twice."""

from celery import shared_task

from notifications.tasks import RETRY


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def follow_ups_due_notify() -> None:
    """Tell each centre's reception staff how many follow-up calls are due (Celery beat, once a day)."""
    from notifications.services import follow_ups_due_notifications_create, notification_emails_send

    notification_emails_send(notification_ids=follow_ups_due_notifications_create())
