"""A real `celery worker` process on the configured broker and the test database, for the `broker` tests."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection


def process_env(**extra_env) -> dict:
    parts = urlsplit(settings.DATABASE_URL)
    test_database = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "avr.settings", "DATABASE_URL": test_database,
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend", **extra_env}


@contextmanager
def celery_process(output, command: list[str], **extra_env):
    with output.open("ab") as stdout:
        process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "avr", *command], cwd=settings.BASE_DIR,
                                   env=process_env(**extra_env), stdout=stdout, stderr=subprocess.STDOUT)
    process.output = output
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def celery_worker(tmp_path, *, name: str = "worker", include: str = "", **extra_env):
    """Start it, printing its e-mails and logs to `<name>.out` (as `process.output`); stop it afterwards."""
    command = ["worker", "--loglevel", "WARNING", "--concurrency", "1", "--pool", "solo", "--without-gossip",
               "--without-mingle", "--without-heartbeat", "--hostname", f"{name}@%h"]
    if include:
        command += ["--include", include]
    with celery_process(tmp_path / f"{name}.out", command, **extra_env) as process:
        yield process


@contextmanager
def celery_beat(tmp_path, **extra_env):
    """Celery beat on the project's schedule (its relay every AVR_OUTBOX_RELAY_SECONDS), its state in tmp_path."""
    command = ["beat", "--loglevel", "WARNING", "--schedule", str(tmp_path / "beat-schedule")]
    with celery_process(tmp_path / "beat.out", command, **extra_env) as process:
        yield process


def wait_for(condition, *, seconds: float, processes=()):
    """Poll `condition` until it holds, failing at once if one of `processes` died, and after `seconds` with the
    outbox messages still open (what the workers did not finish)."""
    from outbox.models import OutboxMessage

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, process.output.read_text()
        if condition():
            return
        time.sleep(0.3)
    open_messages = list(OutboxMessage.objects.filter(done_at__isnull=True).values())
    raise AssertionError(f"waited {seconds}s in vain; open outbox messages: {open_messages}")
