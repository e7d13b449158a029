"""Reading counselling and screening: one place that applies the field groups (cases.permissions)."""

from django.http import Http404

from cases.models import Case, Member
from cases.permissions import CaseAccess, FieldGroup
from cases.selectors import case_get_for_user
from screening.models import BestInterests, Declaration, FitnessToTravel, ProtectionScreening
from cases.people import is_adult
from cases.transitions import travel_day_of
from screening.rules import submission_unmet, without_parent_on


def case_for_screening_read(*, user, case_id, request=None) -> tuple[Case, CaseAccess]:
    """The case, if the user may see its screening at all (movement and reception staff may not): else 404."""
    case, access = case_get_for_user(user=user, case_id=case_id, request=request)
    if FieldGroup.VULNERABILITY not in access.field_groups:
        raise Http404
    return case, access


def member_for_screening_read(*, user, member_id, request=None) -> tuple[Member, Case, CaseAccess]:
    member = Member.objects.filter(pk=member_id).only("case_id").first()
    if member is None:
        raise Http404
    case, access = case_for_screening_read(user=user, case_id=member.case_id, request=request)
    return Member.objects.get(pk=member_id), case, access


def protection_of(member, groups: frozenset) -> dict | None:
    record: ProtectionScreening | None = getattr(member, "protection", None)
    if record is None:
        return None
    data = {"fear_of_return": record.fear_of_return, "pending_asylum_claim": record.pending_asylum_claim,
            "threats": record.threats, "screened_on": record.screened_on, "flag_open": record.flag_open,
            "resolved_at": record.resolved_at, "version": record.version}
    if FieldGroup.PROTECTION in groups:
        data |= {"narrative": record.narrative, "resolution_note": record.resolution_note}
    return data


def fitness_of(member, groups: frozenset) -> dict | None:
    record: FitnessToTravel | None = getattr(member, "fitness", None)
    if record is None:
        return None
    data = {"outcome": record.outcome, "assessed_on": record.assessed_on, "clinician": record.clinician}
    if FieldGroup.MEDICAL in groups:
        data["detail"] = record.detail
    return data


def member_screening(member, groups: frozenset) -> dict:
    """A member's screening as the reader may see it."""
    return {
        "member": member.pk, "protection": protection_of(member, groups),
        "vulnerabilities": [{"kind": v.kind, "severity": v.severity,
                             "needs_specialised_assessment": v.needs_specialised_assessment, "note": v.note}
                            for v in member.vulnerabilities.all()],
        "needs_medical_attention": member.needs_medical_attention, "fitness": fitness_of(member, groups),
    }


def best_interests_of(member) -> BestInterests | None:
    return getattr(member, "best_interests", None)


def case_screening_members(case: Case) -> list[Member]:
    """The household with everything the screening tab shows, in a fixed number of queries."""
    return list(case.members.select_related("protection", "fitness", "best_interests")
                .prefetch_related("vulnerabilities", "declarations", "consents").order_by("id"))


def member_cards(case: Case, groups: frozenset) -> list[dict]:
    """Each member's screening card, judged on the household's day of travel (as the safeguards judge it)."""
    members = case_screening_members(case)
    day = travel_day_of(case)
    alone = without_parent_on(members, day)
    cards = []
    for member in members:
        declarations = list(member.declarations.all())
        cards.append({
            "member": member, "screening": member_screening(member, groups), "adult": is_adult(member, on=day),
            "needs_best_interests": member.pk in alone, "best_interests": best_interests_of(member),
            "declarations": declarations,
            "declaration_signed": any(d.withdrawn_on is None for d in declarations),
            "consents": [c for c in member.consents.all()],
        })
    return cards


def case_checklist(case: Case) -> list[dict]:
    """What the case still needs before it can be submitted, as the page and the API show it."""
    return [u.as_dict() for u in submission_unmet(case)]


def declaration_for_scan(*, user, declaration_id, request=None) -> Declaration:
    declaration = Declaration.objects.filter(pk=declaration_id).first()
    if declaration is None or not declaration.scan:
        raise Http404
    member_for_screening_read(user=user, member_id=declaration.member_id, request=request)
    return declaration
