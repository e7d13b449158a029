"""Reads of notifications: a user only ever reads their own."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from notifications.models import Notification

UNREAD_CAP = 100


def notifications_for_user(*, user) -> QuerySet:
    """The user's notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-id")


def notification_get_for_user(*, user, notification_id: int) -> Notification:
    """One of the user's notifications; anyone else's is "not found"."""
    return get_object_or_404(notifications_for_user(user=user), pk=notification_id)


def notification_unread_count(*, user, cap: int = UNREAD_CAP) -> int:
    """Unread notifications, counted up to `cap` (the bell shows "99+" beyond)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)[:cap].count()
