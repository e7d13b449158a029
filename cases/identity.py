"""One person, one return: the records linked as "same person" are one person, and only one of their cases travels.

The links ("same person" decisions, and `Member.same_person_as`) are symmetric and transitive, so a person is the
connected set of member records reached through them. The rules here are guards of the case lifecycle; the reads
give the pages the person's other cases, and the one write withdraws a record as a duplicate of the kept case.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Func, Value
from django.db.models.functions import Upper
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.choices import CaseStatus as S
from cases.dedup import document_key
from cases.models import Case, Member
from cases.transitions import MoveContext, Unmet, guard

# A person is "in a return" from the submission until they are on their way. On hold and no show count too: an
# on-hold case goes back to approved once the reason is cleared, and a no-show back to approved for the next
# movement, without being submitted again, so the person is still in that return and a second one would make two.
ACTIVE_RETURN_STATUSES = (S.PENDING_APPROVAL, S.APPROVED, S.BOOKED, S.ON_HOLD, S.NO_SHOW, S.IN_TRANSIT)
# Travellers: approved for a return, so their travel documents are being used for it.
ACTIVE_TRAVELLER_STATUSES = (S.APPROVED, S.BOOKED, S.ON_HOLD, S.NO_SHOW, S.IN_TRANSIT)

# Advisory locks are one bigint namespace for the whole database: this offset keeps persons apart from other users.
PERSON_LOCK_BASE = 0x5045_0000_0000_0000

MESSAGES = {
    "same_person_active": gettext_lazy("%(name)s is the same person as someone in another case that is already in a "
                                       "return (%(status)s): merge the records or withdraw one of the cases."),
    "travel_document_taken": gettext_lazy("The travel document number of %(name)s is held by a traveller of another "
                                          "active case."),
}

PERSON_SQL = """
    WITH RECURSIVE person(origin, id) AS (
        SELECT seed, seed FROM unnest(%s::bigint[]) AS seed
        UNION
        SELECT person.origin, linked.id FROM person CROSS JOIN LATERAL (
            SELECT m.same_person_as_id AS id FROM cases_member m
             WHERE m.id = person.id AND m.same_person_as_id IS NOT NULL
            UNION ALL SELECT m.id FROM cases_member m WHERE m.same_person_as_id = person.id
            UNION ALL SELECT d.candidate_id FROM cases_duplicatedecision d
             WHERE d.member_id = person.id AND d.decision = 'same'
            UNION ALL SELECT d.member_id FROM cases_duplicatedecision d
             WHERE d.candidate_id = person.id AND d.decision = 'same'
        ) AS linked
    )
    SELECT origin, id FROM person
"""


def persons_of(member_ids) -> dict[int, set[int]]:
    """For each member, every member record of the same person (itself included), following links both ways."""
    found = {member_id: {member_id} for member_id in member_ids}
    if not found:
        return found
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner cannot size a recursive walk, so it guesses thousands of rows and JIT-compiles the plan: ~400 ms
        # of compilation for a walk that takes 2 ms (the approval queue's 100 cases at 200k).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(PERSON_SQL, [list(found)])
        for origin, member_id in cursor.fetchall():
            found[origin].add(member_id)
    return found


def person_member_ids(member_id: int) -> set[int]:
    """Every member record of the person `member_id` is (itself included)."""
    return persons_of([member_id])[member_id]


def person_lock(member_ids: set[int]) -> None:
    """Serialise every move of this person's cases until the transaction ends (two approvals take turns)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PERSON_LOCK_BASE + min(member_ids)])


@dataclass(frozen=True)
class LinkedCase:
    """Another case holding a record of the same person, as the pages show it."""

    member_id: int
    other_member_id: int
    case: Case

    @property
    def active(self) -> bool:
        return self.case.status in ACTIVE_RETURN_STATUSES


def linked_cases(case: Case) -> list[LinkedCase]:
    """For each member of `case`, the other cases where the same person is registered (oldest first)."""
    return linked_cases_of([case]).get(case.pk, [])


def linked_cases_of(cases) -> dict[int, list[LinkedCase]]:
    """`linked_cases` for a page of cases: one walk of the links, one query for the other records."""
    members = list(Member.objects.filter(case__in=cases).values_list("pk", "case_id"))
    persons = persons_of([pk for pk, _ in members])
    # Two cases of one page may be the same person: their records are fetched too.
    others = {pk for ids in persons.values() if len(ids) > 1 for pk in ids}
    records = {m.pk: m for m in Member.objects.filter(pk__in=others).select_related("case")}
    found: dict[int, list[LinkedCase]] = {}
    for member_id, case_id in members:
        linked = sorted((records[pk] for pk in persons[member_id] if pk in records), key=lambda m: (m.case_id, m.pk))
        seen = set()
        for other in linked:
            if other.case_id != case_id and other.case_id not in seen:
                seen.add(other.case_id)
                found.setdefault(case_id, []).append(LinkedCase(member_id, other.pk, other.case))
    return found


