"""Every write of movements, bookings, escorts, travel documents and border support goes through here."""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import OfficeKind, Role
from accounts.models import Office
from audit.services import audit_actor_set
from cases.choices import CaseStatus
from cases.models import Case, Member
from cases.permissions import case_access, case_ids_visible_among, user_assignments
from outbox.services import outbox_enqueue
from cases.services import StaleVersion, case_safeguard_hold, case_transition, safeguards_unmet
from travel.choices import OPEN_FOR_BOOKING, SEAT_TAKING, BookingStatus, MovementStatus
from travel.models import BorderSupport, Escort, Movement, MovementLeg, TravelDocument
from travel.permissions import movement_for_user, movement_roles
from travel.rules import MOVEMENT_ALLOWED, MOVEMENT_GUARDS, booking_move_allowed

EDITABLE_MOVEMENT_FIELDS = ("mode", "carrier", "vehicle", "departure_place", "departure_at", "capacity", "notes")



class InvalidMovementTransition(Exception):
    def __init__(self, from_status: str, to_status: str):
        super().__init__(f"{from_status} -> {to_status}")
        self.from_status, self.to_status = from_status, to_status


def officer_countries(user) -> set[str]:
    return {a.country for a in user_assignments(user) if a.role == Role.MOVEMENT_OFFICER and a.country}


def movement_for_officer(*, movement_id: int, actor, lock: bool = True) -> Movement:
    """The movement, locked, for a movement officer of its country; 404 for anyone who may not see it."""
    movement = movement_for_user(user=actor, movement_id=movement_id)
    if Role.MOVEMENT_OFFICER not in movement_roles(actor, movement):
        raise PermissionDenied
    if lock:
        movement = Movement.objects.select_for_update().select_related("reception_centre").get(pk=movement.pk)
    audit_actor_set(actor=actor)
    return movement


def movement_errors(data: dict, *, booked: int = 0) -> dict:
    errors = {}
    if data.get("departure_office") is not None and data["departure_office"].kind == OfficeKind.RECEPTION_CENTRE:
        errors["departure_office"] = [_("Movements leave from a booth or a field office.")]
    if data.get("reception_centre") is not None and data["reception_centre"].kind != OfficeKind.RECEPTION_CENTRE:
        errors["reception_centre"] = [_("Choose a reception centre.")]
    if "capacity" in data and (data["capacity"] or 0) < max(booked, 1):
        errors["capacity"] = [_("At least %(n)s seats: that many are booked.") % {"n": max(booked, 1)}]
    if data.get("departure_at") and data["departure_at"] < timezone.now():
        errors["departure_at"] = [_("The departure is in the past.")]
    return errors


@transaction.atomic
def movement_create(*, actor, data: dict, legs: list[dict] = ()) -> Movement:
    """Plan a movement from an office of the officer's country to a reception centre."""
    office: Office = data["departure_office"]
    if office.country not in officer_countries(actor):
        raise ValidationError({"departure_office": [_("You plan movements from offices of your country only.")]})
    errors = movement_errors(data)
    errors |= legs_errors(legs, data.get("departure_at"))
    if errors:
        raise ValidationError(errors)
    audit_actor_set(actor=actor)
    movement = Movement.objects.create(created_by=actor, country=office.country, reference=f"new-{uuid.uuid4().hex[:24]}",
                                       **data)
    movement.reference = f"MOV-{office.code}-{movement.departure_at:%Y}-{movement.pk:05d}"
    movement.save(update_fields=["reference"])
    legs_replace(movement, legs)
    return movement


def legs_errors(legs, departure_at=None) -> dict:
    for leg in legs:
        if not str(leg.get("crossing_point", "")).strip() or not leg.get("expected_at"):
            return {"legs": [_("Each leg needs a crossing point and an expected time.")]}
    if departure_at and any(leg["expected_at"] < departure_at for leg in legs):
        return {"legs": [_("A leg cannot be expected before the movement departs.")]}
    return {}


