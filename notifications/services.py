"""Writes about notifications: who a case event concerns, the supervisors' daily digest, the reception centre's
notice of a movement coming its way and of the follow-up calls due, a donor report being ready, e-mail exactly once.

Every create is keyed (`dedupe_key`, unique) and every e-mail is claimed under a row lock, so a task that runs
twice, or is retried after a crash before its acknowledgement, writes one row and sends one e-mail per person.
"""

from datetime import UTC, date, datetime

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.choices import Role
from accounts.models import Assignment, User
from accounts.services import user_language
from cases.choices import CaseStatus
from cases.people import child_on_q
from cases.models import Case, CaseEvent
from notifications.messages import (
    notification_params_checked,
    notification_subject,
    notification_text,
    notification_url,
)
from notifications.models import Notification, NotificationKind
from reports.choices import ReportStatus
from reports.models import Report
from travel.choices import SEAT_TAKING, BookingStatus, MovementStatus
from travel.models import Booking, Movement


def _supervisor_assignments():
    """Supervisor assignments of active staff that name a scope (an assignment without one sees nothing)."""
    return (Assignment.objects.filter(role=Role.SUPERVISOR, user__is_active=True)
            .exclude(programme__isnull=True, country=""))


def case_supervisor_ids(case: Case) -> set[int]:
    """The supervisors whose programme and country cover the case (the scope rule of cases.permissions)."""
    matching = (_supervisor_assignments()
                .filter(Q(programme__isnull=True) | Q(programme_id=case.programme_id))
                .filter(Q(country="") | Q(country=case.registration_country)))
    return set(matching.values_list("user_id", flat=True))


def case_caseworker_ids(event: CaseEvent) -> set[int]:
    """Who submitted the case for this decision, and its assigned caseworker."""
    submitter = (CaseEvent.objects.filter(case_id=event.case_id, to_status=CaseStatus.PENDING_APPROVAL, id__lt=event.pk)
                 .order_by("-id").values_list("actor_id", flat=True).first())
    wanted = {submitter, event.case.assigned_caseworker_id} - {None}
    return set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))


def case_hold_recipient_ids(event: CaseEvent) -> set[int]:
    """A hold concerns the case's supervisors and the officers of the movement it was booked on, if any."""
    supervisors = case_supervisor_ids(event.case)
    if event.from_status != CaseStatus.BOOKED:
        return supervisors
    countries = (Booking.objects.filter(case_id=event.case_id).order_by("-booked_at", "-id")
                 .values_list("movement__country", flat=True)[:1])
    officers = Assignment.objects.filter(role=Role.MOVEMENT_OFFICER, country__in=list(countries),
                                         user__is_active=True).values_list("user_id", flat=True)
    return supervisors | set(officers)


# What each status a case moves to says, and to whom; other moves notify nobody.
EVENT_ROUTES = {
    CaseStatus.PENDING_APPROVAL: (NotificationKind.CASE_PENDING_APPROVAL, lambda event: case_supervisor_ids(event.case)),
    CaseStatus.APPROVED: (NotificationKind.CASE_APPROVED, case_caseworker_ids),
    CaseStatus.REJECTED: (NotificationKind.CASE_REJECTED, case_caseworker_ids),
    CaseStatus.ON_HOLD: (NotificationKind.CASE_ON_HOLD, case_hold_recipient_ids),
}


def case_event_notifications_create(*, event_id: int) -> list[int]:
    """One notification per person a case event concerns, never its actor; running it again creates nothing."""
    event = CaseEvent.objects.select_related("case").filter(pk=event_id).first()
    route = EVENT_ROUTES.get(event.to_status) if event else None
    if route is None:
        return []
    kind, recipients = route
    user_ids = recipients(event) - {event.actor_id}
    return _notifications_create(
        kind=kind, case=event.case, params={"reference": event.case.reference},
        keys={user_id: f"case-event:{event.pk}:{user_id}" for user_id in user_ids},
    )


