from celery import shared_task

from travel import manifest_builds


@shared_task(acks_late=True, ignore_result=True)
def manifest_build_run_task(build_id: int) -> None:
    """Make a requested manifest PDF (its id only through the broker); a second delivery does nothing more."""
    manifest_builds.manifest_build_run(build_id)