def legs_replace(movement: Movement, legs) -> None:
    movement.legs.all().delete()
    MovementLeg.objects.bulk_create([MovementLeg(movement=movement, order=i, crossing_point=leg["crossing_point"],
                                                 expected_at=leg["expected_at"]) for i, leg in enumerate(legs, 1)])


@transaction.atomic
def movement_update(*, actor, movement_id: int, expected_version: int, changes: dict,
                    legs: list[dict] | None = None) -> Movement:
    movement = movement_for_officer(movement_id=movement_id, actor=actor)
    if movement.version != expected_version:
        raise StaleVersion(movement.version)
    if movement.status not in OPEN_FOR_BOOKING:
        raise ValidationError({"__all__": [_("A movement that has left or was cancelled cannot be changed.")]})
    booked = movement.bookings.filter(status__in=SEAT_TAKING).count()
    departure_at = changes.get("departure_at") or movement.departure_at
    kept_legs = list(movement.legs.values("crossing_point", "expected_at")) if legs is None else legs
    errors = movement_errors(changes, booked=booked) | legs_errors(kept_legs, departure_at)
    unknown = set(changes) - set(EDITABLE_MOVEMENT_FIELDS)
    if unknown:
        errors["__all__"] = [_("These fields cannot be changed here: %(names)s.") % {"names": ", ".join(sorted(unknown))}]
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(movement, name, value)
    movement.version += 1
    movement.save()
    if legs is not None:
        legs_replace(movement, legs)
    return movement


class AlreadyBooked(ValidationError):
    """The household already holds seats on a movement (the API answers 409, a page shows it by the field)."""

    def __init__(self):
        super().__init__({"case": [_("This household is already booked on a movement.")]})


def case_for_booking(case_id: int, actor) -> Case:
    """The case, locked after the movement (the order every booking path takes), or 404 if the actor may not see it."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case_access(actor, case) is None:
        raise Http404
    return case


@transaction.atomic
def case_book(*, actor, movement_id: int, case_id: int) -> Movement:
    """Book a whole household; the movement's row lock makes two officers racing for the last seat take turns."""
    movement = movement_for_officer(movement_id=movement_id, actor=actor)
    case = case_for_booking(case_id, actor)
    if case.status == CaseStatus.BOOKED:
        # Read under the case's lock: a second booking racing the first waits here, then is refused.
        raise AlreadyBooked()
    case_transition(case_id=case_id, to=CaseStatus.BOOKED, actor=actor,
                    note=_("Booked on %(movement)s.") % {"movement": movement.reference}, movement=movement)
    return movement


@transaction.atomic
def case_unbook(*, actor, movement_id: int, case_id: int) -> Movement:
    """Take a household off a movement before it leaves; the case is approved again and its seats free."""
    movement = movement_for_officer(movement_id=movement_id, actor=actor)
    case_for_booking(case_id, actor)
    if not movement.bookings.filter(case_id=case_id, status=BookingStatus.BOOKED).exists():
        raise Http404
    case_off_movement(movement, case_id, actor,
                      note=_("Unbooked from %(movement)s.") % {"movement": movement.reference})
    return movement


def case_off_movement(movement: Movement, case_id: int, actor, *, note: str) -> None:
    """Give the household's seats back and make it approved again, or on hold if a safeguard no longer holds:
    taking people off a movement is never refused."""
    case = Case.objects.select_for_update().get(pk=case_id)
    movement.bookings.filter(case_id=case_id, status=BookingStatus.BOOKED).update(status=BookingStatus.CANCELLED)
    if unmet := safeguards_unmet(case, actor):
        case_safeguard_hold(case=case, actor=actor, unmet=unmet)
    else:
        case_transition(case_id=case_id, to=CaseStatus.APPROVED, actor=actor, note=note)


def reception_centre_share(case: Case, movement: Movement) -> None:
    """The destination centre sees a booked household from the moment its movement is confirmed."""
    if movement.status != MovementStatus.PLANNED and case.reception_centre_id != movement.reception_centre_id:
        case.reception_centre_id = movement.reception_centre_id
        case.save(update_fields=["reception_centre", "updated_at"])


