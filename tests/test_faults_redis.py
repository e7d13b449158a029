"""Faults with real parts: a Redis of the test's own that it stops and starts, real Celery workers and beat.

With Redis down, a submission, an approval and a report request all succeed; when Redis returns, beat's relay
publishes what waited and each notification and the report arrive exactly once. A worker killed mid-report leaves a
heartbeat that stops; the relay hands the build to another worker, which finishes it once.
"""

import signal
import time

import pytest

from avr.celery import app as celery_app
from cases.choices import CaseStatus
from notifications.models import Notification, NotificationKind
from outbox import services
from outbox.models import OutboxMessage
from reports.choices import ReportStatus
from reports.models import Report
from tests.celery_worker import celery_beat, celery_worker, wait_for
from tests.conftest import api_as
from tests.redis_server import RedisServer
from tests.screening_steps import family, ready_for_submission

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]
FAST = {"AVR_OUTBOX_RELAY_SECONDS": "1", "AVR_STUCK_AFTER_SECONDS": "4", "WORKER_HEARTBEAT_SECONDS": "2"}


@pytest.fixture
def own_redis(settings):
    server = RedisServer().start()
    settings.REDIS_URL = settings.CELERY_BROKER_URL = server.url
    celery_app.conf.task_always_eager = False
    services._broker_down_until = 0.0
    yield server
    server.stop()
    services._broker_down_until = 0.0


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def mailable(*users):
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def ask_for_report(admin_user):
    return api_as(admin_user).post("/api/v1/reports/", {"kind": "donor", "programme": "CARAVAN-2018",
                                                       "period_start": "2018-11-01", "period_end": "2018-11-30",
                                                       "format": "json"}, format="json")


def test_with_redis_down_every_write_succeeds_and_each_side_effect_arrives_once_when_it_returns(
        own_redis, media, tmp_path, caseworker, supervisor, admin_user, caravan, tij):
    mailable(caseworker, supervisor, admin_user)
    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    own_redis.stop()

    submitted = api_as(caseworker).post(f"/api/v1/cases/{case.pk}/transitions/",
                                        {"to": CaseStatus.PENDING_APPROVAL}, format="json")
    services._broker_down_until = 0.0  # the approval tries the broker again, as another web process would
    approved = api_as(supervisor).post(f"/api/v1/cases/{case.pk}/transitions/",
                                       {"to": CaseStatus.APPROVED, "note": "Todo en orden"}, format="json")
    report = ask_for_report(admin_user)

    assert (submitted.status_code, approved.status_code, report.status_code) == (200, 200, 202), report.content
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 3
    assert not Notification.objects.exists()

    own_redis.start()
    env = {"REDIS_URL": own_redis.url, "MEDIA_ROOT": str(media), **FAST}
    with celery_worker(tmp_path, **env) as worker, celery_beat(tmp_path, **env) as beat:
        wait_for(lambda: Notification.objects.filter(emailed_at__isnull=False).count() >= 3
                 and not OutboxMessage.objects.filter(done_at__isnull=True).exists(),
                 seconds=90, processes=[worker, beat])
        time.sleep(4)  # several relay ticks: anything delivered twice would show now

    kinds = sorted(Notification.objects.values_list("kind", "recipient__username"))
    assert kinds == sorted([(NotificationKind.CASE_PENDING_APPROVAL, supervisor.username),
                            (NotificationKind.CASE_APPROVED, caseworker.username),
                            (NotificationKind.REPORT_READY, admin_user.username)])
    assert Report.objects.get().status == ReportStatus.READY
    assert worker.output.read_text().count("\nTo: ") == 3
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


def test_a_worker_killed_mid_report_leaves_it_to_another_which_finishes_it_once(
        own_redis, media, tmp_path, client, admin_user, caravan):
    env = {"REDIS_URL": own_redis.url, "MEDIA_ROOT": str(media), **FAST}
    with celery_beat(tmp_path, **env) as beat:
        with celery_worker(tmp_path, name="doomed", include="tests.fault_hooks", AVR_FAULT_REPORT_SLEEP="600",
                           **env) as doomed:
            assert ask_for_report(admin_user).status_code == 202
            wait_for(lambda: Report.objects.filter(status=ReportStatus.RUNNING).exists(), seconds=60,
                     processes=[doomed, beat])
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)

        time.sleep(5)  # longer than AVR_STUCK_AFTER_SECONDS: the heartbeat has stopped
        health = client.get("/health/").json()["work"]
        assert health["oldest_running_heartbeat_seconds"] > 4

        with celery_worker(tmp_path, name="survivor", **env) as survivor:
            wait_for(lambda: Notification.objects.filter(kind=NotificationKind.REPORT_READY).exists(),
                     seconds=240, processes=[survivor, beat])
            time.sleep(4)

    report = Report.objects.get()
    assert report.status == ReportStatus.READY and report.file
    assert Notification.objects.filter(kind=NotificationKind.REPORT_READY).count() == 1
    message = OutboxMessage.objects.get(key=f"report:{report.pk}")
    assert (message.attempts, message.done_at is not None) == (2, True)
    assert client.get("/health/").json()["work"]["ok"] is True
