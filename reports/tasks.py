from celery import shared_task

from reports import services


@shared_task(acks_late=True, ignore_result=True)
def report_build(report_id: int) -> None:
    """Make a requested report (ids only through the broker)."""
    services.report_build(report_id)


@shared_task(acks_late=True, ignore_result=True)
def monthly_reports_request() -> None:
    """Last month's donor report of each programme, in PDF (Celery beat, on the 1st); safe to run twice."""
    services.monthly_reports_request()
