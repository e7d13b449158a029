"""The nightly KoboToolbox pull (beat, 02:30): each active source in turn; one source's failure stops no other."""

from celery import shared_task


@shared_task(acks_late=True)
def kobo_pull_all() -> int:
    """Pull every active source; returns how many batches were staged."""
    from imports.kobo import kobo_pull_all_sources

    return kobo_pull_all_sources()


@shared_task(acks_late=True)
def kobo_pull_task(source_id: int) -> None:
    """Pull one source now (the admin's action)."""
    from imports.kobo import kobo_pull
    from imports.models import ImportSource

    source = ImportSource.objects.filter(pk=source_id, is_active=True).select_related("programme", "office").first()
    if source is not None:
        kobo_pull(source)
