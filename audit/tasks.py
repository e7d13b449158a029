from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def audit_partitions_ensure_task() -> None:
    """Daily (beat): make this month's and the next months' audit partitions; making none is the usual outcome."""
    from audit.partitions import audit_partitions_ensure

    audit_partitions_ensure()
