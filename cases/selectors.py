"""Every read of cases goes through here, and through the one visibility rule."""

import re
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Concat
from django.http import Http404

from accounts.choices import Role
from accounts.models import Office, Programme
from audit.models import AuditAction
from audit.services import audit_record
from cases.choices import OPEN_STATUSES, CaseStatus
from cases.dedup import (
    document_key,
    exact_blocks,
    match,
    name_block_of,
    name_tokens,
    person_keys,
)
from cases.models import ANY_VULNERABILITY, Case, CaseEvent, DuplicateDecision, Member
from cases.list_params import RankedKeyset
from cases.name_search import name_search
from cases.permissions import (
    CaseAccess,
    case_access,
    case_ids_visible_among,
    case_page,
    cases_visible_to,
    marked_branches,
    user_assignments,
)
from cases.transitions import next_moves, unmet_shown

BREAK_GLASS_VIEW = "break_glass"  # the audit reason of a case viewed under an emergency grant
LIST_FILTERS = ("status", "programme", "office", "nationality")


SUMMARY_VALUES = ("id", "reference", "status", "destination_country", "intake_date", "version",
                  "registering_office_id", "programme_id", "registration_country", "reception_centre_id",
                  "has_unaccompanied_child", "has_separated_child", "is_incomplete", "programme_code", "office_code",
                  "principal_name", "member_count", "has_protection_flag", "vulnerability_kinds")


def case_list_page(*, user, filters: dict | None = None, before_id: "int | RankedKeyset | None" = None,
                   size: int = 25, rows_only: bool = False, branches: list | None = None,
                   filtered: QuerySet | None = None):
    """One page of the cases the user may see (newest or oldest first) and the keyset of the next page, if any.

    `rows_only` returns light rows with the summary's attributes instead of models (the API list needs no more).
    A caller that also counts the total passes the user's `marked_branches` and the `case_filtered` cases, so the
    share lookup and a name search run once. A name search's page goes tier by tier (whole words first), newest
    first within a tier, and its keyset is a `RankedKeyset`.
    """
    shape = None
    if filtered is None:
        filtered = case_filtered(Case.objects.all(), filters or {})
        shape = case_list_shape(filters or {})
    tiers = getattr(filtered, "search_tiers", None)
    if tiers is None:
        before = before_id.before_id if isinstance(before_id, RankedKeyset) else before_id
        page, has_more = _tier_page(user, filtered, filters, before, size, rows_only, branches, shape=shape)
        return page, (page[-1].pk if has_more else None)
    start = before_id if isinstance(before_id, RankedKeyset) else RankedKeyset(0, before_id)
    if filtered.search_ranks is not None and len(filtered.search_ranks) <= RANKED_AT_ONCE:
        return _ranked_page(user, filtered, filters, start, size, rows_only, branches)
    page: list = []
    for tier, queryset in tiers:
        if tier < start.tier:
            continue
        before = start.before_id if tier == start.tier else None
        rows, has_more = _tier_page(user, queryset, filters, before, size - len(page), rows_only, branches)
        page += [(tier, row) for row in rows]
        if has_more:
            break
    else:
        has_more = False
    next_keyset = RankedKeyset(page[-1][0], page[-1][1].pk) if has_more and page else None
    return [row for _, row in page], next_keyset


def _ranked_page(user, filtered: QuerySet, filters, start: RankedKeyset, size: int, rows_only: bool, branches):
    """A name search's page when its cases are few: every visible one read at once, ordered here by tier."""
    ranks, oldest = filtered.search_ranks, (filters or {}).get("sort") == "oldest"
    rows = case_page(user, case_summaries(filtered), before_id=None, size=len(ranks), oldest_first=oldest,
                     values=SUMMARY_VALUES if rows_only else (), branches=branches)

    def position(tier: int, case_id: int) -> tuple[int, int]:
        return tier, case_id if oldest else -case_id

    ordered = sorted(rows, key=lambda row: position(ranks[row.pk], row.pk))
    if start.before_id is not None:
        ordered = [row for row in ordered if position(ranks[row.pk], row.pk) > position(*start)]
    page = ordered[:size]
    return page, (RankedKeyset(ranks[page[-1].pk], page[-1].pk) if len(ordered) > size else None)


def _tier_page(user, queryset: QuerySet, filters, before_id, size: int, rows_only: bool, branches,
               shape: tuple | None = None) -> tuple:
    """Up to `size` rows and whether more follow (`shape`: the list's SQL may be kept, never a search's)."""
    rows = case_page(user, case_summaries(queryset), before_id=before_id, size=size + 1,
                     oldest_first=(filters or {}).get("sort") == "oldest",
                     values=SUMMARY_VALUES if rows_only else (), branches=branches, shape=shape)
    return rows[:size], len(rows) > size


