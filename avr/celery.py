"""The Celery app: JSON only, late acks, one task prefetched, ids (never personal data) as arguments."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avr.settings")

app = Celery("avr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["avr"])
# The nightly KoboToolbox pull lives beside the import's own tasks module (imports/tasks.py), not in it.
app.autodiscover_tasks(["imports"], related_name="tasks_kobo")
