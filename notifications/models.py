from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    CASE_PENDING_APPROVAL = "case_pending_approval", _("A case waits for approval")
    CASE_APPROVED = "case_approved", _("A case was approved")
    CASE_REJECTED = "case_rejected", _("A case was returned to screening")
    CASE_ON_HOLD = "case_on_hold", _("A case was put on hold")
    APPROVAL_DIGEST = "approval_digest", _("Daily summary of approvals waiting")
    MOVEMENT_CONFIRMED = "movement_confirmed", _("A movement to the reception centre was confirmed")
    MOVEMENT_DEPARTED = "movement_departed", _("A movement to the reception centre has departed")
    FOLLOW_UPS_DUE = "follow_ups_due", _("Follow-up calls are due")
    REPORT_READY = "report_ready", _("A donor report is ready")
    MONTHLY_REPORT_READY = "monthly_report_ready", _("A monthly donor report is ready")
    BREAK_GLASS = "break_glass", _("Emergency access to a case")
    SYNC_WAITING = "sync_waiting", _("A booth tablet has had work waiting too long")
    CASE_ASSIGNED = "case_assigned", _("A case was assigned to you")
    SAFEGUARDING_TASK = "safeguarding_task", _("A safeguarding flag needs action")


class Notification(models.Model):
    """One message to one member of staff, in the bell and by e-mail.

    Only the kind and non-personal parameters (a case or movement reference, counts, dates) are stored: the text is
    rendered when it is read or sent, in the reader's language (notifications.messages).
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    # "case-event:<event>:<user>", "digest:<date>:<user>", "movement:<movement>:<status>:<user>",
    # "follow-ups:<date>:<user>", "sync-waiting:<tablet>:<oldest operation's time>:<user>" or "report:<report>:<finished at>:<user>": a task that runs twice finds the row it
    # already wrote (a report made again finishes at another time, so it is announced again).
    dedupe_key = models.CharField(_("deduplication key"), max_length=100, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    movement = models.ForeignKey("travel.Movement", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("movement"))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "id"], name="notification_inbox"),
            # The bell's unread count on every page reads only this small partial index.
            models.Index(fields=["recipient"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