def case_list_shape(filters: dict) -> tuple | None:
    """What alone determines the SQL of `case_filtered` for these filters; None for a search, whose SQL carries
    the ids it found (they change with the data)."""
    if filters.get("q"):
        return None
    return ("case list", tuple(sorted((name, value) for name, value in filters.items() if value not in (None, ""))))


def case_summaries(queryset: QuerySet) -> QuerySet:
    """What a list row shows, in the same query: codes, the principal's name, how many members."""
    members = Member.objects.filter(case=OuterRef("pk"))
    principal = members.filter(relationship="principal").annotate(
        name=Concat("given_names", Value(" "), "family_names")).values("name")[:1]
    count = members.order_by().values("case").annotate(n=Count("id")).values("n")
    return queryset.annotate(
        programme_code=F("programme__code"), office_code=F("registering_office__code"),
        principal_name=Subquery(principal), member_count=Subquery(count),
    ).only("id", "reference", "status", "destination_country", "intake_date", "version", "updated_at",
           "registering_office_id", "programme_id", "registration_country", "reception_centre_id",
           "has_unaccompanied_child", "has_separated_child", "is_incomplete", "has_protection_flag",
           "vulnerability_kinds")


def case_filtered(queryset: QuerySet, filters: dict) -> QuerySet:
    """Apply the list filters (codes already checked by the caller) and the search box."""
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("programme"):
        queryset = queryset.filter(programme__code=filters["programme"])
    if filters.get("office"):
        queryset = queryset.filter(registering_office__code=filters["office"])
    if filters.get("nationality"):
        queryset = queryset.filter(Exists(Member.objects.filter(
            case=OuterRef("pk"), relationship="principal", nationality=filters["nationality"])))
    if filters.get("umc"):
        queryset = queryset.filter(has_unaccompanied_child=True)
    if filters.get("incomplete"):
        queryset = queryset.filter(is_incomplete=True)
    if filters.get("vulnerability") == "any":
        queryset = queryset.filter(ANY_VULNERABILITY)
    elif filters.get("vulnerability"):
        # ANY_VULNERABILITY adds nothing to the answer; it lets the walk go through the vulnerable cases' index only.
        queryset = queryset.filter(ANY_VULNERABILITY, vulnerability_kinds__contains=[filters["vulnerability"]])
    if filters.get("registered_from"):
        queryset = queryset.filter(intake_date__gte=filters["registered_from"])
    if filters.get("registered_to"):
        queryset = queryset.filter(intake_date__lte=filters["registered_to"])
    if filters.get("q"):
        queryset = case_searched(queryset, filters["q"])
    return queryset


NAME_SEARCH_LISTED = 2000  # people found by a name search, beyond which the search stays a subquery
RANKED_AT_ONCE = 60  # cases found by a name search that are read in one query per branch and ranked in Python
REFERENCE_LIKE = re.compile(r"^[A-Za-z]{2,6}(-[A-Za-z]{2,3})?-\d{4}-\d+$")
# The reference a booth tablet printed on a slip offline (sync.services.provisional_reference).
PROVISIONAL_REFERENCE_LIKE = re.compile(r"^P-[A-Z0-9]{2,16}-[A-Z0-9]{4}-\d{4,}$", re.IGNORECASE)


def case_searched(queryset: QuerySet, text: str) -> QuerySet:
    """Search by reference, document number, or name (accent- and case-insensitive, any order, by beginnings and
    with a typo); a name search's cases carry `search_tiers`, the same cases tier by tier, best first."""
    text = text.strip()
    if REFERENCE_LIKE.match(text):
        return queryset.filter(reference__iexact=text)
    if PROVISIONAL_REFERENCE_LIKE.match(text):
        return queryset.filter(provisional_reference=text.upper())
    members = Member.objects.filter(case=OuterRef("pk"))
    if any(ch.isdigit() for ch in text):
        return queryset.filter(Exists(members.filter(document_key=document_key(text))))
    tokens = name_tokens(text)
    if not tokens:
        return queryset.none()
    # The GIN scans are the dear part: once here, not again in every visibility branch, tier and the total.
    search = name_search(tokens, listed=NAME_SEARCH_LISTED)
    found = queryset.filter(*search.found)
    found.search_tiers = [(tier, queryset.filter(*tier_filters)) for tier, tier_filters in search.tiers]
    found.search_ranks = search.ranks
    return found


