"""Side effects written down with the change that causes them, and delivered exactly once.

`outbox_enqueue` writes the intent in the caller's transaction; once that commits it tries to publish at once, and if
the broker does not answer the request has still succeeded: beat's relay publishes it when the broker is back.
Delivery is at least once (a publish whose mark was lost, a Redis restart that emptied its queue, a worker killed
mid-task are all delivered again) and every target task is safe to run twice, so each effect happens once; the claim
in `outbox_deliver` keeps two deliveries of one message from running side by side.
"""

import logging
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from importlib import import_module

from django.conf import settings
from django.db import connection as db_connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)
BROKER_ERRORS = (KombuError, OSError, RedisError)
DELIVER_TASK = "outbox.tasks.outbox_deliver"
BROKER_MARK = "avr:outbox:broker-started"

# After the broker failed to answer, a web process stops trying to publish at commit for a while, so that a request
# does not wait for a timeout each time; beat's relay keeps trying.
_broker_down_until = 0.0


def celery_app():
    from avr.celery import app

    return app


def outbox_enqueue(task: str, *args, key: str = "", **kwargs) -> None:
    """Write that `task(*args, **kwargs)` must run, in the caller's transaction; publish it once that commits.

    Arguments are ids and codes, never personal data. With a `key`, a message still open for that key stands for this
    one too (a report asked for twice is built once).
    """
    message = OutboxMessage(task=task, args=list(args), kwargs=kwargs, key=key)
    if key:
        OutboxMessage.objects.bulk_create([message], ignore_conflicts=True)
        message_ids = open_message_ids(key)
    else:
        message.save()
        message_ids = [message.pk]
    eager = celery_app().conf.task_always_eager
    transaction.on_commit(partial(outbox_publish_soon, message_ids), robust=not eager)


def open_message_ids(key: str) -> list[int]:
    return list(OutboxMessage.objects.filter(key=key, done_at__isnull=True, failed_at__isnull=True)
                .values_list("pk", flat=True))


def outbox_publish_soon(message_ids: list[int]) -> None:
    """Right after commit: publish these messages if the broker answers; never raise into the request."""
    if celery_app().conf.task_always_eager:
        for message_id in message_ids:
            outbox_deliver(message_id)
        return
    if time.monotonic() < _broker_down_until:
        return
    try:
        outbox_relay(ids=message_ids)
    except Exception:
        logger.exception("outbox: publishing %s at commit failed; the relay will publish it", message_ids)


def due_q(now) -> Q:
    """Messages to publish now: never published; published but never started for too long (the broker lost it);
    started but with a stale heartbeat (the worker died)."""
    never_started = now - timedelta(seconds=settings.AVR_OUTBOX_REDELIVER_SECONDS)
    stale = now - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS)
    return (Q(done_at__isnull=True, failed_at__isnull=True, available_at__lte=now)
            & (Q(published_at__isnull=True)
               | Q(started_at__isnull=True, published_at__lt=never_started)
               | Q(started_at__isnull=False, heartbeat_at__lt=stale)))


@contextmanager
def broker_connection():
    app = celery_app()
    options = {**app.conf.broker_transport_options, "socket_connect_timeout": 2, "socket_timeout": 5}
    with app.connection_for_write(settings.CELERY_BROKER_URL, connect_timeout=2,
                                  transport_options=options) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=3)
        # Redis keeps the queue's binding in a key of its own: a Redis restarted empty has forgotten it, and a message
        # published before a worker declares it again would be dropped.
        for queue in app.amqp.queues.values():
            queue.bind(connection).declare()
        yield connection


def outbox_relay(*, ids: list[int] | None = None, limit: int = 500) -> int:
    """Publish the messages that are due, oldest first, each marked in its own transaction; how many went.

    Rows are taken with SKIP LOCKED, so two relays (beat's and a commit's) never publish the same message twice.
    """
    global _broker_down_until
    published = 0
    try:
        with broker_connection() as connection:
            if broker_came_back_empty():
                published_before_forgotten()
            while published < limit and message_publish_next(connection, ids):
                published += 1
    except BROKER_ERRORS as exc:
        _broker_down_until = time.monotonic() + settings.AVR_OUTBOX_BROKER_BACKOFF_SECONDS
        logger.warning("outbox: broker unavailable (%s); %s published, the rest wait", exc.__class__.__name__,
                       published)
    return published


def broker_came_back_empty() -> bool:
    """True once after Redis started empty (a restart without persistence): what it held before is lost.

    The mark lives in Redis itself, so it vanishes with everything else.
    """
    from avr.redis_url import redis_client

    client = redis_client(settings.CELERY_BROKER_URL, settings.REDIS_SENTINEL_MASTER, socket_connect_timeout=2,
                          socket_timeout=5)
    return bool(client.set(BROKER_MARK, timezone.now().isoformat(), nx=True))


def published_before_forgotten() -> int:
    """Publish again, now, every message published but not started: the broker that held it has lost it."""
    return (OutboxMessage.objects.filter(done_at__isnull=True, failed_at__isnull=True, started_at__isnull=True,
                                         published_at__isnull=False).update(published_at=None))


# Long builds go to their own queue (and, in compose, their own worker): a notice never waits behind a report.
BULK_TASKS = frozenset({
    "reports.tasks.report_build",
    "imports.tasks.batch_parse_task",
    "imports.tasks.batch_merge_task",
    "travel.tasks.manifest_build_run_task",
    "retention.tasks.review_item_anonymise_task",
})


