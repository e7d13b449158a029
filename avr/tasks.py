"""Project-wide tasks."""

from celery import shared_task


@shared_task(ignore_result=True)
def worker_heartbeat_task() -> None:
    """Record that a worker is consuming the queue; the health endpoint reads it."""
    from avr.health import heartbeat_record

    heartbeat_record()
