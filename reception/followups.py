"""Writes of the follow-up after return: the plan's follow-ups on arrival, the daily sweep of their windows, the
attempts to reach the person, the answers with their scores, and the safeguarding flags and tasks they raise."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_actor_set
from avr.idempotency import key_digest
from cases.models import Case, Member
from cases.services import StaleVersion
from outbox.services import outbox_enqueue
from reception.choices import (
    FAILED_OUTCOMES,
    OPEN_FOLLOW_UP,
    AttemptOutcome,
    ContactChannel,
    FollowUpStatus,
)
from reception.instruments import answers_clean, dimension_scores, flags_raised
from reception.models import (
    FollowUp,
    FollowUpAnswer,
    FollowUpAttempt,
    FollowUpFlag,
    FollowUpPlan,
    FollowUpScore,
    SafeguardingTask,
)

DEFAULT_MAX_FAILED_ATTEMPTS = 3
DEFAULT_REFERRAL_DUE_DAYS = 3


def follow_up_plan_steps(case: Case) -> list:
    plan = FollowUpPlan.objects.filter(programme_id=case.programme_id).first()
    return list(plan.steps.select_related("instrument_version")) if plan else []


def follow_ups_from_plan(member: Member, steps: list, arrived_on) -> None:
    """One follow-up per step of the plan, its window counted from arrival; a second call finds the first."""
    for step in steps:
        opens_on = arrived_on + timedelta(days=step.offset_days)
        FollowUp.objects.get_or_create(member=member, step=step, defaults={
            "due_on": opens_on, "opens_on": opens_on, "closes_on": opens_on + timedelta(days=step.window_days),
            "instrument_version": step.instrument_version,
            "status": FollowUpStatus.DUE if opens_on <= arrived_on else FollowUpStatus.SCHEDULED})


def follow_ups_sweep(*, today=None) -> dict[str, int]:
    """Open the windows that start today and mark overdue those that closed; a second run changes nothing."""
    today = today or timezone.localdate()
    # Overdue first: a window that opened and closed since the last run goes straight to overdue.
    overdue = FollowUp.objects.filter(status__in=[FollowUpStatus.SCHEDULED, FollowUpStatus.DUE],
                                      closes_on__lt=today).update(status=FollowUpStatus.OVERDUE)
    opened = Q(opens_on__lte=today) | Q(opens_on__isnull=True, due_on__lte=today)
    due = FollowUp.objects.filter(opened, status=FollowUpStatus.SCHEDULED).update(status=FollowUpStatus.DUE)
    return {"due": due, "overdue": overdue}


def follow_up_for_staff(user, follow_up_id: int) -> FollowUp:
    """A follow-up of a household the user receives as its centre's reception staff; 404 for anyone else."""
    from reception.services import member_received_by

    follow_up = (FollowUp.objects.select_related("member", "member__case", "step__plan", "instrument_version")
                 .filter(pk=follow_up_id).first())
    if follow_up is None:
        raise Http404
    try:
        member_received_by(user, follow_up.member_id)
    except PermissionDenied:
        raise Http404 from None
    return follow_up


def follow_up_plan_of(follow_up: FollowUp) -> FollowUpPlan | None:
    if follow_up.step_id:
        return follow_up.step.plan
    return FollowUpPlan.objects.filter(programme_id=follow_up.member.case.programme_id).first()


@dataclass
class AttemptResult:
    attempt: FollowUpAttempt
    follow_up: FollowUp
    replayed: bool


def attempt_errors(channel: str, outcome: str, call_back_on) -> dict:
    errors = {}
    if channel not in ContactChannel.values:
        errors["channel"] = [_("Choose how the person was contacted.")]
    if outcome not in AttemptOutcome.values:
        errors["outcome"] = [_("Choose what came of the attempt.")]
    if outcome == AttemptOutcome.CALL_BACK:
        if call_back_on is None:
            errors["call_back_on"] = [_("Give the day to call back.")]
        elif call_back_on < timezone.localdate():
            errors["call_back_on"] = [_("This date is in the past.")]
    return errors


@transaction.atomic
def follow_up_attempt_record(*, actor, follow_up_id: int, channel: str, outcome: str, request_key: str,
                             expected_version: int, call_back_on=None, note: str = "",
                             answers: dict | None = None) -> AttemptResult:
    """One attempt to reach the person; "completed" records the questionnaire's answers with it, all or nothing.

    The form's one-time key (or the Idempotency-Key) makes a double submit return the first attempt; the version
    makes a second member of staff who opened the same follow-up meet a conflict instead of overwriting.
    """
    from reception.services import follow_up_consented

    follow_up_for_staff(actor, follow_up_id)
    request_key = (request_key or "").strip()
    if not request_key:
        raise ValidationError({"__all__": [_("The request has no key; reload the page and try again.")]})
    request_key = key_digest(request_key)
    audit_actor_set(actor=actor)
    follow_up = FollowUp.objects.select_for_update(of=("self",)).select_related(
        "member", "member__case", "step__plan", "instrument_version").get(pk=follow_up_id)
    replay = follow_up.attempts.filter(request_key=request_key).first()
    if replay is not None:
        return AttemptResult(replay, follow_up, True)
    if follow_up.version != expected_version:
        raise StaleVersion(follow_up.version)
    if follow_up.status not in OPEN_FOLLOW_UP:
        raise ValidationError({"__all__": [_("This follow-up is already settled (%(status)s): nothing more is "
                                             "recorded.") % {"status": FollowUpStatus(follow_up.status).label}]})
    if not follow_up_consented(follow_up.member):
        raise ValidationError({"__all__": [_("%(name)s did not agree to be contacted after return.")
                                           % {"name": follow_up.member.full_name}]})
    errors = attempt_errors(channel, outcome, call_back_on)
    if errors:
        raise ValidationError(errors)
    pairs = answers_clean(follow_up.instrument_version, answers) if outcome == AttemptOutcome.COMPLETED else []
    attempt = FollowUpAttempt.objects.create(
        follow_up=follow_up, member_id=follow_up.member_id, at=timezone.now(), channel=channel, outcome=outcome, by=actor, note=note.strip()[:300],
        call_back_on=call_back_on if outcome == AttemptOutcome.CALL_BACK else None, request_key=request_key)
    follow_up_outcome_apply(follow_up, outcome, call_back_on, actor)
    if outcome == AttemptOutcome.COMPLETED:
        follow_up_answers_store(follow_up, pairs)
    follow_up.version += 1
    follow_up.save()
    return AttemptResult(attempt, follow_up, False)


