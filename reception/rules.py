"""What arrival and closure need, as guards of the case lifecycle (named in cases.transitions.ALLOWED)."""

from django.utils.translation import gettext_lazy as _

from cases.transitions import MoveContext, Unmet, effect, guard
from reception.choices import ClosureReason

MESSAGES = {
    "check_in_only": _("A household arrives when its travellers are checked in at the reception centre."),
    "check_in_missing": _("%(name)s is not checked in yet."),
    "handover_missing": _("%(name)s is an unaccompanied child: record the handover to the child-protection "
                          "authority."),
    "closure_reason_missing": _("Choose why the case is closed."),
    "closure_note_missing": _("Say why the case is closed: “other” needs a note."),
}


def unmet(code: str, member=None) -> Unmet:
    params = {"name": member.full_name} if member is not None else {}
    message = MESSAGES[code] % params if params else MESSAGES[code]
    return Unmet(code=code, message=message, member_id=member.pk if member is not None else None)


def arrival_unmet(case) -> list[Unmet]:
    """Every traveller checked in; every unaccompanied child who arrived handed over."""
    from travel.models import Booking

    boarded = list(Booking.objects.filter(case=case, status="boarded").select_related("member", "check_in",
                                                                                      "member__handover"))
    if not boarded:
        return [unmet("check_in_only")]
    found = []
    for booking in boarded:
        member = booking.member
        check_in = getattr(booking, "check_in", None)
        if check_in is None:
            found.append(unmet("check_in_missing", member))
        elif check_in.arrived and member.is_unaccompanied_child and getattr(member, "handover", None) is None:
            found.append(unmet("handover_missing", member))
    return found


@guard("all_checked_in")
def all_checked_in(context: MoveContext) -> list[Unmet]:
    return arrival_unmet(context.case)


@guard("closure_reason_given", choice=True)
def closure_reason_given(context: MoveContext) -> list[Unmet]:
    reason = context.choices.get("closure_reason")
    if reason not in ClosureReason.values:
        return [unmet("closure_reason_missing")]
    if reason == ClosureReason.OTHER and not context.note.strip():
        return [unmet("closure_note_missing")]
    return []


@effect("closure_reason_record")
def closure_reason_record(context: MoveContext) -> None:
    case = context.case
    case.closure_reason = context.choices["closure_reason"]
    case.save(update_fields=["closure_reason", "updated_at"])


@effect("follow_ups_schedule")
def follow_ups_schedule(context: MoveContext) -> None:
    from reception.services import follow_ups_schedule_for

    follow_ups_schedule_for(context.case)