class MovementRefused(Exception):
    """The movement's move exists but its conditions do not hold (e.g. a departure days before its time)."""

    def __init__(self, unmet: list):
        super().__init__(", ".join(u.code for u in unmet))
        self.unmet = unmet


class DepartureRefused(Exception):
    """Some households boarded only in part: split them first, so nobody is listed on a bus they are not on."""

    def __init__(self, references: list[str]):
        super().__init__(", ".join(references))
        self.references = references


@transaction.atomic
def movement_transition(*, actor, movement_id: int, to: str, boarded: list[int] | None = None) -> Movement:
    """Confirm, depart (with who boarded), mark arrived, or cancel a movement, and move its cases with it."""
    movement = movement_for_officer(movement_id=movement_id, actor=actor)
    if to == movement.status:
        return movement
    move = MOVEMENT_ALLOWED.get(movement.status, {}).get(to)
    if move is None:
        raise InvalidMovementTransition(movement.status, to)
    unmet = [u for name in move.guards for u in MOVEMENT_GUARDS[name](movement)]
    if unmet:
        raise MovementRefused(unmet)
    if to == MovementStatus.DEPARTED:
        departure_record(movement, actor, set(boarded or []))
    elif to == MovementStatus.CANCELLED:
        bookings_cancel(movement, actor)
    movement.status = to
    movement.version += 1
    fields = ["status", "version", "updated_at"]
    if to == MovementStatus.DEPARTED:
        movement.departed_at = timezone.now()
        fields.append("departed_at")
    movement.save(update_fields=fields)
    if to == MovementStatus.DEPARTED:
        # The report counts who left from these rows, written with the departure (reports sit above travel).
        from reports.facts import return_facts_record

        return_facts_record(movement_id=movement.pk)
    if to == MovementStatus.CONFIRMED:
        for case in Case.objects.filter(bookings__movement=movement, bookings__status=BookingStatus.BOOKED).distinct():
            reception_centre_share(case, movement)
    if to in (MovementStatus.CONFIRMED, MovementStatus.DEPARTED):
        outbox_enqueue("notifications.tasks.movement_event_notify", movement.pk, to, actor_id=actor.pk)
    return movement


def departure_record(movement: Movement, actor, boarded: set[int]) -> None:
    """Board who boarded, mark the others as not boarding; a household a safeguard stops is held, never boarded."""
    by_case = bookings_by_case(movement)
    if set(by_case) - case_ids_visible_among(actor, [group[0].case for group in by_case.values()]):
        # Who boarded is ticked from the passenger list; households the officer does not see are not on it.
        raise ValidationError({"__all__": [_("Households you do not see are booked on this movement: an officer "
                                             "who sees every household records its departure.")]})
    partial = [group[0].case.reference for group in by_case.values()
               if 0 < sum(b.member_id in boarded for b in group) < len(group)]
    if partial:
        raise DepartureRefused(partial)
    now = timezone.now()
    for case_id, group in by_case.items():
        case = Case.objects.select_for_update().get(pk=case_id)
        on_board = group[0].member_id in boarded
        if on_board and (unmet := safeguards_unmet(case, actor, movement=movement)):
            case_safeguard_hold(case=case, actor=actor, unmet=unmet)
            continue
        for booking in group:
            booking_board(booking, on_board=on_board, at=now)
        case_transition(case_id=case_id, to=CaseStatus.IN_TRANSIT if on_board else CaseStatus.NO_SHOW, actor=actor,
                        note=_("Left on %(movement)s.") % {"movement": movement.reference} if on_board
                        else _("Did not board %(movement)s.") % {"movement": movement.reference})


def bookings_by_case(movement: Movement) -> dict[int, list]:
    by_case: dict[int, list] = {}
    for booking in movement.bookings.filter(status=BookingStatus.BOOKED).select_related("case").order_by("id"):
        by_case.setdefault(booking.case_id, []).append(booking)
    return by_case


