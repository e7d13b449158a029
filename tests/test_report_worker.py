"""The monthly donor reports through the real broker and a real worker: beat's task delivered twice makes one PDF per
programme and e-mails each reader once."""

import time

import pytest

from avr.celery import app as celery_app
from notifications.models import Notification
from reports.choices import ReportStatus
from reports.models import Report
from reports.tasks import monthly_reports_request
from tests.celery_worker import celery_worker


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def worker(transactional_db, media, tmp_path):
    """A real `celery worker` on the configured broker and the test database, writing report files where the test
    reads them and printing its e-mails to a file."""
    with celery_worker(tmp_path, MEDIA_ROOT=str(media)) as process:
        yield process


def mailable(user):
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.mark.broker
def test_beat_firing_twice_makes_one_monthly_pdf_per_programme_and_mails_each_reader_once(
        worker, caravan, admin_user, supervisor):
    readers = [mailable(admin_user), mailable(supervisor)]
    celery_app.conf.task_always_eager = False

    monthly_reports_request.delay()
    monthly_reports_request.delay()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and Notification.objects.filter(emailed_at__isnull=False).count() < 2:
        assert worker.poll() is None, worker.output.read_text()
        time.sleep(0.3)
    time.sleep(1)  # anything a second delivery would still do

    report = Report.objects.get()
    assert (report.programme, report.requested_by, report.status) == (caravan, None, ReportStatus.READY)
    with report.file.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(u.pk for u in readers)
    sent = worker.output.read_text()
    assert sent.count("\nTo: ") == 2, sent
