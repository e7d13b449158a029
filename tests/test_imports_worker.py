"""A merge through the real broker and a real worker, the worker killed mid-merge and another started: every case
exists exactly once, each pointing at its batch and row."""

import pytest
from django.db.models import Count

from avr.celery import app as celery_app
from cases.models import Case
from imports import services
from imports.models import BatchStatus, ImportBatch, ImportRow, RowStatus
from outbox.services import outbox_relay
from tests.celery_worker import celery_worker, wait_for
from tests.import_steps import households_file, upload

FAST = {"AVR_OUTBOX_RELAY_SECONDS": "1", "AVR_STUCK_AFTER_SECONDS": "4", "WORKER_HEARTBEAT_SECONDS": "2"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AVR_STUCK_AFTER_SECONDS = 4
    return settings.MEDIA_ROOT


def merged_rows(batch) -> int:
    return ImportRow.objects.filter(batch=batch, case__isnull=False).count()


@pytest.mark.broker
def test_a_worker_killed_mid_merge_and_another_started_makes_each_case_exactly_once(
        transactional_db, media, tmp_path, caseworker, supervisor, caravan, tij):
    batch = services.batch_upload(actor=caseworker, programme=caravan, office=tij, file=upload(households_file(60)))
    batch = ImportBatch.objects.get(pk=batch.pk)  # read and staged in-process (eager)
    assert batch.status == BatchStatus.VALIDATED, batch.error
    celery_app.conf.task_always_eager = False
    env = {"MEDIA_ROOT": str(media), **FAST}

    with celery_worker(tmp_path, name="doomed", include="tests.import_fault_hooks",
                       AVR_FAULT_IMPORT_ROW_SLEEP="0.15", **env) as doomed:
        services.batch_approve(actor=supervisor, batch_id=batch.pk)
        wait_for(lambda: merged_rows(batch) >= 10, seconds=90, processes=[doomed])
        doomed.kill()  # as a crash would: mid-chunk, most likely mid-row with its transaction open
        doomed.wait()
    killed_at = merged_rows(batch)
    assert killed_at < 60

    with celery_worker(tmp_path, name="survivor", **env) as survivor:
        def finished():
            outbox_relay()  # beat's relay: the dead worker's message, its heartbeat stale, is delivered again
            return ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.MERGED
        wait_for(finished, seconds=120, processes=[survivor])

    batch.refresh_from_db()
    assert (batch.merged, Case.objects.count()) == (60, 60)
    assert not ImportRow.objects.filter(batch=batch).exclude(status=RowStatus.MERGED).exists()
    per_key = Case.objects.values("import_row__household_key").annotate(n=Count("id")).filter(n__gt=1)
    assert not per_key.exists()
    assert all(case.import_row.batch_id == batch.pk for case in Case.objects.select_related("import_row"))