def follow_up_outcome_apply(follow_up: FollowUp, outcome: str, call_back_on, actor) -> None:
    """The follow-up's status after an attempt: settled, waiting for a call back, or unreachable after too many."""
    plan = follow_up_plan_of(follow_up)
    if outcome in FAILED_OUTCOMES:
        failed = follow_up.attempts.filter(outcome__in=FAILED_OUTCOMES).count()
        if failed >= (plan.max_failed_attempts if plan else DEFAULT_MAX_FAILED_ATTEMPTS):
            follow_up.status = FollowUpStatus.UNREACHABLE
    elif outcome == AttemptOutcome.CALL_BACK:
        follow_up.call_back_on = call_back_on
    elif outcome == AttemptOutcome.REFUSED:
        follow_up.status = FollowUpStatus.REFUSED
    elif outcome == AttemptOutcome.COMPLETED:
        follow_up.status, follow_up.reached = FollowUpStatus.COMPLETED, True
        follow_up.done_on, follow_up.recorded_by = timezone.localdate(), actor
    if outcome != AttemptOutcome.CALL_BACK:
        follow_up.call_back_on = None


def follow_up_answers_store(follow_up: FollowUp, pairs: list) -> None:
    """The raw answers, their scores, and the safeguarding flags they raise."""
    FollowUpAnswer.objects.bulk_create([FollowUpAnswer(follow_up=follow_up, member_id=follow_up.member_id, item=item,
                                                       value=value)
                                        for item, value in pairs])
    follow_up_scores_store(follow_up, pairs)
    follow_up_flags_raise(follow_up, flags_raised(pairs))


def follow_up_scores_store(follow_up: FollowUp, pairs: list) -> None:
    scores = dimension_scores(pairs)
    FollowUpScore.objects.filter(follow_up=follow_up).exclude(dimension__in=scores).delete()
    for dimension, score in scores.items():
        FollowUpScore.objects.update_or_create(follow_up=follow_up, dimension=dimension, defaults={"score": score})


def follow_up_scores_recompute(*, instrument_version_id: int | None = None) -> int:
    """Score the completed follow-ups again from their answers and the questions' current weights."""
    follow_ups = FollowUp.objects.filter(status=FollowUpStatus.COMPLETED, answers__isnull=False).distinct()
    if instrument_version_id is not None:
        follow_ups = follow_ups.filter(instrument_version_id=instrument_version_id)
    count = 0
    for follow_up in follow_ups.iterator():
        with transaction.atomic():
            answers = FollowUpAnswer.objects.filter(follow_up=follow_up).select_related("item")
            follow_up_scores_store(follow_up, [(answer.item, answer.value) for answer in answers])
        count += 1
    return count


def follow_up_flags_raise(follow_up: FollowUp, kinds: set[str]) -> None:
    """A flag per kind and a task for the plan's protection focal point, told by a link once the answers commit."""
    plan = follow_up_plan_of(follow_up)
    due_days = plan.referral_due_days if plan else DEFAULT_REFERRAL_DUE_DAYS
    assignee_id = plan.protection_focal_point_id if plan else None
    for kind in sorted(kinds):
        try:
            with transaction.atomic():
                flag = FollowUpFlag.objects.create(follow_up=follow_up, member_id=follow_up.member_id, kind=kind,
                                                   raised_at=timezone.now())
        except IntegrityError:
            continue  # raised already by an earlier answer of this follow-up
        task = SafeguardingTask.objects.create(flag=flag, member_id=follow_up.member_id, assignee_id=assignee_id,
                                               due_on=timezone.localdate() + timedelta(days=due_days))
        if assignee_id:
            outbox_enqueue("reception.tasks.safeguarding_task_notify", task.pk)


def safeguarding_task_for(user, task_id: int) -> SafeguardingTask:
    """A task assigned to the user; 404 for anyone else."""
    task = (SafeguardingTask.objects.select_related("flag", "flag__member", "flag__member__case")
            .filter(pk=task_id, assignee=user).first())
    if task is None:
        raise Http404
    return task


@transaction.atomic
def safeguarding_task_close(*, actor, task_id: int, note: str) -> SafeguardingTask:
    """The focal point closes their task with what was done; closing it again changes nothing."""
    safeguarding_task_for(actor, task_id)
    task = SafeguardingTask.objects.select_for_update().get(pk=task_id)
    if task.closed_at is not None:
        return task
    if not (note or "").strip():
        raise ValidationError({"note": [_("Say what was done.")]})
    audit_actor_set(actor=actor)
    task.closed_at, task.closed_by, task.note = timezone.now(), actor, note.strip()
    task.save()
    return task
