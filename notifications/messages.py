"""What a notification says and where it leads, rendered in the active language from its kind and parameters.

Only references and counts go in: never a name, a document number, a birth date or a note.
"""

import re
from datetime import date

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Notification, NotificationKind

# Everything a notification may carry, and its shape: references and codes, counts, ISO dates, ids.
PARAM_KINDS = {"reference": str, "programme": str, "departure": str, "expected": str, "month": str,
               "count": int, "days": int, "passengers": int, "children": int, "unaccompanied": int, "report": int,
               # a booth tablet by its id (its label is read when the message is), its office's code, a UTC time
               "device": str, "office": str, "since": str}
# A reference or a code: no spaces, so no name or sentence fits.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def notification_params_checked(params: dict) -> dict:
    """The params, if each is a reference, a count or a date; anything else (a name, a note) is refused."""
    for name, value in params.items():
        kind = PARAM_KINDS.get(name)
        if kind is None or type(value) is not kind or (kind is str and value and not CODE.fullmatch(value)):
            raise ValueError(f"A notification carries references and counts only, not {name!r}")
    return params


def notification_text(notification: Notification) -> str:
    """The one-line message shown in the bell list and at the top of the e-mail."""
    params = notification.params
    kind = notification.kind
    if kind == NotificationKind.CASE_PENDING_APPROVAL:
        return _("Case %(reference)s waits for your approval.") % params
    if kind == NotificationKind.CASE_APPROVED:
        return _("Case %(reference)s was approved.") % params
    if kind == NotificationKind.CASE_REJECTED:
        return _("Case %(reference)s was returned to screening by the supervisor.") % params
    if kind == NotificationKind.CASE_ON_HOLD:
        return _("Case %(reference)s was put on hold: it does not travel until a supervisor releases it.") % params
    if kind == NotificationKind.APPROVAL_DIGEST:
        return _digest_text(count=params["count"], days=params["days"])
    if kind in (NotificationKind.MOVEMENT_CONFIRMED, NotificationKind.MOVEMENT_DEPARTED):
        return _movement_text(kind, params)
    if kind == NotificationKind.FOLLOW_UPS_DUE:
        return ngettext("%(count)d follow-up call is due", "%(count)d follow-up calls are due",
                        params["count"]) % {"count": params["count"]}
    if kind == NotificationKind.SAFEGUARDING_TASK:
        return _("A follow-up call raised a safeguarding flag: a task waits for your action.")
    if kind == NotificationKind.BREAK_GLASS:
        return _("Someone was given emergency access to case %(reference)s. Review it in the emergency access "
                 "queue.") % params
    if kind == NotificationKind.SYNC_WAITING:
        return _sync_waiting_text(params)
    if kind == NotificationKind.CASE_ASSIGNED:
        return _("Case %(reference)s was assigned to you.") % params
    if kind == NotificationKind.REPORT_READY:
        return _("Your donor report is ready.")
    if kind == NotificationKind.MONTHLY_REPORT_READY:
        month = formats.date_format(date.fromisoformat(params["month"]), "YEAR_MONTH_FORMAT")
        return _("The monthly donor report of %(programme)s for %(month)s is ready.") % {
            "programme": params["programme"], "month": month}
    return _("You have a new notification.")


def _sync_waiting_text(params: dict) -> str:
    """The tablet by the label the booth gave it (a name for a device, never a person's data), read now."""
    from sync.models import Device

    label = Device.objects.filter(pk=params["device"]).values_list("label", flat=True).first() or _("a tablet")
    since = parse_datetime(params["since"])
    waiting = ngettext("%(count)d operation", "%(count)d operations", params["count"]) % {"count": params["count"]}
    return _("Tablet “%(label)s” of %(office)s has %(waiting)s waiting to sync since %(since)s. Bring it online "
             "or find out what happened.") % {
        "label": label, "office": params["office"], "waiting": waiting,
        "since": formats.date_format(timezone.localtime(since), "SHORT_DATETIME_FORMAT") if since else "?"}


def _movement_text(kind: str, params: dict) -> str:
    values = {"reference": params["reference"], "passengers": _passengers(params),
              "date": formats.date_format(date.fromisoformat(params["expected"]), "SHORT_DATE_FORMAT")}
    if kind == NotificationKind.MOVEMENT_CONFIRMED:
        return _("Movement %(reference)s is confirmed: %(passengers)s expected on %(date)s.") % values
    return _("Movement %(reference)s has departed: %(passengers)s on board, expected on %(date)s.") % values