def case_list_total(*, user, filters: dict, cap: int = 1000, branches: list | None = None,
                    filtered: QuerySet | None = None) -> tuple[int, bool]:
    """How many cases match, counted up to `cap` ("1,000+"), never a COUNT over the whole table."""
    queryset = case_filtered(Case.objects.all(), filters) if filtered is None else filtered
    ids = set()
    for branch, _ in marked_branches(user) if branches is None else branches:
        ids.update(queryset.filter(branch).values_list("id", flat=True)[: cap + 1])
        if len(ids) > cap:
            break  # the other branches can only add to a total already shown as "1,000+"
    return min(len(ids), cap), len(ids) > cap


def office_and_programme_codes() -> tuple[list[str], list[str]]:
    """Every office code and every programme code, sorted, in one round trip (the list page's filters)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ARRAY(SELECT code FROM {Office._meta.db_table} ORDER BY code), "
                       f"ARRAY(SELECT code FROM {Programme._meta.db_table} ORDER BY code)")
        offices, programmes = cursor.fetchone()
        return list(offices), list(programmes)


def case_get_for_user(*, user, case_id, request=None, emergency: bool = False) -> tuple[Case, CaseAccess]:
    """One case and how the user sees it; 404 if they may not, and the view is written to the audit log.

    `emergency`: a read-only page that an emergency grant may open; a view under a grant is marked as such.
    """
    try:
        case = Case.objects.select_related("programme", "registering_office", "reception_centre").get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    access = case_access(user, case, emergency=emergency)
    if access is None:
        raise Http404
    audit_record(actor=user, action=AuditAction.VIEW, request=request, obj=case,
                 reason=BREAK_GLASS_VIEW if access.emergency_until else "")
    return case, access


def cases_listed_audit(*, user, cases, request=None) -> None:
    """Write that these cases' names were shown to the user (one row per page, not per case)."""
    ids = [case.pk for case in cases]
    if ids:
        audit_record(actor=user, action=AuditAction.LIST, request=request, object_type="cases.case", object_ids=ids)


def home_sections_for_user(*, user) -> dict:
    """The work lists each of the user's roles sees first on the home page (the counts are in accounts.dashboard)."""
    roles = {a.role for a in user_assignments(user)}
    visible = case_summaries(cases_visible_to(user))
    sections = {}
    if Role.CASEWORKER in roles:
        offices = [a.office_id for a in user_assignments(user) if a.role == Role.CASEWORKER]
        sections["office_cases"] = list(
            visible.filter(registering_office_id__in=offices, status__in=OPEN_STATUSES).order_by("-id")[:25]
        )
    if Role.SUPERVISOR in roles:
        sections["approvals"] = list(
            visible.filter(status=CaseStatus.PENDING_APPROVAL).order_by("submitted_at", "id")[:25])
    if Role.MOVEMENT_OFFICER in roles:
        sections["to_book"] = list(visible.filter(status=CaseStatus.APPROVED).order_by("updated_at")[:25])
    if Role.RECEPTION_STAFF in roles:
        sections["arrivals"] = list(
            visible.filter(status__in=[CaseStatus.BOOKED, CaseStatus.IN_TRANSIT]).order_by("updated_at")[:25]
        )
    return sections


def case_next_steps_for_user(*, case: Case, access: CaseAccess, user) -> list[dict]:
    """The buttons of the case page, derived from the lifecycle table and its guards (cases.transitions)."""
    return [
        {"to": to, "label": CaseStatus(to).label, "needs_note": move.note, "confirm": move.confirm,
         "missing": [str(u.message) for u in unmet_shown(missing, access.field_groups)]}
        for to, move, missing in next_moves(case, user, access.roles)
    ]


def possible_duplicates_for(*, user, person, exclude_case_id: int | None = None, limit: int = 10) -> list[dict]:
    """Existing people who may be `person` (a MemberInput or Member), in any office, showing only enough to decide.

    Looking across offices is the point (the same person registered at two booths), so this does not filter by
    visibility; it returns name, birth year, office and status, never documents, phones or notes.
    """
    return possible_duplicates_for_household(user=user, people=[person], exclude_case_id=exclude_case_id,
                                             limit=limit)[0]


def possible_duplicates_for_household(*, user, people: list, exclude_case_id: int | None = None,
                                      limit: int = 10) -> list[list[dict]]:
    """`possible_duplicates_for` for several people at once: one candidate query, one visibility query."""
    keys = [person_keys(given_names=p.given_names, family_names=p.family_names, date_of_birth=p.date_of_birth,
                        document_number=p.document_number, phone=p.phone) for p in people]
    candidates = _candidates_in([(person_key, person.nationality) for person, person_key in zip(people, keys)],
                                exclude_case_id)
    found_per_person = [_matches_for(p, k, candidates, limit) for p, k in zip(people, keys)]
    shown = {c.case_id: c.scope for found in found_per_person for _, c in found}
    visible_ids = case_ids_visible_among(user, list(shown.values()))
    return [[_candidate_row(result, c, visible_ids) for result, c in found] for found in found_per_person]