def _notifications_create(*, kind: str, keys: dict[int, str], case: Case | None = None,
                          movement: Movement | None = None, params: dict) -> list[int]:
    """INSERT ... ON CONFLICT DO NOTHING on the dedupe keys, then the ids of every row, new or not."""
    notification_params_checked(params)
    rows = [Notification(recipient_id=user_id, kind=kind, dedupe_key=key, case=case, movement=movement, params=params)
            for user_id, key in keys.items()]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Notification.objects.filter(dedupe_key__in=keys.values()).order_by("id").values_list("pk", flat=True))


# What a movement's move says to its reception centre, which bookings it counts, and the statuses in which it still
# holds (a notice of confirmation that runs only after the movement was cancelled would announce people who never come).
# At confirmation every seat is `booked`; counting `boarded` too keeps the numbers right if the task runs late.
MOVEMENT_ROUTES = {
    MovementStatus.CONFIRMED: (NotificationKind.MOVEMENT_CONFIRMED, SEAT_TAKING,
                               {MovementStatus.CONFIRMED, MovementStatus.DEPARTED, MovementStatus.ARRIVED}),
    MovementStatus.DEPARTED: (NotificationKind.MOVEMENT_DEPARTED, [BookingStatus.BOARDED],
                              {MovementStatus.DEPARTED, MovementStatus.ARRIVED}),
}


def movement_reception_staff_ids(movement: Movement) -> set[int]:
    """The active reception staff of the movement's destination centre."""
    return set(Assignment.objects.filter(role=Role.RECEPTION_STAFF, office_id=movement.reception_centre_id,
                                         user__is_active=True).values_list("user_id", flat=True))


def movement_passenger_counts(movement: Movement, statuses) -> dict:
    """Passengers, children on the day of departure and unaccompanied children among them (one aggregate query)."""
    child = child_on_q(timezone.localtime(movement.departure_at).date(), prefix="member__")
    return Booking.objects.filter(movement=movement, status__in=statuses).aggregate(
        passengers=Count("id"), children=Count("id", filter=child),
        unaccompanied=Count("id", filter=child & Q(member__is_unaccompanied_child=True)))


def movement_expected_on(movement: Movement) -> date:
    """The day the movement is expected at the centre: its last leg's expected time, else its departure."""
    last_leg = movement.legs.order_by("-order").values_list("expected_at", flat=True).first()
    return timezone.localtime(last_leg or movement.departure_at).date()


def movement_event_notifications_create(*, movement_id: int, status: str, actor_id: int | None = None) -> list[int]:
    """Tell the destination centre's staff that a movement was confirmed or left: counts and dates, never names.

    Never the actor; running it again creates nothing.
    """
    if status not in MOVEMENT_ROUTES:
        return []
    kind, counted, holds_in = MOVEMENT_ROUTES[status]
    movement = Movement.objects.filter(pk=movement_id).first()
    if movement is None or movement.status not in holds_in:
        return []
    user_ids = movement_reception_staff_ids(movement) - {actor_id}
    if not user_ids:
        return []
    params = {"reference": movement.reference, **movement_passenger_counts(movement, counted),
              "departure": timezone.localtime(movement.departure_at).date().isoformat(),
              "expected": movement_expected_on(movement).isoformat()}
    return _notifications_create(kind=kind, movement=movement, params=params,
                                 keys={user_id: f"movement:{movement.pk}:{status}:{user_id}" for user_id in user_ids})