def message_queue(task: str) -> str:
    return settings.AVR_BULK_QUEUE if task in BULK_TASKS else settings.CELERY_TASK_DEFAULT_QUEUE


def message_publish_next(connection, ids: list[int] | None) -> bool:
    now = timezone.now()
    with transaction.atomic():
        due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(due_q(now))
        if ids is not None:
            due = due.filter(pk__in=ids)
        message = due.order_by("available_at", "id").first()
        if message is None:
            return False
        celery_app().send_task(DELIVER_TASK, args=[message.pk], connection=connection, retry=False,
                               queue=message_queue(message.task),
                               task_id=f"outbox-{message.pk}-{message.publications + 1}")
        OutboxMessage.objects.filter(pk=message.pk).update(
            published_at=now, publications=F("publications") + 1, started_at=None, heartbeat_at=None)
    return True


def message_claim(message_id: int) -> OutboxMessage | None:
    """Take a message to run it: nobody runs it now (no fresh heartbeat) and it is not done; else None."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS)
    claimed = (OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True, failed_at__isnull=True)
               .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale))
               .update(started_at=now, heartbeat_at=now, attempts=F("attempts") + 1))
    return OutboxMessage.objects.get(pk=message_id) if claimed else None


def outbox_deliver(message_id: int) -> bool:
    """Run one message's task unless it is done or running elsewhere; True if it ran to the end now.

    A task that raises an OSError (SMTP, a lost connection) is tried again after a growing pause; after
    AVR_OUTBOX_MAX_ATTEMPTS, or on any other error, the message is marked failed and the error logged.
    """
    message = message_claim(message_id)
    if message is None:
        return False
    task = task_named(message.task)
    try:
        with heartbeat(message.pk):
            task.run(*message.args, **message.kwargs)
    except Exception as exc:
        message_failure_record(message, exc)
        if celery_app().conf.task_always_eager:
            raise
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(done_at=timezone.now(), heartbeat_at=timezone.now(),
                                                       last_error="")
    return True


def task_named(name: str):
    """The registered task; its module is imported first, as a web process may not have imported it yet."""
    import_module(name.rsplit(".", 1)[0])
    return celery_app().tasks[name]


def message_failure_record(message: OutboxMessage, exc: Exception) -> None:
    error = f"{exc.__class__.__name__}: {exc}"[:300]
    retryable = isinstance(exc, OSError) and message.attempts < settings.AVR_OUTBOX_MAX_ATTEMPTS
    if retryable:
        pause = min(600, 5 * 2 ** (message.attempts - 1))
        OutboxMessage.objects.filter(pk=message.pk).update(
            last_error=error, published_at=None, started_at=None, heartbeat_at=None,
            available_at=timezone.now() + timedelta(seconds=pause))
        logger.warning("outbox: %s #%s failed (%s), tried again in %ss", message.task, message.pk, error, pause)
    else:
        OutboxMessage.objects.filter(pk=message.pk).update(last_error=error, failed_at=timezone.now())
        logger.error("outbox: %s #%s failed for good: %s", message.task, message.pk, error)


@contextmanager
def heartbeat(message_id: int):
    """Beat the message's heartbeat from a thread while the work runs: a worker killed mid-task stops beating."""
    stop = threading.Event()
    every = max(1.0, settings.AVR_STUCK_AFTER_SECONDS / 4)

    def beat():
        try:
            while not stop.wait(every):
                OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(heartbeat_at=timezone.now())
        finally:
            db_connection.close()

    thread = threading.Thread(target=beat, name=f"outbox-heartbeat-{message_id}", daemon=True)
    in_transaction = db_connection.in_atomic_block
    if not in_transaction:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=5)


def outbox_purge(*, now=None) -> int:
    """Forget delivered messages after AVR_OUTBOX_KEEP_DAYS; failed ones stay for a person to look at."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.AVR_OUTBOX_KEEP_DAYS)
    deleted, _ = OutboxMessage.objects.filter(done_at__lt=cutoff).delete()
    return deleted


def outbox_health(*, now=None) -> dict:
    """The oldest message waiting to start and the oldest running one, in seconds, and whether either is too old."""
    now = now or timezone.now()
    open_ = OutboxMessage.objects.filter(done_at__isnull=True, failed_at__isnull=True, available_at__lte=now)
    ages = open_.aggregate(queued=Min("created_at", filter=Q(started_at__isnull=True)),
                           running=Min("heartbeat_at", filter=Q(started_at__isnull=False)))
    failed = OutboxMessage.objects.filter(failed_at__isnull=False, failed_at__gte=now - timedelta(days=1)).count()
    queued = None if ages["queued"] is None else round((now - ages["queued"]).total_seconds(), 1)
    running = None if ages["running"] is None else round((now - ages["running"]).total_seconds(), 1)
    ok = ((queued is None or queued <= settings.AVR_HEALTH_MAX_QUEUED_SECONDS)
          and (running is None or running <= settings.AVR_STUCK_AFTER_SECONDS * 2))
    return {"ok": ok, "oldest_queued_seconds": queued, "oldest_running_heartbeat_seconds": running,
            "failed_last_day": failed}
