"""The health endpoint and a real Celery worker consuming through the broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from avr.celery import app as celery_app
from avr.health import HEARTBEAT_KEY, redis_client

pytestmark = pytest.mark.django_db
BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def no_heartbeat():
    redis_client().delete(HEARTBEAT_KEY)
    yield
    redis_client().delete(HEARTBEAT_KEY)


def test_health_reports_a_missing_worker_as_degraded(client, no_heartbeat):
    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is True
    assert body["worker"]["ok"] is False


def test_health_reports_redis_down_without_crashing(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["redis"]["ok"] is False


@pytest.fixture
def worker():
    """A real `celery worker` process on the configured broker."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "avr.settings"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "avr", "worker", "--loglevel", "WARNING", "--concurrency", "1",
         "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.broker
@pytest.mark.smoke
def test_a_task_sent_through_the_broker_is_run_by_a_real_worker(client, no_heartbeat, worker):
    celery_app.conf.task_always_eager = False
    from avr.tasks import worker_heartbeat_task

    worker_heartbeat_task.delay()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and redis_client().get(HEARTBEAT_KEY) is None:
        assert worker.poll() is None, worker.stderr.read().decode()
        time.sleep(0.2)

    response = client.get("/health/")
    assert response.status_code == 200, response.json()
    assert response.json()["worker"]["ok"] is True


def test_celery_is_configured_for_reliability():
    conf = celery_app.conf

    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result is True
