from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from notifications.messages import notification_path, notification_text
from notifications.selectors import notification_get_for_user, notifications_for_user
from notifications.services import notification_open, notifications_mark_all_read

PAGE_SIZE = 50


def _before_id(request) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() else None


@login_required
def notification_list(request):
    """The user's notifications, newest first, fifty at a time (keyset on the id)."""
    queryset = notifications_for_user(user=request.user)
    before = _before_id(request)
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    page = list(queryset[:PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    rows = [{"notification": n, "text": notification_text(n)} for n in page]
    return render(request, "notifications/notification_list.html", {
        "rows": rows, "next_before": page[-1].pk if more else None,
    })


@login_required
def notification_open_view(request, pk: int):
    """Opening a notification marks it read and leads to what it is about."""
    notification = notification_get_for_user(user=request.user, notification_id=pk)
    notification_open(notification=notification)
    return redirect(notification_path(notification))


@login_required
@require_POST
def notifications_read_all(request):
    """Mark all the user's notifications read."""
    marked = notifications_mark_all_read(user=request.user)
    if marked:
        messages.success(request, ngettext("%(count)d notification marked as read.",
                                           "%(count)d notifications marked as read.", marked) % {"count": marked})
    return redirect("notification_list")
