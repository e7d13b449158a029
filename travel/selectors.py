"""Reading movements: lists for the people who may see them, passengers with what they may see of them."""

from django.db.models import Count, Prefetch, Q

from audit.models import AuditAction
from audit.services import audit_record
from cases.choices import CaseStatus
from django.utils import timezone

from cases.people import is_child
from cases.models import Case, Member
from cases.fields import FieldReader, readable
from cases.permissions import case_access_batch, case_ids_visible_among, cases_visible_to
from travel.choices import SEAT_TAKING
from travel.models import Booking, Escort, Movement, TravelDocument
from travel.permissions import movement_for_user, movements_visible_to


def movements_for_user(*, user, filters: dict, limit: int = 100,
                       with_legs_and_escorts: bool = False) -> list[Movement]:
    """A page of the movements the user may see, soonest departure first, each with its seats taken; in a fixed
    number of queries (the seats are counted for the page's movements only, never before the limit)."""
    queryset = movements_visible_to(user).select_related("departure_office", "reception_centre")
    if filters.get("reception_centre"):
        queryset = queryset.filter(reception_centre__code=filters["reception_centre"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("departure_office"):
        queryset = queryset.filter(departure_office__code=filters["departure_office"])
    if with_legs_and_escorts:
        escorted = Prefetch("members", queryset=Member.objects.only("id"))
        queryset = queryset.prefetch_related("legs", Prefetch("escorts", queryset=Escort.objects.prefetch_related(
            escorted)))
    movements = list(queryset.order_by("departure_at", "id")[:limit])
    seats = seats_taken_of([m.pk for m in movements])
    for movement in movements:
        movement.seats_taken = seats.get(movement.pk, 0)
    return movements


def seats_taken_of(movement_ids: list[int]) -> dict[int, int]:
    if not movement_ids:
        return {}
    rows = (Booking.objects.filter(movement_id__in=movement_ids, status__in=SEAT_TAKING).order_by()
            .values("movement_id").annotate(n=Count("id")))
    return {row["movement_id"]: row["n"] for row in rows}


def movement_get(*, user, movement_id, request=None) -> Movement:
    """One movement; the passengers it shows are audited as a list of the cases on board."""
    movement = movement_for_user(user=user, movement_id=movement_id)
    movement.seats_taken = movement.bookings.filter(status__in=SEAT_TAKING).count()
    return movement


def passengers(movement: Movement, *, request=None, user=None) -> list[Booking]:
    """Everyone booked (or who boarded or did not), by seat, each with whether they are a child."""
    bookings = list(movement.bookings.exclude(status="cancelled").select_related("member", "case")
                    .order_by("seat"))
    day = timezone.localtime(movement.departure_at).date()
    for booking in bookings:
        booking.is_child = is_child(booking.member, on=day)
    case_ids = sorted({b.case_id for b in bookings})
    if case_ids and user is not None:
        audit_record(actor=user, action=AuditAction.LIST, request=request, object_type="cases.case",
                     object_ids=case_ids)
    return bookings


def passengers_for(*, user, movement: Movement, request=None) -> tuple[list[Booking], list[Booking]]:
    """(the passengers of the households the user may see, everyone): each household resolved through the case
    access rule, never the movement's country; the shown ones carry their `access` and are audited."""
    everyone = passengers(movement)
    cases = list({b.case_id: b.case for b in everyone}.values())
    access = case_access_batch(user, [c for c in cases if c.pk in case_ids_visible_among(user, cases)])
    shown = [b for b in everyone if b.case_id in access]
    for booking in shown:
        booking.access = access[booking.case_id]
        booking.fields = FieldReader(booking.access)
    if access:
        audit_record(actor=user, action=AuditAction.LIST, request=request, object_type="cases.case",
                     object_ids=sorted(access))
    return shown, everyone


def movement_summary(movement: Movement, bookings: list[Booking]) -> dict:
    """Counts for the reception centre: passengers, children, people needing medical attention (a flag only)."""
    on_board = [b for b in bookings if b.status in SEAT_TAKING]
    return {"passengers": len(on_board), "children": sum(b.is_child for b in on_board),
            "unaccompanied_children": sum(b.member.is_unaccompanied_child for b in on_board),
            "needs_medical_attention": sum(b.member.needs_medical_attention for b in on_board)}


def member_for_travel_read(*, user, member_id, request=None):
    """A member whose travel fields the user may read (through the case's rule), else 404."""
    from django.http import Http404

    from cases.models import Member
    from cases.selectors import case_get_for_user

    member = Member.objects.filter(pk=member_id).only("case_id").first()
    if member is None:
        raise Http404
    _case, access = case_get_for_user(user=user, case_id=member.case_id, request=request)
    if not readable(access, "travel.TravelDocument.number"):
        raise Http404
    return Member.objects.get(pk=member_id)


BOOKABLE_SHOWN = 200


def bookable_cases(user, movement, query: str) -> list[Case]:
    """Approved households the officer may see, those going to the movement's country first, then the oldest."""
    cases = cases_visible_to(user).filter(status=CaseStatus.APPROVED)
    query = query.strip()
    if query:
        cases = cases.filter(Q(reference__icontains=query) | Q(members__given_names__icontains=query)
                             | Q(members__family_names__icontains=query)).distinct()
    principals = Prefetch("members", queryset=Member.objects.filter(relationship="principal"), to_attr="principals")
    cases = cases.annotate(member_count=Count("members", distinct=True)).prefetch_related(principals)
    going_there = movement.reception_centre.country
    ordered = sorted(cases.order_by("id")[:BOOKABLE_SHOWN], key=lambda c: c.destination_country != going_there)
    for case in ordered:
        case.principal_name = case.principals[0].full_name if case.principals else ""
        case.goes_there = case.destination_country == going_there
    return ordered


def case_documents(case):
    return TravelDocument.objects.filter(member__case=case).order_by("member_id", "-recorded_at", "-id")


def households_held(movement: Movement, user) -> list[Case]:
    """Households booked on this movement and put on hold since (a late fear of return, a supervisor's hold), among
    those the user may see: references and head counts only, never why."""
    from cases.choices import CaseStatus
    from cases.permissions import cases_visible_to

    held = cases_visible_to(user, Case.objects.filter(status=CaseStatus.ON_HOLD, bookings__movement=movement,
                                                      bookings__status="cancelled").distinct())
    return list(Case.objects.filter(pk__in=held.values("pk"))
                .annotate(people=Count("bookings__member", distinct=True, filter=Q(bookings__movement=movement)))
                .order_by("reference").only("id", "reference"))