def _passengers(params: dict) -> str:
    """The passengers, e.g. "38 passengers (6 children, 2 unaccompanied)"; the brackets only with children."""
    passengers = ngettext("%(count)d passenger", "%(count)d passengers", params["passengers"]) % {
        "count": params["passengers"]}
    if not params["children"]:
        return passengers
    among = [ngettext("%(count)d child", "%(count)d children", params["children"]) % {"count": params["children"]}]
    if params["unaccompanied"]:
        among.append(ngettext("%(count)d unaccompanied", "%(count)d unaccompanied", params["unaccompanied"]) % {
            "count": params["unaccompanied"]})
    return f"{passengers} ({', '.join(among)})"


def _digest_text(*, count: int, days: int) -> str:
    waiting = ngettext("%(count)d case waits for your approval.", "%(count)d cases wait for your approval.",
                       count) % {"count": count}
    if days < 1:
        oldest = _("The oldest has waited less than a day.")
    else:
        oldest = ngettext("The oldest has waited %(days)d day.", "The oldest has waited %(days)d days.",
                          days) % {"days": days}
    return f"{waiting} {oldest}"


def notification_subject(notification: Notification) -> str:
    """The e-mail subject: what happened, without the reference (subjects end up in more places than bodies)."""
    subjects = {
        NotificationKind.CASE_PENDING_APPROVAL: _("A case waits for your approval"),
        NotificationKind.CASE_APPROVED: _("A case was approved"),
        NotificationKind.CASE_REJECTED: _("A case was returned to screening"),
        NotificationKind.CASE_ON_HOLD: _("A case was put on hold"),
        NotificationKind.APPROVAL_DIGEST: _("Cases waiting for your approval"),
        NotificationKind.MOVEMENT_CONFIRMED: _("A movement to your centre is confirmed"),
        NotificationKind.MOVEMENT_DEPARTED: _("A movement to your centre has departed"),
        NotificationKind.FOLLOW_UPS_DUE: _("Follow-up calls are due"),
        NotificationKind.REPORT_READY: _("Your donor report is ready"),
        NotificationKind.MONTHLY_REPORT_READY: _("A monthly donor report is ready"),
        NotificationKind.BREAK_GLASS: _("Emergency access to a case, to review"),
        NotificationKind.SYNC_WAITING: _("A booth tablet has work waiting to sync"),
        NotificationKind.SAFEGUARDING_TASK: _("A safeguarding task waits for your action"),
    }
    return f"[AVR] {subjects.get(notification.kind, _('New notification'))}"


def notification_path(notification: Notification) -> str:
    """Where opening the notification leads: the case or movement page, the approval queue for the digest, the
    follow-up list for the calls due, the report's page for a report."""
    if notification.kind == NotificationKind.APPROVAL_DIGEST:
        return _approval_queue_path()
    if notification.kind == NotificationKind.FOLLOW_UPS_DUE:
        return _named_path("follow_up_queue")
    if notification.kind == NotificationKind.BREAK_GLASS:
        return _named_path("break_glass_review")
    if notification.kind == NotificationKind.SAFEGUARDING_TASK:
        return _named_path("safeguarding_task_list")
    if notification.kind == NotificationKind.SYNC_WAITING:
        return _named_path("sync_devices")
    if notification.kind in (NotificationKind.REPORT_READY, NotificationKind.MONTHLY_REPORT_READY):
        return _report_path(notification.params["report"])
    if notification.movement_id:
        return _movement_path(notification.movement_id)
    if notification.case_id:
        return reverse("case_detail", args=[notification.case_id])
    return reverse("case_list")


def _approval_queue_path() -> str:
    try:
        return reverse("approval_queue")
    except NoReverseMatch:
        return reverse("case_list")


def _named_path(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse("case_list")


def _report_path(report_id: int) -> str:
    try:
        return reverse("report_detail", args=[report_id])
    except NoReverseMatch:
        return reverse("home")


def _movement_path(movement_id: int) -> str:
    try:
        return reverse("movement_detail", args=[movement_id])
    except NoReverseMatch:
        return reverse("case_list")


def notification_url(notification: Notification) -> str:
    """The absolute link for an e-mail."""
    return f"{settings.SITE_URL}{notification_path(notification)}"
