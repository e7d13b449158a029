"""What booking, departure and unbooking need, as guards of the case and movement lifecycles.

Booking, departure and unbooking are made by travel.services. The guards read the facts those services wrote
(the bookings boarded, the seats given back): the same move asked for anywhere else (the case transitions API, the
case page) finds them missing and is refused with a code that says where to go.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from cases.people import is_child
from cases.transitions import Move, MoveContext, Unmet, effect, guard
from screening.choices import FitnessOutcome
from travel.choices import OPEN_FOR_BOOKING, SEAT_TAKING, BookingStatus, EscortKind, MovementMode, MovementStatus
from travel.choices import TravelDocumentStatus

MESSAGES = {
    "movement_missing": _("Book the case from a movement."),
    "departure_only": _("Cases leave with their movement: record the departure on the movement."),
    "did_not_board_only": _("A household is marked as not boarding when its movement's departure is recorded."),
    "unbook_only": _("Unbook the case from its movement."),
    "movement_closed": _("This movement no longer takes bookings."),
    "capacity_exceeded": _("Not enough seats: %(needed)s needed, %(free)s free."),
    "reception_centre_mismatch": _("The movement goes to %(centre)s, not to the case's country of return."),
    "travel_document_missing": _("%(name)s has no travel document marked ready and valid on the day of departure."),
    "medical_escort_missing": _("%(name)s may travel only with a medical escort, and the movement has none."),
    "child_escort_missing": _("A child travels in this household and the movement has no child escort."),
    "children_fly_only": _("In this programme children travel only by flight."),
    "departure_too_early": _("The movement is scheduled to leave at %(time)s: a departure is recorded at most "
                             "%(minutes)s minutes before that."),
}


def unmet(code: str, member=None, **context) -> Unmet:
    params = {"name": member.full_name, **context} if member is not None else context
    return Unmet(code=code, message=MESSAGES[code] % params if params else MESSAGES[code],
                 member_id=member.pk if member is not None else None, context=context)


def seats_taken(movement) -> int:
    return movement.bookings.filter(status__in=SEAT_TAKING).count()


def movement_unmet(case, movement, members) -> list[Unmet]:
    found = []
    if movement.status not in OPEN_FOR_BOOKING:
        found.append(unmet("movement_closed"))
    free = movement.capacity - seats_taken(movement)
    if len(members) > free:
        found.append(unmet("capacity_exceeded", needed=len(members), free=max(free, 0)))
    if movement.reception_centre.country != case.destination_country:
        found.append(unmet("reception_centre_mismatch", centre=movement.reception_centre.name))
    return found


def document_ready(member, departure_day) -> bool:
    return any(d.status == TravelDocumentStatus.READY and (d.expires_on is None or d.expires_on >= departure_day)
               for d in member.travel_documents.all())


def member_travel_unmet(member, movement, escort_kinds: set) -> list[Unmet]:
    found = []
    if not document_ready(member, timezone.localtime(movement.departure_at).date()):
        found.append(unmet("travel_document_missing", member))
    fitness = getattr(member, "fitness", None) if member.needs_medical_attention else None
    if fitness is not None and fitness.outcome == FitnessOutcome.FIT_WITH_ESCORT \
            and EscortKind.MEDICAL not in escort_kinds:
        found.append(unmet("medical_escort_missing", member))
    return found


def children_unmet(case, movement, members, escort_kinds: set) -> list[Unmet]:
    day = timezone.localtime(movement.departure_at).date()
    if not any(is_child(m, on=day) for m in members):
        return []
    found = []
    if EscortKind.CHILD not in escort_kinds:
        found.append(unmet("child_escort_missing"))
    if case.programme.children_fly_only and movement.mode != MovementMode.FLIGHT:
        found.append(unmet("children_fly_only"))
    return found


@guard("movement_chosen")
def movement_chosen(context: MoveContext) -> list[Unmet]:
    return [] if context.movement is not None else [unmet("movement_missing")]


@guard("bookable_on_movement")
def bookable_on_movement(context: MoveContext) -> list[Unmet]:
    """Seats, destination, documents valid on the day, escorts the household needs."""
    movement = context.movement
    if movement is None:
        return []
    case = context.case
    members = list(case.members.select_related("fitness").prefetch_related("travel_documents").order_by("id"))
    escort_kinds = set(movement.escorts.values_list("kind", flat=True))
    found = movement_unmet(case, movement, members)
    for member in members:
        found += member_travel_unmet(member, movement, escort_kinds)
    return found + children_unmet(case, movement, members, escort_kinds)


@guard("boarded_on_departure")
def boarded_on_departure(context: MoveContext) -> list[Unmet]:
    """Everyone in the household boarded a movement whose departure is being recorded (travel.services)."""
    boarded = [b for b in context.seats if b.status == BookingStatus.BOARDED
               and b.movement.status in (MovementStatus.CONFIRMED, MovementStatus.DEPARTED)]
    member_ids = {m.pk for m in context.members}
    return [] if member_ids and {b.member_id for b in boarded} >= member_ids else [unmet("departure_only")]


@guard("did_not_board")
def did_not_board(context: MoveContext) -> list[Unmet]:
    """The household's seats were marked "did not board" at its movement's departure."""
    marked = context.case.bookings.filter(status=BookingStatus.NO_SHOW,
                                          movement__status=MovementStatus.CONFIRMED).exists()
    return [] if marked and not context.seats else [unmet("did_not_board_only")]


@guard("seats_released")
def seats_released(context: MoveContext) -> list[Unmet]:
    return [unmet("unbook_only")] if context.seats else []


@effect("seats_assign")
def seats_assign(context: MoveContext) -> None:
    """Give each member the lowest free seat; the reception centre sees the case once the movement is confirmed."""
    from travel.models import Booking
    from travel.services import reception_centre_share

    movement, case = context.movement, context.case
    taken = set(movement.bookings.filter(status__in=SEAT_TAKING).values_list("seat", flat=True))
    free = (seat for seat in range(1, movement.capacity + 1) if seat not in taken)
    Booking.objects.bulk_create([Booking(movement=movement, case=case, member=member, seat=next(free),
                                         booked_by=context.actor) for member in case.members.order_by("id")])
    reception_centre_share(case, movement)


@effect("seats_release")
def seats_release(context: MoveContext) -> None:
    """Leaving the booked status gives the household's seats back."""
    from travel.models import Booking

    Booking.objects.filter(case=context.case, status=BookingStatus.BOOKED).update(status=BookingStatus.CANCELLED)