def follow_ups_due_notifications_create(*, today: date | None = None) -> list[int]:
    """Tell each centre's reception staff how many follow-up calls are due: a count and a link, once a day each."""
    from reception.services import follow_ups_due

    today = today or timezone.localdate()
    due_by_centre = {row["member__case__reception_centre"]: row["due"] for row in follow_ups_due(today=today)}
    staff = (Assignment.objects.filter(role=Role.RECEPTION_STAFF, office_id__in=[c for c in due_by_centre if c],
                                       user__is_active=True).values_list("user_id", "office_id").distinct())
    counts: dict[int, int] = {}
    for user_id, centre_id in staff:
        counts[user_id] = counts.get(user_id, 0) + due_by_centre[centre_id]
    created = []
    for user_id, count in counts.items():
        created += _notifications_create(kind=NotificationKind.FOLLOW_UPS_DUE, params={"count": count},
                                         keys={user_id: f"follow-ups:{today.isoformat()}:{user_id}"})
    return created


def safeguarding_task_notifications_create(*, task_id: int, recipient_id: int) -> list[int]:
    """Tell the protection focal point a safeguarding task is theirs: a link to their tasks, once per task."""
    return _notifications_create(kind=NotificationKind.SAFEGUARDING_TASK, params={},
                                 keys={recipient_id: f"safeguarding:{task_id}:{recipient_id}"})


def report_reader_ids(report: Report) -> set[int]:
    """Who hears that a report is ready: its requester; for a monthly report (requested by nobody), the active admins
    and the supervisors of its programme (the people reports.services lets read it)."""
    if report.requested_by_id is not None:
        return set(User.objects.filter(pk=report.requested_by_id, is_active=True).values_list("pk", flat=True))
    readers = Q(role=Role.ADMIN)
    if report.programme_id is not None:
        readers |= Q(role=Role.SUPERVISOR, programme_id=report.programme_id)
    return set(Assignment.objects.filter(readers, user__is_active=True).values_list("user_id", flat=True))


def report_ready_notifications_create(*, report_id: int) -> list[int]:
    """Tell whoever may read a report that it is ready: a link, never a figure; once per build of the report.

    The key holds the moment the build finished: a task delivered twice writes nothing new, a report asked for again
    and made again is announced again.
    """
    report = Report.objects.select_related("programme").filter(pk=report_id).first()
    if report is None or report.status != ReportStatus.READY or report.finished_at is None:
        return []
    if report.requested_by_id is not None:
        kind, params = NotificationKind.REPORT_READY, {"report": report.pk}
    else:
        kind = NotificationKind.MONTHLY_REPORT_READY
        params = {"report": report.pk, "programme": report.programme.code if report.programme else "",
                  "month": report.period_start.replace(day=1).isoformat()}
    finished = report.finished_at.isoformat()
    return _notifications_create(kind=kind, params=params, keys={
        user_id: f"report:{report.pk}:{finished}:{user_id}" for user_id in report_reader_ids(report)})


def _supervisor_scopes() -> dict[int, Q]:
    """Per active supervisor, the cases their assignments cover, as one filter."""
    scopes: dict[int, Q] = {}
    for assignment in _supervisor_assignments():
        scope = Q()
        if assignment.programme_id:
            scope &= Q(programme_id=assignment.programme_id)
        if assignment.country:
            scope &= Q(registration_country=assignment.country)
        scopes[assignment.user_id] = scopes.get(assignment.user_id, Q(pk__in=[])) | scope
    return scopes


def _approvals_waiting(scope: Q) -> dict:
    """How many cases in the scope wait for approval, and since when the oldest waits (one aggregate query)."""
    submitted = (CaseEvent.objects.filter(case_id=OuterRef("pk"), to_status=CaseStatus.PENDING_APPROVAL)
                 .order_by("-at", "-id").values("at")[:1])
    waiting = Case.objects.filter(scope, status=CaseStatus.PENDING_APPROVAL)
    return waiting.annotate(waiting_since=Coalesce(Subquery(submitted), F("updated_at"))).aggregate(
        count=Count("id"), oldest=Min("waiting_since"))


