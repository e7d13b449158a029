"""The case lifecycle as data: which move is allowed from where, for which roles, under which guards.

The apps that own a stage register their guards here (screening: approval; travel: booking; ...), so every door
(page, API, admin action, bulk approval) goes through the same checks in `cases.services.case_transition`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.choices import Role
from cases.choices import CaseStatus as S

CASE_TEAM = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR})

# Withdrawal is open until the household is on its way (DOMAIN.md: "any time before in_transit").
WITHDRAWABLE = [S.REGISTERED, S.SCREENING, S.PENDING_APPROVAL, S.APPROVED, S.BOOKED, S.ON_HOLD, S.NO_SHOW,
                S.REJECTED]

ALLOWED: dict[str, dict[str, frozenset]] = {status: {S.WITHDRAWN: CASE_TEAM} for status in WITHDRAWABLE}
ALLOWED[S.REGISTERED][S.SCREENING] = CASE_TEAM
ALLOWED[S.SCREENING][S.PENDING_APPROVAL] = CASE_TEAM
ALLOWED[S.PENDING_APPROVAL][S.APPROVED] = SUPERVISORS
ALLOWED[S.PENDING_APPROVAL][S.REJECTED] = SUPERVISORS
ALLOWED[S.REJECTED][S.SCREENING] = CASE_TEAM
# Non-refoulement: a person who fears return leaves the programme for the asylum authority or UNHCR.
ALLOWED[S.SCREENING][S.REFERRED_OUT] = CASE_TEAM
ALLOWED[S.PENDING_APPROVAL][S.REFERRED_OUT] = CASE_TEAM

# Travel (travel.services books, departs and unbooks; the guards there refuse these moves from anywhere else).
MOVEMENT = frozenset({Role.MOVEMENT_OFFICER})
ALLOWED[S.APPROVED][S.BOOKED] = MOVEMENT
ALLOWED[S.BOOKED][S.APPROVED] = MOVEMENT
ALLOWED[S.BOOKED][S.IN_TRANSIT] = MOVEMENT
ALLOWED[S.BOOKED][S.NO_SHOW] = MOVEMENT
ALLOWED[S.NO_SHOW][S.APPROVED] = MOVEMENT | CASE_TEAM
ALLOWED[S.APPROVED][S.ON_HOLD] = SUPERVISORS
ALLOWED[S.BOOKED][S.ON_HOLD] = SUPERVISORS
ALLOWED[S.ON_HOLD][S.APPROVED] = SUPERVISORS

# Reception (reception.services moves a case to arrived when its travellers are checked in).
RECEPTION = frozenset({Role.RECEPTION_STAFF})
ALLOWED[S.IN_TRANSIT] = {S.ARRIVED: RECEPTION}
ALLOWED[S.ARRIVED] = {S.CLOSED: SUPERVISORS | RECEPTION}

# Moves that must say why.
NOTE_REQUIRED = {S.WITHDRAWN, S.REJECTED, S.ON_HOLD, S.REFERRED_OUT}


@dataclass(frozen=True)
class Unmet:
    """One condition a move needs and the case does not meet: a stable code, a message, the member if any."""

    code: str
    message: str
    member_id: int | None = None
    context: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "member": self.member_id}


# to_status -> checks(case, actor, extra) returning the unmet conditions; registered by the owning apps.
GUARDS: dict[str, list[Callable]] = {}


def guard(*statuses: str):
    def register(check: Callable) -> Callable:
        for status in statuses:
            GUARDS.setdefault(status, []).append(check)
        return check
    return register


# to_status -> effects(case, actor, extra) run in the same transaction once the move is made.
EFFECTS: dict[str, list[Callable]] = {}


def effect(*statuses: str):
    def register(action: Callable) -> Callable:
        for status in statuses:
            EFFECTS.setdefault(status, []).append(action)
        return action
    return register


def unmet_conditions(case, to: str, actor, extra: dict | None = None) -> list[Unmet]:
    return [unmet for check in GUARDS.get(to, []) for unmet in check(case, actor, extra or {})]


def allowed_targets(status: str) -> dict[str, frozenset]:
    return ALLOWED.get(status, {})


def transition_refusal(from_status: str, to_status: str) -> str:
    """The message for a move the lifecycle does not allow, naming both statuses in the user's language."""
    from django.utils.translation import gettext as _

    from cases.choices import CaseStatus

    labels = dict(CaseStatus.choices)
    return _("A case cannot move from “%(from)s” to “%(to)s”.") % {
        "from": labels.get(from_status, from_status), "to": labels.get(to_status, to_status)}
