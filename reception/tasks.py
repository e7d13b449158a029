"""Reception tasks: ids only as arguments; every step is safe to run twice."""

from celery import shared_task

from notifications.tasks import RETRY


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def follow_ups_due_notify() -> None:
    """Tell each centre's reception staff how many follow-up calls are due (Celery beat, once a day)."""
    from notifications.services import (
        follow_ups_due_notifications_create,
        notification_emails_send,
    )

    notification_emails_send(notification_ids=follow_ups_due_notifications_create())


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def follow_ups_sweep_task() -> None:
    """Open the follow-up windows due today, mark the closed ones overdue, then tell each centre the count of calls
    due (Celery beat, once a day; a second run changes nothing and sends nothing new)."""
    from notifications.services import (
        follow_ups_due_notifications_create,
        notification_emails_send,
    )
    from reception.followups import follow_ups_sweep

    follow_ups_sweep()
    notification_emails_send(notification_ids=follow_ups_due_notifications_create())


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def safeguarding_task_notify(task_id: int) -> None:
    """Tell the protection focal point a safeguarding task waits for them: a link, no personal data."""
    from notifications.services import (
        notification_emails_send,
        safeguarding_task_notifications_create,
    )
    from reception.models import SafeguardingTask

    task = SafeguardingTask.objects.filter(pk=task_id, closed_at__isnull=True).first()
    if task is None or task.assignee_id is None:
        return
    notification_emails_send(notification_ids=safeguarding_task_notifications_create(
        task_id=task.pk, recipient_id=task.assignee_id))
