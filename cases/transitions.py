"""The case lifecycle as data: `ALLOWED[from][to] = Move(roles, guards, effects)`.

Guards and effects are named here and written by the stage that owns the facts they look at (screening: approval;
travel: booking and departure; reception: arrival and closure), so this module imports no stage above it and the
table reads whole in one place. A guard receives a `MoveContext` that `cases.services.case_transition` builds from
the database (the movement and its bookings, the check-ins, the day of travel) — never a flag from the caller. The
buttons of the case page are derived from the same table (`cases.selectors.case_next_steps_for_user`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.utils import timezone

from accounts.choices import Role
from cases.choices import CaseStatus as S

CASE_TEAM = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR})
MOVEMENT = frozenset({Role.MOVEMENT_OFFICER})
RECEPTION = frozenset({Role.RECEPTION_STAFF})

# What must hold before every step towards a return (to pending_approval, approved, booked, in_transit, and every
# way back to approved): the programme's promise, checked on the facts of the day of travel, at every door.
SAFEGUARDS = ("birth_dates_known", "protection_flag_clear", "declarations_signed", "children_decided",
              "fit_to_travel", "one_active_return")
FORWARD = frozenset({S.PENDING_APPROVAL, S.APPROVED, S.BOOKED, S.IN_TRANSIT})
# Cases in these statuses are put on hold at once when a safeguard stops holding (a late fear of return, a
# withdrawn declaration, a birth date corrected into childhood): they are the ones about to travel.
HELD_WHEN_UNSAFE = frozenset({S.APPROVED, S.BOOKED})


@dataclass(frozen=True)
class Move:
    """One allowed move: who may make it, what must hold, what follows in the same transaction."""

    roles: frozenset
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    note: bool = False       # the user must say why
    confirm: bool = False    # cannot be undone: the page asks before it is made
    offered: bool = True     # a button of the case page; False: made on the movement or reception pages

    def all_guards(self, to: str) -> tuple[str, ...]:
        return self.guards + (SAFEGUARDS if to in FORWARD else ())


def _withdrawal(releases_seats: bool = False) -> Move:
    effects = ("seats_release", "reception_access_remove") if releases_seats else ()
    return Move(CASE_TEAM, effects=effects, note=True, confirm=True)


ALLOWED: dict[str, dict[str, Move]] = {
    S.REGISTERED: {S.SCREENING: Move(CASE_TEAM), S.WITHDRAWN: _withdrawal()},
    S.SCREENING: {
        S.PENDING_APPROVAL: Move(CASE_TEAM, guards=("submission_ready",)),
        # Non-refoulement: a person who fears return leaves the programme for the asylum authority or UNHCR.
        S.REFERRED_OUT: Move(CASE_TEAM, guards=("protection_flag_open", "referral_recipient_chosen"),
                             effects=("protection_referral_record",), note=True, confirm=True),
        S.WITHDRAWN: _withdrawal(),
    },
    S.PENDING_APPROVAL: {
        S.APPROVED: Move(SUPERVISORS, guards=("four_eyes", "submission_ready")),
        S.REJECTED: Move(SUPERVISORS, effects=("return_to_screening",), note=True),
        S.REFERRED_OUT: Move(CASE_TEAM, guards=("protection_flag_open", "referral_recipient_chosen"),
                             effects=("protection_referral_record",), note=True, confirm=True),
        S.WITHDRAWN: _withdrawal(),
    },
    S.REJECTED: {S.SCREENING: Move(CASE_TEAM), S.WITHDRAWN: _withdrawal()},
    S.APPROVED: {
        S.BOOKED: Move(MOVEMENT, guards=("movement_chosen", "bookable_on_movement", "travel_document_unique"),
                       effects=("seats_assign",), offered=False),
        S.ON_HOLD: Move(SUPERVISORS, note=True),
        S.WITHDRAWN: _withdrawal(),
    },
    S.BOOKED: {
        S.APPROVED: Move(MOVEMENT, guards=("seats_released",), effects=("reception_access_remove",), offered=False),
        S.IN_TRANSIT: Move(MOVEMENT, guards=("boarded_on_departure",), offered=False),
        S.NO_SHOW: Move(MOVEMENT, guards=("did_not_board",), effects=("reception_access_remove",), offered=False),
        S.ON_HOLD: Move(SUPERVISORS, effects=("seats_release", "reception_access_remove"), note=True),
        S.WITHDRAWN: _withdrawal(releases_seats=True),
    },
    S.ON_HOLD: {S.APPROVED: Move(SUPERVISORS), S.WITHDRAWN: _withdrawal()},
    S.NO_SHOW: {S.APPROVED: Move(MOVEMENT | CASE_TEAM), S.WITHDRAWN: _withdrawal()},
    S.IN_TRANSIT: {S.ARRIVED: Move(RECEPTION, guards=("all_checked_in",), effects=("follow_ups_schedule",),
                                   offered=False)},
    S.ARRIVED: {S.CLOSED: Move(SUPERVISORS | RECEPTION, guards=("closure_reason_given",),
                               effects=("closure_reason_record",), confirm=True)},
}


def move_for(from_status: str, to_status: str) -> Move | None:
    return ALLOWED.get(from_status, {}).get(to_status)


def allowed_targets(status: str) -> dict[str, Move]:
    return ALLOWED.get(status, {})


@dataclass(frozen=True)
class Unmet:
    """One condition a move needs and the case does not meet: a stable code, a message, the member if any."""

    code: str
    message: str
    member_id: int | None = None
    context: dict = field(default_factory=dict)
    # The field group a reader needs to be told this condition (its message states a fact of that group).
    field_group: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "member": self.member_id}


@dataclass
class MoveContext:
    """What a guard may look at: the case (locked), who moves it, and facts read from the database.

    `choices` are what the user chose for this move (where a person is referred, why a case is closed); `movement`
    is the movement a booking is made on, locked by travel.services. Nothing here says that a condition holds.
    """

    case: object
    actor: object
    to: str
    note: str = ""
    choices: Mapping = field(default_factory=dict)
    movement: object = None

    @cached_property
    def seats(self) -> list:
        """The household's bookings that hold a seat (booked or boarded), with their movements."""
        from travel.choices import SEAT_TAKING

        return list(self.case.bookings.filter(status__in=SEAT_TAKING).select_related("movement"))

    @cached_property
    def travel_day(self) -> date:
        """The day the household travels: the movement's (being booked, or booked), else today."""
        movement = self.movement or next((b.movement for b in self.seats), None)
        return timezone.localtime(movement.departure_at).date() if movement else timezone.localdate()

    @cached_property
    def members(self) -> list:
        from cases.models import Member

        return list(Member.objects.filter(case=self.case).order_by("id"))