def supervisor_digest_create(*, today: date | None = None) -> list[int]:
    """Today's digest for each supervisor with cases waiting; a second run on the same day creates nothing."""
    today = today or timezone.localdate()
    now = timezone.now()
    created = []
    for user_id, scope in _supervisor_scopes().items():
        waiting = _approvals_waiting(scope)
        if not waiting["count"]:
            continue
        days = max((now - waiting["oldest"]).days, 0)
        created += _notifications_create(kind=NotificationKind.APPROVAL_DIGEST,
                                         params={"count": waiting["count"], "days": days},
                                         keys={user_id: f"digest:{today.isoformat()}:{user_id}"})
    return created


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification unless it went already; True if it was sent now.

    The row stays locked while the message goes out and `emailed_at` commits with it: a second run waits for the
    first, then finds it sent. If sending fails, nothing is marked and the task's retry sends it.
    """
    with transaction.atomic():
        notification = (Notification.objects.select_for_update(of=("self",)).select_related("recipient")
                        .get(pk=notification_id))
        recipient = notification.recipient
        if notification.emailed_at or not recipient.email or not recipient.is_active:
            return False
        with translation.override(user_language(recipient)):
            message = _email_message(notification)
        message.send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def _email_message(notification: Notification) -> EmailMessage:
    body = render_to_string("notifications/email.txt", {
        "text": notification_text(notification), "url": notification_url(notification),
    })
    return EmailMessage(subject=notification_subject(notification), body=body, to=[notification.recipient.email])


def notification_emails_send(*, notification_ids: list[int]) -> int:
    """E-mail each of these notifications that has not gone yet; how many went now."""
    return sum(notification_email_send(notification_id=pk) for pk in notification_ids)


def notification_open(*, notification: Notification) -> Notification:
    """Mark a notification the reader has opened as read."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user as read; how many were unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def break_glass_recipient_ids(case: Case) -> set[int]:
    """The case's supervisors and its programme's data-protection focal point, if active."""
    focal = (User.objects.filter(pk=case.programme.data_protection_focal_point_id, is_active=True)
             .values_list("pk", flat=True))
    return case_supervisor_ids(case) | set(focal)


def break_glass_notifications_create(*, grant_id: int) -> list[int]:
    """Tell who reviews it that someone opened a case in an emergency: the reference only, never who or why."""
    from breakglass.models import BreakGlassGrant

    grant = BreakGlassGrant.objects.select_related("case__programme").filter(pk=grant_id).first()
    if grant is None:
        return []
    user_ids = break_glass_recipient_ids(grant.case) - {grant.user_id}
    return _notifications_create(
        kind=NotificationKind.BREAK_GLASS, case=grant.case, params={"reference": grant.case.reference},
        keys={user_id: f"break-glass:{grant.pk}:{user_id}" for user_id in user_ids},
    )


def case_assigned_notifications_create(*, transfer_id: int) -> list[int]:
    """Tell the caseworker a case was given to that it is theirs: the reference only, never who or why."""
    from cases.models import CaseTransfer

    transfer = CaseTransfer.objects.select_related("case").filter(pk=transfer_id).first()
    if transfer is None or transfer.to_caseworker_id in (None, transfer.by_id):
        return []
    return _notifications_create(
        kind=NotificationKind.CASE_ASSIGNED, case=transfer.case, params={"reference": transfer.case.reference},
        keys={transfer.to_caseworker_id: f"case-assigned:{transfer.pk}:{transfer.to_caseworker_id}"},
    )


def sync_waiting_notifications_create(*, device_id: str, office_code: str, count: int, since: datetime,
                                      user_ids: set[int]) -> list[int]:
    """Tell an office's supervisors that a booth tablet has had work waiting too long: the tablet, its office, how
    many operations and since when, never whose; once per oldest operation (the key holds its time)."""
    params = {"device": device_id, "office": office_code, "count": count,
              "since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return _notifications_create(kind=NotificationKind.SYNC_WAITING, params=params, keys={
        user_id: f"sync-waiting:{device_id}:{int(since.timestamp())}:{user_id}" for user_id in user_ids})