# A name block of a very common name is cut, its likeliest people first; documents and phones never are.
NAME_BLOCK_CUT = 500


def _candidates_in(people: list[tuple], exclude_case_id: int | None) -> list["Candidate"]:
    """The people sharing a document or phone with any of `people`, and the likeliest of each name block, as tuples.

    One query, each block a separate arm read from its own index: as an OR, PostgreSQL reads every person of
    the name blocks from the table to test the given name, where the block index holds name_key (index-only).
    The exact arms come whole, so an exact document match is found however many people share the name.
    """
    arms = [Member.objects.filter(block).order_by().values("pk") for keys, _ in people for block in exact_blocks(keys)]
    arms += [_name_block_arm(keys, block) for keys, nationality in people
             if (block := name_block_of(keys, nationality)) is not None]
    if not arms:
        return []
    rows = (Member.objects.filter(pk__in=arms[0].union(*arms[1:], all=True)).exclude(case_id=exclude_case_id or 0)
            .values_list(*Candidate.COLUMNS))
    return [Candidate(*row) for row in rows]


def _name_block_arm(keys, block: Q) -> QuerySet:
    """The name block, cut at NAME_BLOCK_CUT in the order of the score: the same name first, then the nearest year."""
    same_name = ExpressionWrapper(Q(name_key=keys.name_key), output_field=BooleanField())
    year_gap = Func(F("birth_year") - keys.birth_year, function="ABS")
    return (Member.objects.filter(block).alias(same_name=same_name, year_gap=year_gap)
            .order_by("-same_name", "year_gap", "-pk").values("pk")[:NAME_BLOCK_CUT])


def _matches_for(person, keys, candidates, limit: int) -> list:
    decided = decided_candidate_ids(person)
    found = [(result, c) for c in candidates
             if c.pk not in decided and c.pk != getattr(person, "pk", None)
             and (result := match(keys, person.date_of_birth, c))]
    # Exact document matches first, whatever the names say; then the number of reasons and the name score.
    found.sort(key=lambda pair: ("document" not in pair[0].reasons, -len(pair[0].reasons), -pair[0].score))
    return found[:limit]


@dataclass(slots=True)
class Candidate:
    """An existing person in a duplicate block, with just what matching and the side-by-side view need."""

    COLUMNS = ("id", "case_id", "given_names", "family_names", "date_of_birth", "name_key", "document_key",
               "phone_key", "case__status", "case__reference", "case__registering_office__code",
               "case__registering_office_id", "case__programme_id", "case__registration_country",
               "case__reception_centre_id")
    pk: int
    case_id: int
    given_names: str
    family_names: str
    date_of_birth: object
    name_key: str
    document_key: str
    phone_key: str
    status: str
    reference: str
    office: str
    registering_office_id: int
    programme_id: int
    registration_country: str
    reception_centre_id: int | None

    @property
    def scope(self) -> SimpleNamespace:
        """The candidate's case as the visibility rule reads it."""
        return SimpleNamespace(pk=self.case_id, status=self.status, registering_office_id=self.registering_office_id,
                               programme_id=self.programme_id, registration_country=self.registration_country,
                               reception_centre_id=self.reception_centre_id)


def _candidate_row(result, candidate: Candidate, visible_ids: set) -> dict:
    return {
        "member_id": candidate.pk, "case_id": candidate.case_id,
        "name": f"{candidate.given_names} {candidate.family_names}",
        "birth_year": candidate.date_of_birth.year if candidate.date_of_birth else None,
        "office": candidate.office, "status": candidate.status,
        "status_label": CaseStatus(candidate.status).label,
        "reference": candidate.reference if candidate.case_id in visible_ids else None,
        "reasons": list(result.reasons), "score": result.score,
    }


def decided_candidate_ids(person) -> set[int]:
    """People already judged same or different from this (saved) member, in either direction."""
    if not getattr(person, "pk", None):
        return set()
    forward = DuplicateDecision.objects.filter(member_id=person.pk).values_list("candidate_id", flat=True)
    backward = DuplicateDecision.objects.filter(candidate_id=person.pk).values_list("member_id", flat=True)
    return set(forward) | set(backward)


def case_timeline(case: Case) -> list[CaseEvent]:
    """The case's events; a household split from another keeps the history from before the split."""
    events = list(case.events.select_related("actor"))
    if case.split_from_id:
        earlier = case.split_from.events.select_related("actor").filter(at__lt=case.created_at)
        events = list(earlier) + events
    return sorted(events, key=lambda e: (e.at, e.id))