def linked_cases_for_user(*, user, case: Case) -> list[dict]:
    """The person's other cases as this user may see them: the reference only where they may open that case."""
    from cases.permissions import case_access
    from cases.transitions import allowed_targets

    active_here = case.status in ACTIVE_RETURN_STATUSES
    withdrawable = S.WITHDRAWN in allowed_targets(case.status)
    return [{"member_id": link.member_id, "case_id": link.case.pk, "status": link.case.status,
             "status_label": S(link.case.status).label, "active": link.active,
             "conflict": active_here and link.active, "withdrawable": withdrawable,
             "reference": link.case.reference if case_access(user, link.case) is not None else None}
            for link in linked_cases(case)]


def same_person_active_unmet(case: Case) -> list[Unmet]:
    """A member of `case` is the same person as someone in another active return: the move would make two.

    Takes the person's lock first (the smallest member id of each linked set, in order, so two households never wait
    for each other in a circle); the statuses read after it are the ones committed by whoever held it before.
    """
    members = list(case.members.only("pk", "case_id", "given_names", "family_names"))
    persons = persons_of([member.pk for member in members])
    people = {member.pk: (member, persons[member.pk]) for member in members}
    linked = sorted((ids for _, ids in people.values() if len(ids) > 1), key=min)
    if not linked:
        return []
    for member_ids in linked:
        person_lock(member_ids)
    found = []
    for member, ids in people.values():
        others = (Case.objects.filter(members__pk__in=ids - {member.pk}, status__in=ACTIVE_RETURN_STATUSES)
                  .exclude(pk=case.pk).order_by("pk").distinct())
        other = others.first()
        if other is not None:
            found.append(Unmet(code="same_person_active", member_id=member.pk, context={"case_id": other.pk},
                               message=MESSAGES["same_person_active"] % {
                                   "name": member.full_name, "status": S(other.status).label}))
    return found


def travel_document_holders(number: str, *, exclude_case_id: int) -> list[Member]:
    """Members of other active cases holding a travel document with this (normalised) number."""
    from travel.choices import TravelDocumentStatus
    from travel.models import TravelDocument

    key = document_key(number)
    if not key:
        return []
    # Compared as the duplicate check normalises numbers (no spaces, dashes or case): "HN 123-4" is "HN1234".
    normalised = Upper(Func(F("number"), Value("[^A-Za-z0-9]"), Value(""), Value("g"), function="REGEXP_REPLACE"))
    documents = (TravelDocument.objects.filter(member__case__status__in=ACTIVE_TRAVELLER_STATUSES)
                 .exclude(member__case_id=exclude_case_id).exclude(status=TravelDocumentStatus.CANCELLED)
                 .alias(normalised=normalised).filter(normalised=key).select_related("member"))
    return [document.member for document in documents]


@guard("travel_document_unique")
def travel_document_unique(context: MoveContext) -> list[Unmet]:
    return travel_document_taken_unmet(context.case)


def travel_document_taken_unmet(case) -> list[Unmet]:
    """A member's ready document number is held by a traveller of another active case: the same person twice."""
    from travel.choices import TravelDocumentStatus

    found = []
    for member in case.members.prefetch_related("travel_documents"):
        numbers = {d.number for d in member.travel_documents.all() if d.status == TravelDocumentStatus.READY}
        if any(travel_document_holders(number, exclude_case_id=case.pk) for number in numbers):
            found.append(Unmet(code="travel_document_taken", member_id=member.pk,
                               message=MESSAGES["travel_document_taken"] % {"name": member.full_name}))
    return found


@transaction.atomic
def case_merge_as_duplicate(*, actor, case_id: int, kept_case_id: int, note: str = "") -> Case:
    """Withdraw this case as a duplicate of the kept case, with a note naming it; both keep their history."""
    from cases.permissions import case_access
    from cases.services import case_for_team_update, case_transition

    case = case_for_team_update(case_id=case_id, actor=actor)
    kept = {link.case.pk: link.case for link in linked_cases(case)}.get(kept_case_id)
    if kept is None:
        raise Http404
    if not all(person_member_ids(m.pk) & set(kept.members.values_list("pk", flat=True))
               for m in case.members.all()):
        raise ValidationError({"kept_case": [_("Only a household whose every member is in the kept case can be "
                                               "merged into it: move the others to a case of their own first.")]})
    named = kept.reference if case_access(actor, kept) is not None else _("another case")
    reason = _("Duplicate of %(case)s.") % {"case": named}
    return case_transition(case_id=case.pk, to=S.WITHDRAWN, actor=actor,
                           note=f"{reason} {note.strip()}".strip())

