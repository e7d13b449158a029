"""Thin Celery wrappers of the import's background work (ids only through the broker)."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def batch_parse_task(batch_id: int) -> None:
    """Read and stage an uploaded batch; a second delivery of a batch already read does nothing."""
    from imports.services import batch_parse

    batch_parse(batch_id)


@shared_task(acks_late=True, ignore_result=True)
def batch_merge_task(batch_id: int) -> None:
    """Merge an approved batch; a retried or redelivered run makes no case twice."""
    from imports import merge

    merge.batch_merge(batch_id)


@shared_task(ignore_result=True)
def batches_orphaned_requeue_task() -> None:
    """Beat: queue again the batches left waiting with nothing queued to read or merge them."""
    from imports.services import batches_orphaned_requeue

    batches_orphaned_requeue()
