"""Staff's periodic work: forgetting API tokens long dead."""

from celery import shared_task

from accounts import services


@shared_task(ignore_result=True)
def api_tokens_purge() -> None:
    services.api_tokens_purge()
