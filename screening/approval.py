"""Approving many cases at once: each case goes through the same guards as one approval, and says how it went."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from cases.choices import CaseStatus
from cases.services import InvalidTransition, TransitionRefused, case_transition


@dataclass
class BulkResult:
    case: int
    outcome: str  # approved | refused | not_found | forbidden | invalid
    status: str | None = None
    unmet: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"case": self.case, "outcome": self.outcome, "status": self.status, "unmet": self.unmet}


def cases_bulk_approve(*, actor, case_ids: list[int], note: str = "") -> list[BulkResult]:
    """Approve each case in its own transaction: one refusal never holds back the others."""
    return [case_approve_one(actor=actor, case_id=case_id, note=note) for case_id in dict.fromkeys(case_ids)]


def case_approve_one(*, actor, case_id: int, note: str) -> BulkResult:
    try:
        case = case_transition(case_id=case_id, to=CaseStatus.APPROVED, actor=actor, note=note)
    except Http404:
        return BulkResult(case_id, "not_found")
    except PermissionDenied:
        return BulkResult(case_id, "forbidden")
    except TransitionRefused as exc:
        return BulkResult(case_id, "refused", unmet=[u.as_dict() for u in exc.unmet])
    except (InvalidTransition, ValidationError):
        return BulkResult(case_id, "invalid")
    return BulkResult(case_id, "approved", status=case.status)