@effect("reception_access_remove")
def reception_access_remove(context: MoveContext) -> None:
    """A household no longer on its way is no longer expected: the centre it was going to stops seeing it."""
    case = context.case
    if case.reception_centre_id is not None:
        case.reception_centre = None
        case.save(update_fields=["reception_centre", "updated_at"])


# -- The movement's own lifecycle -------------------------------------------------------------------------------------

MOVEMENT_TEAM = frozenset({Role.MOVEMENT_OFFICER})
MOVEMENT_ALLOWED: dict[str, dict[str, Move]] = {
    MovementStatus.PLANNED: {MovementStatus.CONFIRMED: Move(MOVEMENT_TEAM),
                             MovementStatus.CANCELLED: Move(MOVEMENT_TEAM, confirm=True)},
    MovementStatus.CONFIRMED: {MovementStatus.DEPARTED: Move(MOVEMENT_TEAM, guards=("departure_time_reached",),
                                                             confirm=True),
                               MovementStatus.CANCELLED: Move(MOVEMENT_TEAM, confirm=True)},
    MovementStatus.DEPARTED: {MovementStatus.ARRIVED: Move(MOVEMENT_TEAM)},
}
MOVEMENT_GUARDS = {}


def departure_early_tolerance() -> timedelta:
    return timedelta(minutes=settings.AVR_DEPARTURE_EARLY_MINUTES)


def departure_time_reached(movement, now=None) -> list[Unmet]:
    """A departure is recorded when the vehicle leaves, not days before (a small tolerance for early boarding)."""
    now = now or timezone.now()
    if movement.departure_at - now <= departure_early_tolerance():
        return []
    when = formats.date_format(timezone.localtime(movement.departure_at), "SHORT_DATETIME_FORMAT")
    return [unmet("departure_too_early", time=when, minutes=settings.AVR_DEPARTURE_EARLY_MINUTES)]


MOVEMENT_GUARDS["departure_time_reached"] = departure_time_reached

# -- A booking's lifecycle: a seat is taken, then boarded, not boarded or given back; nothing comes after ----------

BOOKING_ALLOWED = {
    BookingStatus.BOOKED: {BookingStatus.BOARDED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED},
}


def booking_move_allowed(from_status: str, to_status: str) -> bool:
    return to_status in BOOKING_ALLOWED.get(from_status, set())
