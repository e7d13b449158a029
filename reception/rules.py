"""What arrival and closure need, as guards of the case lifecycle."""

from django.utils.translation import gettext_lazy as _

from cases.choices import CaseStatus
from cases.transitions import Unmet, effect, guard
from reception.choices import ClosureReason

MESSAGES = {
    "check_in_only": _("A household arrives when its travellers are checked in at the reception centre."),
    "check_in_missing": _("%(name)s is not checked in yet."),
    "handover_missing": _("%(name)s is an unaccompanied child: record the handover to the child-protection "
                          "authority."),
    "closure_reason_missing": _("Choose why the case is closed."),
}


def unmet(code: str, member=None) -> Unmet:
    params = {"name": member.full_name} if member is not None else {}
    message = MESSAGES[code] % params if params else MESSAGES[code]
    return Unmet(code=code, message=message, member_id=member.pk if member is not None else None)


def arrival_unmet(case) -> list[Unmet]:
    """Every traveller checked in; every unaccompanied child who arrived handed over."""
    from travel.models import Booking

    found = []
    boarded = Booking.objects.filter(case=case, status="boarded").select_related("member", "check_in",
                                                                                 "member__handover")
    for booking in boarded:
        member = booking.member
        check_in = getattr(booking, "check_in", None)
        if check_in is None:
            found.append(unmet("check_in_missing", member))
        elif check_in.arrived and member.is_unaccompanied_child and getattr(member, "handover", None) is None:
            found.append(unmet("handover_missing", member))
    return found


@guard(CaseStatus.ARRIVED)
def arrival_guard(case, actor, extra) -> list[Unmet]:
    if not extra.get("check_in"):
        return [unmet("check_in_only")]
    return arrival_unmet(case)


@guard(CaseStatus.CLOSED)
def closure_guard(case, actor, extra) -> list[Unmet]:
    return [] if extra.get("closure_reason") in ClosureReason.values else [unmet("closure_reason_missing")]


@effect(CaseStatus.CLOSED)
def closure_reason_record(case, actor, extra) -> None:
    case.closure_reason = extra["closure_reason"]
    case.save(update_fields=["closure_reason", "updated_at"])


@effect(CaseStatus.ARRIVED)
def follow_ups_schedule(case, actor, extra) -> None:
    from reception.services import follow_ups_schedule_for

    follow_ups_schedule_for(case)
