"""The intent of a side effect (a notification to write, a report to build, an e-mail to send), written in the same
transaction as the change that causes it, and its delivery: published to the broker, started, finished."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    # A Celery task name and its arguments: ids and codes, never personal data.
    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    # What the work is about ("report:12"); one undone message per key, so asking twice queues one build.
    key = models.CharField(_("key"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Not published (again) before this: a retry's pause.
    available_at = models.DateTimeField(_("available at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    publications = models.PositiveIntegerField(_("publications"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # Beaten while the work runs: a stale heartbeat means the worker died and the work is delivered again.
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["available_at", "id"], name="outbox_open",
                                condition=Q(done_at__isnull=True, failed_at__isnull=True))]
        constraints = [models.UniqueConstraint(fields=["key"], name="outbox_one_open_per_key",
                                               condition=Q(done_at__isnull=True, failed_at__isnull=True) & ~Q(key=""))]

    def __str__(self) -> str:
        return f"{self.task} {self.args} #{self.pk}"
