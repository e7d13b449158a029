"""A real `celery worker` process on the configured broker and the test database, for the `broker` tests."""

import os
import subprocess
import sys
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection


@contextmanager
def celery_worker(tmp_path, **extra_env):
    """Start it, printing its e-mails and logs to `worker.out` (as `process.output`); stop it afterwards."""
    parts = urlsplit(settings.DATABASE_URL)
    test_database = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "avr.settings", "DATABASE_URL": test_database,
           "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend", **extra_env}
    output = tmp_path / "worker.out"
    with output.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "avr", "worker", "--loglevel", "WARNING", "--concurrency", "1",
             "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=settings.BASE_DIR, env=env, stdout=stdout, stderr=subprocess.STDOUT,
        )
    process.output = output
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
