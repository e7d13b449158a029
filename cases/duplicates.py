"""The side-by-side comparison of a case's members with the people they may be: what a caseworker needs to decide.

Candidates come from every office (finding the same person at two booths is the point), so each shows only the
field groups the user reads on the case under review, narrowed to their access where they may open the candidate's
case; a candidate whose case the user cannot otherwise open is a read of personal data, written to the audit log.
"""

from dataclasses import dataclass, field

from audit.models import AuditAction
from audit.services import audit_record
from cases.identity import linked_cases
from cases.models import Case, Member
from cases.permissions import CaseAccess, FieldGroup, case_access
from cases.selectors import possible_duplicates_for

AUDIT_REASON = "duplicate comparison"


@dataclass
class Person:
    """One member record as the comparison shows it; identity fields are None when the user may not read them."""

    member: Member
    case: Case
    show_identity: bool
    reference: str | None
    reasons: list[str] = field(default_factory=list)
    household: list[Member] = field(default_factory=list)


@dataclass
class Review:
    member: Person
    candidates: list[Person]
    linked: list[Person]


def duplicate_comparison(*, user, case: Case, access: CaseAccess, request=None) -> list[Review]:
    """Each member of the case beside the people it may be and the records already linked to it as the same person."""
    proposed = {m.pk: possible_duplicates_for(user=user, person=m, exclude_case_id=case.pk) for m in case.members.all()}
    links = linked_cases(case)
    wanted = {row["member_id"] for rows in proposed.values() for row in rows} | {link.other_member_id for link in links}
    others = {m.pk: m for m in Member.objects.filter(pk__in=wanted).select_related("case__registering_office")}
    households = _households({m.case_id for m in others.values()})
    unseen = set()

    def person(member: Member, reasons=()) -> Person:
        other_access = case_access(user, member.case)
        if other_access is None:
            unseen.add(member.case_id)
        groups = access.field_groups & (other_access.field_groups if other_access else access.field_groups)
        return Person(member=member, case=member.case, show_identity=FieldGroup.IDENTITY in groups,
                      reference=member.case.reference if other_access else None, reasons=list(reasons),
                      household=households.get(member.case_id, []))

    reviews = []
    for member in case.members.all():
        member.case = case
        candidates = [person(others[row["member_id"]], row["reasons"]) for row in proposed[member.pk]]
        linked = [person(others[link.other_member_id]) for link in links if link.member_id == member.pk]
        if candidates or linked:
            own = Person(member=member, case=case, show_identity=FieldGroup.IDENTITY in access.field_groups,
                         reference=case.reference, household=households.get(case.pk) or list(case.members.all()))
            reviews.append(Review(member=own, candidates=candidates, linked=linked))
    if unseen:
        audit_record(actor=user, action=AuditAction.VIEW, request=request, object_type="cases.case",
                     object_ids=sorted(unseen), reason=AUDIT_REASON)
    return reviews


def _households(case_ids: set[int]) -> dict[int, list[Member]]:
    grouped: dict[int, list[Member]] = {}
    for member in Member.objects.filter(case_id__in=case_ids).order_by("case_id", "pk"):
        grouped.setdefault(member.case_id, []).append(member)
    return grouped
