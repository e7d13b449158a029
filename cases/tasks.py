from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def case_counts_fold_task() -> None:
    """Every minute (beat): fold the dashboards' +1/-1 count rows; running twice or late changes no count."""
    from cases.counts import case_counts_fold

    case_counts_fold()
