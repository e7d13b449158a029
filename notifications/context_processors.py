from functools import cached_property

from notifications.selectors import UNREAD_CAP, notification_unread_count


class UnreadNotifications:
    """The bell's count, queried only if the page shows it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        return notification_unread_count(user=self.user)

    @property
    def capped(self) -> bool:
        return self.count >= UNREAD_CAP

    @property
    def label(self) -> str:
        return f"{UNREAD_CAP - 1}+" if self.capped else str(self.count)


def unread_notifications(request):
    """`unread_notifications` for the bell in the navigation bar of signed-in users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadNotifications(user)}
