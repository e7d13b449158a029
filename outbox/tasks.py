"""The outbox's tasks: deliver one message, relay what is due (beat, every few seconds), forget what is old."""

from celery import shared_task

from outbox import services


@shared_task(acks_late=True, ignore_result=True)
def outbox_deliver(message_id: int) -> None:
    """Run one outbox message's task (its id only through the broker); a second delivery does nothing."""
    services.outbox_deliver(message_id)


@shared_task(ignore_result=True)
def outbox_relay() -> None:
    """Publish every message that is due: new, lost by the broker, or left by a worker that died."""
    services.outbox_relay()


@shared_task(ignore_result=True)
def outbox_purge() -> None:
    services.outbox_purge()


@shared_task(ignore_result=True)
def stuck_work_sweep() -> None:
    """Work whose row says waiting but that nothing will run: queue it again (a stalled worker's messages are
    redelivered by the relay itself)."""
    from reports.services import reports_orphaned_requeue
    from travel.manifest_builds import manifest_builds_orphaned_requeue

    reports_orphaned_requeue()
    manifest_builds_orphaned_requeue()
