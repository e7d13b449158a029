from celery import shared_task

from reports import services


@shared_task(acks_late=True, ignore_result=True)
def report_build(report_id: int) -> None:
    """Make a requested report (ids only through the broker)."""
    services.report_build(report_id)