def travel_day_of(case) -> date:
    """The day the household travels (its movement's departure), or today while it is not booked."""
    return MoveContext(case=case, actor=None, to=case.status).travel_day


# name -> check(context) -> list[Unmet]; `hides` guards keep a move off the page when they fail (approving one's own
# submission, referring out with no protection flag): the user could not make it, whatever they did next.
# `choice` guards judge what the user picks with the button (where to refer, why to close): not judged before.
GUARDS: dict[str, Callable] = {}
HIDING_GUARDS: set[str] = set()
CHOICE_GUARDS: set[str] = set()
EFFECTS: dict[str, Callable] = {}


def guard(name: str, *, hides: bool = False, choice: bool = False):
    def register(check: Callable) -> Callable:
        GUARDS[name] = check
        if hides:
            HIDING_GUARDS.add(name)
        if choice:
            CHOICE_GUARDS.add(name)
        return check
    return register


def next_moves(case, actor, roles: frozenset) -> list[tuple[str, Move, list[Unmet]]]:
    """The moves to offer on the case page: the user's roles may make them, no hiding guard fails; each with the
    conditions still missing (the button is shown, and says what is missing)."""
    offered = []
    for to, move in allowed_targets(case.status).items():
        if not move.offered or not (move.roles & roles):
            continue
        context = MoveContext(case=case, actor=actor, to=to)
        names = move.all_guards(to)
        if unmet_conditions(context, names=tuple(n for n in names if n in HIDING_GUARDS)):
            continue
        missing = unmet_conditions(context, names=tuple(n for n in names
                                                        if n not in HIDING_GUARDS and n not in CHOICE_GUARDS))
        offered.append((to, move, missing))
    return offered


def effect(name: str):
    def register(action: Callable) -> Callable:
        EFFECTS[name] = action
        return action
    return register


def unmet_conditions(context: MoveContext, move: Move | None = None, *,
                     names: tuple[str, ...] | None = None) -> list[Unmet]:
    """Every condition of the move (or of the named guards) that does not hold, without duplicates."""
    found, seen = [], set()
    for name in move.all_guards(context.to) if names is None else names:
        for unmet in GUARDS[name](context):
            if (unmet.code, unmet.member_id) not in seen:
                seen.add((unmet.code, unmet.member_id))
                found.append(unmet)
    # The household's conditions first, then each member's in household order, as the checklist reads them.
    return sorted(found, key=lambda u: (u.member_id is not None, u.member_id or 0))


def unregistered_names() -> list[str]:
    """Guards and effects the table names that no stage registered (a system check reports them)."""
    named = {(kind, name) for moves in ALLOWED.values() for to, move in moves.items()
             for kind, names in (("guard", move.all_guards(to)), ("effect", move.effects)) for name in names}
    return sorted(f"{kind} {name}" for kind, name in named
                  if name not in (GUARDS if kind == "guard" else EFFECTS))


def unmet_shown(unmet: list[Unmet], field_groups: frozenset | None) -> list[Unmet]:
    """What a reader with these field groups may be told of the unmet conditions (None: everything)."""
    from django.utils.translation import gettext as _

    if field_groups is None:
        return unmet
    kept = [u for u in unmet if not u.field_group or u.field_group in field_groups]
    if len(kept) < len(unmet):
        kept.append(Unmet(code="screening_unmet", message=_("The case team must settle a screening matter "
                                                             "before this step.")))
    return kept


def transition_refusal(from_status: str, to_status: str) -> str:
    """The message for a move the lifecycle does not allow, naming both statuses in the user's language."""
    from django.utils.translation import gettext as _

    labels = dict(S.choices)
    return _("A case cannot move from “%(from)s” to “%(to)s”.") % {
        "from": labels.get(from_status, from_status), "to": labels.get(to_status, to_status)}
