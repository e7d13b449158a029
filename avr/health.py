"""Health of the parts the app needs: database, Redis, and a worker that is really consuming."""

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from avr import redis_url
from avr.replica import replica_health

HEARTBEAT_KEY = "avr:worker:heartbeat"
QUEUE_NAME = "celery"


def redis_client() -> redis.Redis:
    return redis_url.redis_client(settings.REDIS_URL, settings.REDIS_SENTINEL_MASTER, socket_timeout=2)


def heartbeat_record() -> None:
    """Called by the worker; the key expires so a dead worker shows as stale."""
    redis_client().set(HEARTBEAT_KEY, str(time.time()), ex=settings.CELERY_WORKER_HEARTBEAT_INTERVAL * 10)


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # health must report, not raise
        return {"ok": False, "error": exc.__class__.__name__}


def redis_and_worker_status() -> tuple[dict, dict]:
    try:
        client = redis_client()
        client.ping()
        beat = client.get(HEARTBEAT_KEY)
        waiting = client.llen(QUEUE_NAME)
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}, {"ok": False, "error": "redis unavailable"}
    age = None if beat is None else round(time.time() - float(beat), 1)
    # A worker that stopped consuming (seen after Redis reconnects) leaves the heartbeat stale while the queue grows.
    fresh = age is not None and age <= settings.CELERY_WORKER_HEARTBEAT_INTERVAL * 3
    return {"ok": True}, {"ok": fresh, "last_heartbeat_seconds_ago": age, "queued_tasks": waiting}


def work_status() -> dict:
    """The outbox's oldest waiting and oldest running message: work that waits or runs too long is unhealthy."""
    from outbox.services import outbox_health

    try:
        return outbox_health()
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}


def health(request):
    """GET /health/: 200 when database, Redis, a worker and the background work are all well, 503 otherwise."""
    database = database_status()
    redis_state, worker = redis_and_worker_status()
    work = work_status() if database["ok"] else {"ok": False, "error": "database unavailable"}
    ok = database["ok"] and redis_state["ok"] and worker["ok"] and work["ok"]
    body = {"status": "ok" if ok else "degraded", "database": database, "redis": redis_state, "worker": worker,
            "work": work}
    replica = replica_health()
    if replica is not None:  # a replica behind or away sends reads to the primary: reported, never unhealthy
        body["replica"] = replica
    return JsonResponse(body, status=200 if ok else 503)
