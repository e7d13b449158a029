"""The retention review queue: supervisors and admins confirm, in bulk, the closed cases due for anonymisation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.choices import Role
from avr.confirm import confirmation_step
from cases.permissions import user_roles
from retention.selectors import review_queue_for_user
from retention.services import review_items_confirm

QUEUE_SIZE = 200
QUESTIONS = {"anonymised": (
    gettext_lazy("Anonymise the selected cases?"),
    gettext_lazy("Their names, documents, phones, notes and scans are erased and their audit values made "
                 "unreadable. Counts for donor reports stay. This cannot be undone."))}


def _reviewer_only(user) -> None:
    if not user_roles(user) & {Role.SUPERVISOR, Role.ADMIN}:
        raise Http404


@login_required
def review_queue(request):
    """Closed cases past their programme's retention period, oldest due first; names are never shown here."""
    _reviewer_only(request.user)
    items = list(review_queue_for_user(request.user)[:QUEUE_SIZE])
    return render(request, "retention/review_queue.html", {"items": items, "full": len(items) == QUEUE_SIZE})


@login_required
@require_POST
def review_confirm(request):
    """Confirm the ticked cases (after a confirmation step); each is anonymised by the worker with a certificate."""
    _reviewer_only(request.user)
    ids = [int(v) for v in request.POST.getlist("item") if v.isdigit()]
    if not ids:
        messages.error(request, _("Tick the cases to anonymise."))
        return redirect("retention_review")
    queued = review_queue_for_user(request.user).filter(pk__in=ids)
    if not queued.exists():
        messages.error(request, _("None of the ticked cases is waiting for review any more."))
        return redirect("retention_review")
    asked = confirmation_step(request, QUESTIONS, "anonymised", back=reverse("retention_review"))
    if asked is not None:
        return asked
    confirmed = review_items_confirm(item_ids=list(queued.values_list("pk", flat=True)), actor=request.user)
    messages.success(request, _("Cases confirmed: %(count)d. They are being anonymised, each with an "
                                "erasure certificate.") % {"count": len(confirmed)})
    return redirect("retention_review")
