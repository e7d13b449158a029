"""What must be true before a household is booked onto a movement, as guards of the case lifecycle.

Booking, departure and unbooking go through travel.services, which pass the movement to the guards; the same moves
asked for anywhere else (the case transitions API, the case page) are refused with a code that says where to go.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.choices import CaseStatus
from cases.transitions import Unmet, effect, guard
from screening.choices import FitnessOutcome
from screening.rules import is_adult
from travel.choices import OPEN_FOR_BOOKING, SEAT_TAKING, BookingStatus, EscortKind, MovementMode, TravelDocumentStatus

MESSAGES = {
    "movement_missing": _("Book the case from a movement."),
    "departure_only": _("Cases leave with their movement: record the departure on the movement."),
    "unbook_only": _("Unbook the case from its movement."),
    "movement_closed": _("This movement no longer takes bookings."),
    "capacity_exceeded": _("Not enough seats: %(needed)s needed, %(free)s free."),
    "reception_centre_mismatch": _("The movement goes to %(centre)s, not to the case's country of return."),
    "travel_document_missing": _("%(name)s has no travel document marked ready and valid on the day of departure."),
    "fitness_missing": _("%(name)s needs medical attention and has no fitness-to-travel assessment."),
    "unfit_to_travel": _("%(name)s is not fit to travel."),
    "medical_escort_missing": _("%(name)s may travel only with a medical escort, and the movement has none."),
    "child_escort_missing": _("A child travels in this household and the movement has no child escort."),
    "children_fly_only": _("In this programme children travel only by flight."),
    "protection_flag_open": _("A member fears return: the protection flag is open."),
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
    if member.needs_medical_attention:
        fitness = getattr(member, "fitness", None)
        if fitness is None:
            found.append(unmet("fitness_missing", member))
        elif fitness.outcome == FitnessOutcome.UNFIT:
            found.append(unmet("unfit_to_travel", member))
        elif fitness.outcome == FitnessOutcome.FIT_WITH_ESCORT and EscortKind.MEDICAL not in escort_kinds:
            found.append(unmet("medical_escort_missing", member))
    return found


def children_unmet(case, movement, members, escort_kinds: set) -> list[Unmet]:
    if all(is_adult(m) for m in members):
        return []
    found = []
    if EscortKind.CHILD not in escort_kinds:
        found.append(unmet("child_escort_missing"))
    if case.programme.children_fly_only and movement.mode != MovementMode.FLIGHT:
        found.append(unmet("children_fly_only"))
    return found


@guard(CaseStatus.BOOKED)
def booking_guard(case, actor, extra) -> list[Unmet]:
    movement = extra.get("movement")
    if movement is None:
        return [unmet("movement_missing")]
    members = list(case.members.select_related("fitness").prefetch_related("travel_documents"))
    escort_kinds = set(movement.escorts.values_list("kind", flat=True))
    found = [unmet("protection_flag_open")] if case.has_protection_flag else []
    found += movement_unmet(case, movement, members)
    for member in members:
        found += member_travel_unmet(member, movement, escort_kinds)
    return found + children_unmet(case, movement, members, escort_kinds)


@guard(CaseStatus.IN_TRANSIT, CaseStatus.NO_SHOW)
def departure_guard(case, actor, extra) -> list[Unmet]:
    return [] if extra.get("departure") else [unmet("departure_only")]


@guard(CaseStatus.APPROVED)
def unbooking_guard(case, actor, extra) -> list[Unmet]:
    if case.status == CaseStatus.BOOKED and not extra.get("unbook"):
        return [unmet("unbook_only")]
    return []


@effect(CaseStatus.BOOKED)
def seats_assign(case, actor, extra) -> None:
    """Give each member the lowest free seat; the reception centre sees the case once the movement is confirmed."""
    from travel.models import Booking
    from travel.services import reception_centre_share

    movement = extra["movement"]
    taken = set(movement.bookings.filter(status__in=SEAT_TAKING).values_list("seat", flat=True))
    free = (seat for seat in range(1, movement.capacity + 1) if seat not in taken)
    Booking.objects.bulk_create([Booking(movement=movement, case=case, member=member, seat=next(free),
                                         booked_by=actor) for member in case.members.order_by("id")])
    reception_centre_share(case, movement)


@effect(CaseStatus.APPROVED, CaseStatus.ON_HOLD, CaseStatus.WITHDRAWN)
def seats_release(case, actor, extra) -> None:
    """Leaving the booked status gives the household's seats back."""
    from travel.models import Booking

    Booking.objects.filter(case=case, status=BookingStatus.BOOKED).update(status=BookingStatus.CANCELLED)
