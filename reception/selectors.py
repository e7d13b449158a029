"""Reads of the reception centre's pages: the arrivals board."""

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils import timezone

from cases.people import AdultBornBy
from reception.models import CheckIn
from reception.services import CHECK_IN_STATUSES
from travel.choices import SEAT_TAKING, MovementStatus
from travel.models import Booking, MovementLeg
from travel.permissions import movements_visible_to

ARRIVAL_STATUSES = [MovementStatus.DEPARTED, MovementStatus.CONFIRMED, MovementStatus.ARRIVED]
RECENT_ARRIVALS = timedelta(days=3)
ARRIVALS_PER_STATUS = 100  # per centre and status, soonest departure first


def arrivals_for_user(*, user, centres) -> list[dict]:
    """The movements coming to `centres` (or arrived there lately) with their counts, in two queries whatever
    their number: counts only, the board shows no name, so nothing is written to the audit log."""
    movements = arrival_movements(user, centres)
    counts = arrival_counts([m.pk for m in movements])
    rows = [{"movement": m, "summary": counts.get(m.pk, NO_PASSENGERS)["summary"],
             "checked_in": counts.get(m.pk, NO_PASSENGERS)["checked_in"], "expected_at": m.expected_at,
             "can_check_in": m.status in CHECK_IN_STATUSES} for m in movements]
    order = {status: i for i, status in enumerate(ARRIVAL_STATUSES)}
    rows.sort(key=lambda r: (order[r["movement"].status], r["expected_at"]))
    return rows


def arrival_movements(user, centres) -> list:
    """The visible movements to the centres, each with when it is expected (its last leg, else its departure).

    Arrived ones leave the board after RECENT_ARRIVALS; that is filtered before each centre's and status's cut,
    so the oldest arrivals never push the recent ones off it."""
    last_leg = MovementLeg.objects.filter(movement=OuterRef("pk")).order_by("-order").values("expected_at")[:1]
    queryset = (movements_visible_to(user).filter(reception_centre__in=centres, status__in=ARRIVAL_STATUSES)
                .select_related("departure_office", "reception_centre")
                .annotate(expected_at=Coalesce(Subquery(last_leg), F("departure_at")))
                .exclude(status=MovementStatus.ARRIVED, expected_at__lt=timezone.now() - RECENT_ARRIVALS)
                .annotate(place=Window(RowNumber(), partition_by=[F("reception_centre_id"), F("status")],
                                       order_by=[F("departure_at").asc(), F("id").asc()])))
    return list(queryset.filter(place__lte=ARRIVALS_PER_STATUS))


NO_PASSENGERS = {"summary": {"passengers": 0, "children": 0, "unaccompanied_children": 0,
                             "needs_medical_attention": 0}, "checked_in": 0}


def arrival_counts(movement_ids: list[int]) -> dict[int, dict]:
    """Per movement: passengers on board, children on the day of travel, unaccompanied children, people needing
    medical attention (a flag only), and check-ins, as travel.selectors.movement_summary counts them."""
    on_board = Q(status__in=SEAT_TAKING)
    travel_day = TruncDate("movement__departure_at", tzinfo=timezone.get_current_timezone())
    rows = (Booking.objects.filter(movement_id__in=movement_ids).order_by().values("movement_id").annotate(
        passengers=Count("id", filter=on_board),
        children=Count("id", filter=on_board & Q(member__date_of_birth__gt=AdultBornBy(travel_day))),
        unaccompanied_children=Count("id", filter=on_board & Q(member__is_unaccompanied_child=True)),
        needs_medical_attention=Count("id", filter=on_board & Q(member__needs_medical_attention=True)),
        # A probe of the check-in's unique index per booking: a join made the planner hash every check-in ever.
        checked_in=Count("id", filter=Q(Exists(CheckIn.objects.filter(booking_id=OuterRef("id")))))))
    return {row.pop("movement_id"): {"checked_in": row.pop("checked_in"), "summary": row} for row in rows}


FOLLOW_UP_TABS = ("due", "overdue", "call_back")
QUEUE_LIMIT = 200


def follow_up_queue(*, user, centres, tab: str, today=None):
    """The open follow-ups of households bound for the user's centres: due, overdue, or to call back today."""
    from cases.permissions import cases_visible_to
    from reception.choices import FollowUpStatus
    from reception.services import follow_ups_open

    today = today or timezone.localdate()
    visible = cases_visible_to(user).filter(reception_centre__in=centres)
    queue = follow_ups_open().filter(member__case__in=visible)
    if tab == "overdue":
        queue = queue.filter(status=FollowUpStatus.OVERDUE)
    elif tab == "call_back":
        queue = queue.filter(call_back_on__lte=today)
    else:
        queue = queue.filter(status=FollowUpStatus.DUE)
    return (queue.select_related("member", "member__case", "step").order_by("closes_on", "due_on", "id"))


def follow_up_queue_counts(*, user, centres, today=None) -> dict[str, int]:
    return {tab: follow_up_queue(user=user, centres=centres, tab=tab, today=today)[:QUEUE_LIMIT + 1].count()
            for tab in FOLLOW_UP_TABS}


def safeguarding_tasks_of(user, *, open_only: bool = True):
    """The safeguarding tasks assigned to the user, soonest due first."""
    from reception.models import SafeguardingTask

    tasks = SafeguardingTask.objects.filter(assignee=user).select_related("flag", "flag__member",
                                                                          "flag__member__case")
    return tasks.filter(closed_at__isnull=True) if open_only else tasks
