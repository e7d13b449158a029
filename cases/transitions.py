"""The case lifecycle as data: which move is allowed from where, and for which roles.

Later issues add their moves (pending_approval, approved, booked, ...) and guards here.
"""

from accounts.choices import Role
from cases.choices import CaseStatus as S

CASE_TEAM = frozenset({Role.CASEWORKER, Role.SUPERVISOR})

# Withdrawal is open until the household is on its way (DOMAIN.md: "any time before in_transit").
WITHDRAWABLE = [S.REGISTERED, S.SCREENING, S.PENDING_APPROVAL, S.APPROVED, S.BOOKED, S.ON_HOLD, S.NO_SHOW,
                S.REJECTED]

ALLOWED: dict[str, dict[str, frozenset]] = {status: {S.WITHDRAWN: CASE_TEAM} for status in WITHDRAWABLE}
ALLOWED[S.REGISTERED][S.SCREENING] = CASE_TEAM

# Moves that must say why.
NOTE_REQUIRED = {S.WITHDRAWN, S.REJECTED, S.ON_HOLD, S.CLOSED, S.REFERRED_OUT}


def allowed_targets(status: str) -> dict[str, frozenset]:
    return ALLOWED.get(status, {})


def transition_refusal(from_status: str, to_status: str) -> str:
    """The message for a move the lifecycle does not allow, naming both statuses in the user's language."""
    from django.utils.translation import gettext as _

    from cases.choices import CaseStatus

    labels = dict(CaseStatus.choices)
    return _("A case cannot move from “%(from)s” to “%(to)s”.") % {
        "from": labels.get(from_status, from_status), "to": labels.get(to_status, to_status)}
