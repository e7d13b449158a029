"""The outbox: a side effect is written with the change that causes it, published after commit or by the relay,
delivered again when the broker or a worker loses it, and run once however often it is delivered."""

from datetime import date, timedelta

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from avr.celery import app as celery_app
from cases.choices import CaseStatus
from notifications.models import Notification, NotificationKind
from outbox import services
from outbox.models import OutboxMessage
from reports.choices import ReportStatus
from reports.models import Report
from reports.services import report_request, reports_orphaned_requeue
from tests.conftest import api_as
from tests.screening_steps import family, ready_for_submission

pytestmark = pytest.mark.django_db
NOWHERE = "redis://127.0.0.1:1/0"


@pytest.fixture
def submitted_case(caseworker, supervisor, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    return case


@pytest.fixture
def broker_down(settings):
    """No broker answers; tasks are not run in-process."""
    celery_app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = NOWHERE
    services._broker_down_until = 0.0
    yield
    services._broker_down_until = 0.0


@pytest.fixture
def broker(settings):
    """A real Redis database of its own as the broker, emptied before and after; tasks are published, not run."""
    celery_app.conf.task_always_eager = False
    url = settings.REDIS_URL.rsplit("/", 1)[0] + "/15"
    settings.CELERY_BROKER_URL = url
    client = redis.Redis.from_url(url)
    client.flushdb()
    services._broker_down_until = 0.0
    yield client
    client.flushdb()


def submit(case, user):
    return api_as(user).post(f"/api/v1/cases/{case.pk}/transitions/", {"to": CaseStatus.PENDING_APPROVAL},
                             format="json")


def open_messages():
    return OutboxMessage.objects.filter(done_at__isnull=True, failed_at__isnull=True)


def test_a_submission_writes_its_notification_intent_in_the_same_transaction(submitted_case, caseworker, broker_down):
    with transaction.atomic():
        submit(submitted_case, caseworker)
        assert open_messages().filter(task="notifications.tasks.case_event_notify").count() == 1
        transaction.set_rollback(True)

    assert not OutboxMessage.objects.exists()


def test_with_the_broker_down_a_submission_succeeds_and_its_notification_waits(
        submitted_case, caseworker, supervisor, broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(submitted_case, caseworker)

    assert response.status_code == 200, response.content
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.PENDING_APPROVAL
    message = open_messages().get()
    assert (message.task, message.args, message.published_at) == (
        "notifications.tasks.case_event_notify", [submitted_case.events.latest("id").pk], None)
    assert not Notification.objects.exists()


def test_after_one_failure_a_web_process_stops_waiting_on_the_broker_for_a_while(
        submitted_case, caseworker, broker_down, monkeypatch, django_capture_on_commit_callbacks):
    tries = []
    monkeypatch.setattr(services, "broker_connection", lambda: tries.append(1) or _refused())
    with django_capture_on_commit_callbacks(execute=True):
        submit(submitted_case, caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        services.outbox_enqueue("avr.tasks.worker_heartbeat_task")

    assert len(tries) == 1
    assert open_messages().count() == 2


def _refused():
    raise ConnectionRefusedError("broker down")


def test_the_relay_publishes_each_due_message_once(broker):
    for _ in range(3):
        services.outbox_enqueue("avr.tasks.worker_heartbeat_task")

    assert services.outbox_relay() == 3
    assert services.outbox_relay() == 0
    assert broker.llen("celery") == 3
    assert open_messages().filter(published_at__isnull=False).count() == 3


def test_long_builds_go_to_the_bulk_queue_and_notices_to_the_interactive_one(broker):
    services.outbox_enqueue("avr.tasks.worker_heartbeat_task")
    services.outbox_enqueue("reports.tasks.report_build", 1, key="report-1")
    services.outbox_enqueue("travel.tasks.manifest_build_run_task", 1, key="manifest-1")

    assert services.outbox_relay() == 3
    assert broker.llen("celery") == 1
    assert broker.llen("bulk") == 2


def test_a_worker_started_without_queues_consumes_both():
    assert set(celery_app.amqp.queues) == {"celery", "bulk"}
    assert {services.message_queue(task) for task in services.BULK_TASKS} == {"bulk"}


def test_the_relay_publishes_again_what_the_broker_lost_and_what_a_dead_worker_left(broker, settings):
    lost, abandoned, running = (OutboxMessage.objects.create(task="avr.tasks.worker_heartbeat_task") for _ in "abc")
    long_ago = timezone.now() - timedelta(seconds=settings.AVR_OUTBOX_REDELIVER_SECONDS + 1)
    OutboxMessage.objects.filter(pk=lost.pk).update(published_at=long_ago, publications=1)
    stale = timezone.now() - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS + 1)
    OutboxMessage.objects.filter(pk=abandoned.pk).update(published_at=long_ago, started_at=long_ago,
                                                         heartbeat_at=stale)
    OutboxMessage.objects.filter(pk=running.pk).update(published_at=long_ago, started_at=long_ago,
                                                       heartbeat_at=timezone.now())

    assert services.outbox_relay() == 2
    assert set(open_messages().filter(publications=2).values_list("pk", flat=True)) == {lost.pk}
    assert OutboxMessage.objects.get(pk=running.pk).publications == 0


def test_a_message_delivered_twice_runs_once(submitted_case, caseworker, supervisor, broker_down,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(submitted_case, caseworker)
    message = open_messages().get()

    assert services.outbox_deliver(message.pk) is True
    assert services.outbox_deliver(message.pk) is False
    assert Notification.objects.filter(kind=NotificationKind.CASE_PENDING_APPROVAL).count() == 1
    message.refresh_from_db()
    assert (message.attempts, message.done_at is not None) == (1, True)


def test_a_message_running_elsewhere_is_not_run_again_until_its_heartbeat_stops(settings):
    message = OutboxMessage.objects.create(task="avr.tasks.worker_heartbeat_task", started_at=timezone.now(),
                                           heartbeat_at=timezone.now())
    assert services.message_claim(message.pk) is None

    stale = timezone.now() - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS + 1)
    OutboxMessage.objects.filter(pk=message.pk).update(heartbeat_at=stale)
    assert services.message_claim(message.pk).attempts == 1


def test_a_lost_connection_is_tried_again_later_and_any_other_error_fails_the_message_for_good(monkeypatch):
    calls = {"n": 0}

    def flaky(*args):
        calls["n"] += 1
        raise (ConnectionResetError("smtp") if calls["n"] == 1 else ValueError("a bug"))

    monkeypatch.setattr(services.task_named("avr.tasks.worker_heartbeat_task"), "run", flaky)
    message = OutboxMessage.objects.create(task="avr.tasks.worker_heartbeat_task")
    celery_app.conf.task_always_eager = False

    assert services.outbox_deliver(message.pk) is False
    message.refresh_from_db()
    assert message.failed_at is None and message.available_at > timezone.now()
    assert "ConnectionResetError" in message.last_error

    assert services.outbox_deliver(message.pk) is False
    message.refresh_from_db()
    assert message.failed_at is not None and "ValueError: a bug" in message.last_error


def test_asking_twice_for_a_report_queues_one_build(admin_user, caravan, broker_down,
                                                    django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            report = report_request(actor=admin_user, programme_code="CARAVAN-2018", period_start=date(2018, 11, 1),
                                    period_end=date(2018, 11, 30), fmt="json")

    assert open_messages().filter(key=f"report:{report.pk}").count() == 1


def test_a_report_left_waiting_with_nothing_to_build_it_is_queued_again(admin_user, caravan, broker_down, settings,
                                                                        django_capture_on_commit_callbacks):
    report = report_request(actor=admin_user, programme_code="CARAVAN-2018", period_start=date(2018, 11, 1),
                            period_end=date(2018, 11, 30), fmt="json")
    OutboxMessage.objects.update(done_at=timezone.now())
    Report.objects.filter(pk=report.pk).update(
        requested_at=timezone.now() - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS + 1))

    assert reports_orphaned_requeue() == [report.pk]
    assert reports_orphaned_requeue() == []
    assert open_messages().filter(key=f"report:{report.pk}").count() == 1
    assert Report.objects.get(pk=report.pk).status == ReportStatus.QUEUED


def test_health_turns_unhealthy_when_work_waits_too_long(client, settings):
    old = timezone.now() - timedelta(seconds=settings.AVR_HEALTH_MAX_QUEUED_SECONDS + 5)
    OutboxMessage.objects.create(task="avr.tasks.worker_heartbeat_task", created_at=old, available_at=old)

    body = client.get("/health/").json()

    assert body["work"]["ok"] is False
    assert body["work"]["oldest_queued_seconds"] >= settings.AVR_HEALTH_MAX_QUEUED_SECONDS
    assert body["status"] == "degraded"


def test_health_reports_a_running_item_whose_heartbeat_stopped(client, settings):
    stale = timezone.now() - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS * 2 + 5)
    OutboxMessage.objects.create(task="reports.tasks.report_build", args=[1], started_at=stale, heartbeat_at=stale)

    work = client.get("/health/").json()["work"]

    assert work["ok"] is False and work["oldest_running_heartbeat_seconds"] > settings.AVR_STUCK_AFTER_SECONDS * 2


def test_delivered_messages_are_forgotten_after_a_week_and_failed_ones_kept(settings):
    old = timezone.now() - timedelta(days=settings.AVR_OUTBOX_KEEP_DAYS + 1)
    OutboxMessage.objects.create(task="a", done_at=old)
    kept = OutboxMessage.objects.create(task="b", failed_at=old)

    assert services.outbox_purge() == 1
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [kept.pk]


def test_when_redis_comes_back_empty_what_it_held_is_published_again_at_once(broker):
    services.outbox_enqueue("avr.tasks.worker_heartbeat_task")
    assert services.outbox_relay() == 1
    assert services.outbox_relay() == 0

    broker.flushdb()  # Redis restarted without persistence: the queue and the mark are gone

    assert services.outbox_relay() == 1
    assert broker.llen("celery") == 1
    assert services.outbox_relay() == 0
