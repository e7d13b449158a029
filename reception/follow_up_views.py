"""Pages of the follow-up after return: the centre's work queue, one follow-up's attempts and questionnaire, and the
protection focal point's safeguarding tasks. Rules live in reception.followups; these parse, call, render."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from audit.models import AuditAction
from audit.services import audit_record
from cases.permissions import case_access
from cases.selectors import cases_listed_audit
from cases.services import StaleVersion
from reception import followups
from reception.choices import OPEN_FOLLOW_UP, AttemptOutcome, FollowUpStatus
from reception.forms import FollowUpAttemptForm, SafeguardingCloseForm
from reception.instruments import answer_field, item_text
from reception.selectors import (
    FOLLOW_UP_TABS,
    QUEUE_LIMIT,
    follow_up_queue,
    follow_up_queue_counts,
    safeguarding_tasks_of,
)
from reception.views import centres_of, saved

TAB_LABELS = {"due": pgettext_lazy("follow-up tab", "Due"), "overdue": pgettext_lazy("follow-up tab", "Overdue"),
              "call_back": pgettext_lazy("follow-up tab", "Call back today")}
STALE_FOLLOW_UP = gettext_lazy("Someone else recorded an attempt on this follow-up after you opened it. Nothing was "
                               "overwritten: check the attempts below, then record yours again if it is still needed.")


@login_required
def follow_up_queue_page(request):
    """The centre's follow-ups to make: due, overdue, and the people to call back today."""
    centres = centres_of(request.user)
    tab = request.GET.get("tab") if request.GET.get("tab") in FOLLOW_UP_TABS else "due"
    rows = list(follow_up_queue(user=request.user, centres=centres, tab=tab)[:QUEUE_LIMIT])
    cases_listed_audit(user=request.user, cases=list({f.member.case for f in rows}), request=request)
    counts = follow_up_queue_counts(user=request.user, centres=centres)
    return render(request, "reception/follow_up_queue.html", {
        "rows": rows, "tab": tab, "tabs": [(value, TAB_LABELS[value], counts[value]) for value in FOLLOW_UP_TABS]})


def attempt_form(follow_up, data=None) -> FollowUpAttemptForm:
    items = list(follow_up.instrument_version.items.all()) if follow_up.instrument_version_id else []
    return FollowUpAttemptForm(data, items=items, initial={"version": follow_up.version,
                                                           "request_key": uuid.uuid4().hex})


@login_required
def follow_up_detail(request, pk: int):
    """Record an attempt; on "completed" the questionnaire's answers are recorded with it, or nothing is."""
    follow_up = followups.follow_up_for_staff(request.user, pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, request=request, obj=follow_up.member.case)
    form = attempt_form(follow_up, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = saved(request, form, lambda: followups.follow_up_attempt_record(
                actor=request.user, follow_up_id=follow_up.pk, channel=data["channel"], outcome=data["outcome"],
                request_key=data["request_key"], expected_version=data["version"],
                call_back_on=data.get("call_back_on"), note=data.get("note") or "", answers=form.answers()))
        except StaleVersion:
            messages.error(request, STALE_FOLLOW_UP)
            follow_up.refresh_from_db()
            data = request.POST.copy()
            data["version"], data["request_key"] = str(follow_up.version), uuid.uuid4().hex
            form = attempt_form(follow_up, data)
            form.is_valid()
            result = None
        if result is not None:
            messages.success(request, attempt_message(result, follow_up.member.full_name))
            return redirect("follow_up_detail", pk=follow_up.pk)
    return render(request, "reception/follow_up_detail.html", follow_up_context(follow_up, form))


def attempt_message(result, name: str) -> str:
    if result.replayed:
        return _("Already recorded: this attempt with %(name)s was saved before. Nothing was added.") % {"name": name}
    if result.follow_up.status == FollowUpStatus.UNREACHABLE:
        return _("%(name)s could not be reached after the attempts the plan allows: marked unreachable.") % {
            "name": name}
    if result.attempt.outcome == AttemptOutcome.COMPLETED:
        return _("The follow-up with %(name)s is completed and its answers are recorded.") % {"name": name}
    return _("The attempt to reach %(name)s is recorded.") % {"name": name}


def follow_up_context(follow_up, form) -> dict:
    follow_up.refresh_from_db()
    answers = [(item_text(a.item), a.value) for a in follow_up.answers.select_related("item").order_by("item__order")]
    return {"follow_up": follow_up, "member": follow_up.member, "case": follow_up.member.case, "form": form,
            "is_open": follow_up.status in OPEN_FOLLOW_UP, "answers": answers,
            "attempts": follow_up.attempts.select_related("by").order_by("-at", "-id"),
            "flags": follow_up.flags.all(), "scores": follow_up.scores.order_by("dimension"),
            "question_names": [answer_field(item) for item in form.items]}


@login_required
def safeguarding_task_list(request):
    """The protection focal point's open safeguarding tasks, soonest due first; names only where they see the case."""
    tasks = list(safeguarding_tasks_of(request.user)[:QUEUE_LIMIT])
    shown = []
    for task in tasks:
        case = task.flag.member.case
        task.shows_name = case_access(request.user, case) is not None
        task.is_overdue = task.due_on < timezone.localdate()
        task.form = SafeguardingCloseForm(prefix=f"t{task.pk}")
        if task.shows_name:
            shown.append(case)
    cases_listed_audit(user=request.user, cases=shown, request=request)
    return render(request, "reception/safeguarding_tasks.html", {"tasks": tasks})


@login_required
@require_POST
def safeguarding_task_close(request, pk: int):
    """Close a task with what was done."""
    followups.safeguarding_task_for(request.user, pk)
    form = SafeguardingCloseForm(request.POST, prefix=f"t{pk}")
    if form.is_valid() and saved(request, form, lambda: followups.safeguarding_task_close(
            actor=request.user, task_id=pk, note=form.cleaned_data["note"])):
        messages.success(request, _("The safeguarding task is closed."))
    else:
        messages.error(request, _("Say what was done before closing the task."))
    return redirect("safeguarding_task_list")
