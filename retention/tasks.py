from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def retention_queue_fill_task() -> None:
    """Nightly (beat): queue the closed cases past retention, and run the programmes that opted in to automatic runs."""
    from retention.services import retention_automatic_run, retention_queue_fill

    retention_queue_fill()
    retention_automatic_run()


@shared_task(acks_late=True, ignore_result=True)
def review_item_anonymise_task(item_id: int) -> None:
    """Anonymise one case a person confirmed in the review queue; safe to run twice."""
    from retention.services import review_item_anonymise

    review_item_anonymise(item_id=item_id)