def booking_board(booking, *, on_board: bool, at) -> None:
    to = BookingStatus.BOARDED if on_board else BookingStatus.NO_SHOW
    if not booking_move_allowed(booking.status, to):
        raise InvalidMovementTransition(booking.status, to)
    booking.status, booking.boarded_at = to, at if on_board else None
    booking.save(update_fields=["status", "boarded_at"])


def bookings_cancel(movement: Movement, actor) -> None:
    case_ids = sorted(set(movement.bookings.filter(status=BookingStatus.BOOKED).values_list("case_id", flat=True)))
    for case_id in case_ids:
        case_off_movement(movement, case_id, actor,
                          note=_("Movement %(movement)s was cancelled.") % {"movement": movement.reference})


@transaction.atomic
def escort_add(*, actor, movement_id: int, data: dict, member_ids: list[int] = ()) -> Escort:
    movement = movement_for_officer(movement_id=movement_id, actor=actor)
    if movement.status not in OPEN_FOR_BOOKING:
        raise ValidationError({"__all__": [_("This movement has left or was cancelled.")]})
    if not str(data.get("name", "")).strip():
        raise ValidationError({"name": [_("Name the escort.")]})
    members = list(Member.objects.filter(pk__in=member_ids, bookings__movement=movement,
                                         bookings__status__in=SEAT_TAKING).distinct())
    if len(members) != len(set(member_ids)):
        raise ValidationError({"members": [_("An escort escorts only people booked on this movement.")]})
    escort = Escort.objects.create(movement=movement, **data)
    escort.members.set(members)
    return escort


@transaction.atomic
def travel_document_record(*, actor, member_id: int, data: dict) -> TravelDocument:
    """Record or follow a member's passport or consular document (movement officers and the case team)."""
    member = Member.objects.filter(pk=member_id).select_related("case").first()
    access = case_access(actor, member.case) if member else None
    if access is None:
        raise Http404
    if not access.roles & {Role.MOVEMENT_OFFICER, Role.CASEWORKER, Role.SUPERVISOR}:
        raise PermissionDenied
    errors = travel_document_errors(data) | travel_document_number_errors(member, data)
    if errors:
        raise ValidationError(errors)
    audit_actor_set(actor=actor)
    return TravelDocument.objects.create(member=member, recorded_by=actor, **data)


def travel_document_number_errors(member: Member, data: dict) -> dict:
    """A number held by a traveller of another active case is refused: one document, one person, one return."""
    from cases.identity import travel_document_holders

    if data.get("status") == "cancelled" or not travel_document_holders(str(data.get("number", "")),
                                                                         exclude_case_id=member.case_id):
        return {}
    return {"number": [_("This document number is already held by a traveller of another active case. If it is "
                         "the same person, link the records and withdraw one of the cases.")]}


def travel_document_errors(data: dict) -> dict:
    errors = {}
    today = timezone.localdate()
    for name in ("requested_on", "issued_on"):
        if data.get(name) and data[name] > today:
            errors[name] = [_("This date is in the future.")]
    if data.get("issued_on") and data.get("expires_on") and data["expires_on"] <= data["issued_on"]:
        errors["expires_on"] = [_("A document expires after it is issued.")]
    if data.get("status") == "ready" and not str(data.get("number", "")).strip():
        errors["number"] = [_("A document is ready only with its number.")]
    return errors


@transaction.atomic
def border_support_record(*, actor, movement_id: int, data: dict) -> BorderSupport:
    """Counts of food or psychosocial support given at a crossing (escorts record them on the way)."""
    movement = movement_for_officer(movement_id=movement_id, actor=actor, lock=False)
    if movement.status not in (MovementStatus.CONFIRMED, MovementStatus.DEPARTED, MovementStatus.ARRIVED):
        raise ValidationError({"__all__": [_("Support is recorded once the movement is confirmed.")]})
    if data.get("given_at") and data["given_at"] > timezone.now():
        raise ValidationError({"given_at": [_("This time is in the future.")]})
    if not str(data.get("crossing_point", "")).strip():
        raise ValidationError({"crossing_point": [_("Name the crossing point.")]})
    return BorderSupport.objects.create(movement=movement, recorded_by=actor, **data)
