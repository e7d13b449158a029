"""The one rule that decides who sees which case, and which of its fields.

Lists use scope columns on the case (indexed) matched against the user's assignments; guardian's direct-FK
permission tables hold the exceptions (a case shared with a user or a team). Every page, API view, export,
admin queryset and task reads cases through `cases_visible_to` or `case_access`.
"""

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.contrib.auth.models import Permission
from django.db import connection, connections
from django.db.models import Q, QuerySet, Subquery

from accounts.choices import Role
from accounts.models import Assignment
from cases.choices import CaseStatus
from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission

# Movement officers work on cases from approval until they leave; reception from booking to closure.
MOVEMENT_STATUSES = [
    CaseStatus.APPROVED, CaseStatus.BOOKED, CaseStatus.ON_HOLD, CaseStatus.NO_SHOW, CaseStatus.IN_TRANSIT,
]
RECEPTION_STATUSES = [CaseStatus.BOOKED, CaseStatus.IN_TRANSIT, CaseStatus.ARRIVED, CaseStatus.CLOSED]


class FieldGroup:
    IDENTITY = "identity"          # names, sex, birth date, nationality, document, phone
    TRAVEL = "travel"              # destination, reception centre
    MEDICAL_FLAG = "medical_flag"  # "needs medical attention", never the detail
    CASE_NOTES = "case_notes"      # caseworker and counselling notes
    VULNERABILITY = "vulnerability"  # vulnerability flags, best interests, counselling
    PROTECTION = "protection"      # protection narrative (fear of return itself is VULNERABILITY)
    MEDICAL = "medical"            # medical detail (the fitness outcome is VULNERABILITY)
    RECEPTION = "reception"        # check-ins, handovers, assistance, referrals, follow-up calls


ALL_GROUPS = frozenset(v for k, v in vars(FieldGroup).items() if k.isupper())
FIELD_GROUPS_BY_ROLE = {
    Role.CASEWORKER: ALL_GROUPS - {FieldGroup.PROTECTION, FieldGroup.MEDICAL},
    Role.SUPERVISOR: ALL_GROUPS - {FieldGroup.MEDICAL},
    Role.MOVEMENT_OFFICER: frozenset({FieldGroup.IDENTITY, FieldGroup.TRAVEL, FieldGroup.MEDICAL_FLAG}),
    Role.RECEPTION_STAFF: frozenset({FieldGroup.IDENTITY, FieldGroup.TRAVEL, FieldGroup.MEDICAL_FLAG,
                                     FieldGroup.RECEPTION}),
}
# A case shared outside its scope shows what the caseworker sees, minus the restricted notes.
SHARED_FIELD_GROUPS = frozenset({FieldGroup.IDENTITY, FieldGroup.TRAVEL, FieldGroup.MEDICAL_FLAG, FieldGroup.CASE_NOTES,
                                 FieldGroup.VULNERABILITY, FieldGroup.RECEPTION})
# Clearances open restricted notes, but only on cases the user's roles already put before them as the case team.
CLEARED_GROUPS = {"protection": FieldGroup.PROTECTION, "medical": FieldGroup.MEDICAL}
CASE_TEAM_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
# Emergency access (break-the-glass) reads what a share reads, minus the caseworkers' notes: enough to act in an
# emergency, never the restricted narratives. It is read-only: only the reads that ask for it (`emergency=True`) see it.
BREAK_GLASS_FIELD_GROUPS = frozenset({FieldGroup.IDENTITY, FieldGroup.TRAVEL, FieldGroup.MEDICAL_FLAG,
                                      FieldGroup.VULNERABILITY})


@dataclass(frozen=True)
class CaseAccess:
    """Why a user sees a case, and which field groups they may read."""

    roles: frozenset
    shared: bool
    clearances: frozenset = frozenset()
    emergency_until: datetime | None = None  # set only when an emergency grant is the one reason

    @property
    def field_groups(self) -> frozenset:
        if self.emergency_until is not None:
            return BREAK_GLASS_FIELD_GROUPS
        groups = frozenset().union(*(FIELD_GROUPS_BY_ROLE.get(role, frozenset()) for role in self.roles))
        if self.roles & CASE_TEAM_ROLES:
            groups |= {CLEARED_GROUPS[c] for c in self.clearances}
        return groups | (SHARED_FIELD_GROUPS if self.shared else frozenset())


def user_clearances(user) -> frozenset:
    return frozenset(name for name, cleared in (("protection", getattr(user, "is_protection_cleared", False)),
                                                ("medical", getattr(user, "is_medical_cleared", False))) if cleared)


ASSIGNMENTS_CACHED = 2000  # users whose assignments one process keeps; beyond it the cache starts again
_assignments_by_version: dict[tuple[int, int], tuple[Assignment, ...]] = {}


def user_assignments(user) -> list[Assignment]:
    """The user's assignments: loaded once per access version of the user, kept by the process.

    The key is the user row's `version`, which the database bumps on any change to the assignments (and to their
    offices and programmes); the row is read on every request anyway, so a stale entry can never be used.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_avr_assignments", None)
    if cached is None:
        key = (user.pk, getattr(user, "version", None))
        cached = _assignments_by_version.get(key) if key[1] is not None else None
        if cached is None:
            cached = tuple(Assignment.objects.filter(user=user).select_related("office", "programme"))
            if key[1] is not None:
                if len(_assignments_by_version) >= ASSIGNMENTS_CACHED:
                    _assignments_by_version.clear()
                _assignments_by_version[key] = cached
        user._avr_assignments = cached
    return list(cached)


def assignments_cache_clear(**_signal) -> None:
    """Forget every kept assignment list; the version key makes this belt and braces within one process."""
    _assignments_by_version.clear()


def user_roles(user) -> set[str]:
    return {a.role for a in user_assignments(user)}


def _scope_q(assignment: Assignment) -> Q | None:
    """The cases one assignment brings into view, as a filter on the scope columns."""
    role = assignment.role
    if role == Role.CASEWORKER and assignment.office_id:
        # Office only: a case assigned to someone outside the office is shared with them (guardian) instead,
        # so this stays one indexed column.
        return Q(registering_office_id=assignment.office_id)
    if role == Role.SUPERVISOR:
        q = Q()
        if assignment.programme_id:
            q &= Q(programme_id=assignment.programme_id)
        if assignment.country:
            q &= Q(registration_country=assignment.country)
        return q if q else None
    if role == Role.MOVEMENT_OFFICER and assignment.country:
        return Q(registration_country=assignment.country, status__in=MOVEMENT_STATUSES)
    if role == Role.RECEPTION_STAFF and assignment.office_id:
        return Q(reception_centre_id=assignment.office_id, status__in=RECEPTION_STATUSES)
    return None  # admins see aggregates, not cases


def role_scope_q(user, role: str) -> Q:
    """The cases one of the user's roles brings into view (its assignments' scopes), shares aside."""
    scope = Q(pk__in=[])
    for assignment in user_assignments(user):
        if assignment.role == role and (q := _scope_q(assignment)) is not None:
            scope |= q
    return scope


def _matches(assignment: Assignment, case: Case) -> bool:
    """The same rule as `_scope_q`, for one case already in memory (the permission matrix tests both agree)."""
    role = assignment.role
    if role == Role.CASEWORKER and assignment.office_id:
        return case.registering_office_id == assignment.office_id
    if role == Role.SUPERVISOR and (assignment.programme_id or assignment.country):
        return (assignment.programme_id in (None, case.programme_id)) and (
            assignment.country in ("", case.registration_country)
        )
    if role == Role.MOVEMENT_OFFICER and assignment.country:
        return case.registration_country == assignment.country and case.status in MOVEMENT_STATUSES
    if role == Role.RECEPTION_STAFF and assignment.office_id:
        return case.reception_centre_id == assignment.office_id and case.status in RECEPTION_STATUSES
    return False


def _view_case() -> dict:
    """The view_case permission as a scalar subquery: no extra round trip, no join for the planner to misjudge."""
    permission = Permission.objects.filter(codename="view_case", content_type__app_label="cases").values("id")[:1]
    return {"permission_id": Subquery(permission)}


def _shared_case_ids(user, group_ids: list[int] | None = None):
    """Subqueries of the cases shared with the user or one of their teams (guardian direct-FK tables)."""
    by_user = CaseUserObjectPermission.objects.filter(user_id=user.pk, **_view_case())
    if group_ids is None:
        group_ids = list(user.groups.through.objects.filter(user_id=user.pk).values_list("group_id", flat=True))
    # Literal group ids, not a subquery: with a subquery the planner hash-joins the whole grant table.
    by_group = CaseGroupObjectPermission.objects.filter(group_id__in=group_ids, **_view_case())
    return by_user.values("content_object_id"), by_group.values("content_object_id")


SHARES_SQL = """
    WITH view_case AS (SELECT p.id FROM auth_permission p JOIN django_content_type t ON t.id = p.content_type_id
                       WHERE p.codename = 'view_case' AND t.app_label = 'cases')
    SELECT EXISTS (SELECT 1 FROM cases_caseuserobjectpermission
                   WHERE user_id = %(user)s AND permission_id = (SELECT id FROM view_case)),
           ARRAY (SELECT ug.group_id FROM accounts_user_groups ug
                  CROSS JOIN LATERAL (SELECT 1 FROM cases_casegroupobjectpermission g
                                      WHERE g.group_id = ug.group_id AND g.permission_id = (SELECT id FROM view_case)
                                      ORDER BY g.content_object_id LIMIT 1) AS has_shares
                  WHERE ug.user_id = %(user)s ORDER BY ug.group_id)
"""


def _share_kinds(user) -> tuple[bool, list[int]]:
    """Is anything shared with the user, and which of their teams have shares? One small query, on every list.

    A probe per team on the grant index (LATERAL, ORDER BY its last column, LIMIT 1): as EXISTS, or without the
    ORDER BY, the planner may read every team grant when one team holds most of them.
    """
    with connection.cursor() as cursor:
        cursor.execute(SHARES_SQL, {"user": user.pk})
        by_user, group_ids = cursor.fetchone()
        return bool(by_user), list(group_ids)


def _share_branches(user) -> list[Q]:
    """A branch per kind of share the user actually has."""
    with_user, group_ids = _share_kinds(user)
    if not (with_user or group_ids):
        return []
    by_user, by_group = _shared_case_ids(user, group_ids)
    branches = []
    if with_user:
        branches.append(_keyed(Q(pk__in=by_user), ("shared with the user", user.pk)))
    if group_ids:
        branches.append(_keyed(Q(pk__in=by_group), ("shared with teams", tuple(group_ids))))
    return branches


def _keyed(branch: Q, key: tuple) -> Q:
    """Mark a branch with what alone determines its SQL, so a compiled page can be reused (`case_page`)."""
    branch.avr_key = key
    return branch


def marked_branches(user) -> list[tuple[Q, bool]]:
    """The user's visibility as separate conditions, each served by its own index, marked when it is a share."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    scopes = [_keyed(q, ("scope", repr(q))) for q in (_scope_q(a) for a in user_assignments(user)) if q is not None]
    return [(q, False) for q in scopes] + [(q, True) for q in _share_branches(user)]


def visibility_branches(user) -> list[Q]:
    """The user's visibility as separate conditions (see `case_page`)."""
    return [q for q, _ in marked_branches(user)]


def _shared_among(user, ids, *, with_user: bool = True, group_ids: list[int] | None = None) -> set[int]:
    """Which of these case ids are shared with the user or one of their teams (kinds known to be absent skipped)."""
    by_user, by_group = _shared_case_ids(user, group_ids)
    shared = set()
    if with_user:
        shared |= set(by_user.filter(content_object_id__in=ids).values_list("content_object_id", flat=True))
    if group_ids is None or group_ids:
        shared |= set(by_group.filter(content_object_id__in=ids).values_list("content_object_id", flat=True))
    return shared


def cases_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Every case the user may see, as one queryset (for counts, membership tests and the admin)."""
    queryset = Case.objects.all() if queryset is None else queryset
    visible = Q(pk__in=[])
    for branch in visibility_branches(user):
        visible |= branch
    return queryset.filter(visible)


def case_page(user, queryset: QuerySet, *, before_id: int | None, size: int, oldest_first: bool = False,
              values: tuple[str, ...] = (), branches: list[tuple[Q, bool]] | None = None,
              shape: tuple | None = None) -> list:
    """One page of visible cases, newest first (or oldest first), after the keyset `before_id`.

    An OR of scopes (two assignments, or a scope plus shared cases) makes PostgreSQL collect every matching row
    and sort it; one ordered query per branch, each stopping after `size` rows, then a merge, stays constant.
    `branches` are the user's `marked_branches`, when the caller already has them. `shape`, when given, says
    that it alone (with the branches' keys) determines `queryset`'s SQL: the light rows then come from SQL
    compiled once per process (`_compiled_rows`).
    """
    order = "id" if oldest_first else "-id"
    found: dict[int, Case] = {}
    shared: set[int] = set()
    branches = marked_branches(user) if branches is None else branches
    compiled = values and shape is not None and all(hasattr(branch, "avr_key") for branch, _ in branches)
    if before_id is not None and not compiled:
        queryset = queryset.filter(id__gt=before_id) if oldest_first else queryset.filter(id__lt=before_id)
    for branch, is_share in branches:
        if compiled:
            rows = _compiled_rows(queryset, branch, (shape, branch.avr_key, order, size, values), before_id)
        else:
            rows = _branch_rows(queryset.filter(branch).order_by(order), size, values)
        for case in rows:
            found.setdefault(case.pk, case)
            if is_share:
                shared.add(case.pk)
    page = sorted(found.values(), key=lambda case: case.pk if oldest_first else -case.pk)[:size]
    for case in page:
        case.avr_shared = case.pk in shared  # lets case_access_batch skip the share lookup
    return page


def case_access(user, case: Case, *, emergency: bool = False) -> CaseAccess | None:
    """How the user sees this case, or None if they may not (the caller answers 404).

    `emergency` lets an unexpired break-the-glass grant count, for the reads that may show it (the case page and
    the API detail); every write asks without it, so emergency access never acts on a case.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    roles = frozenset(a.role for a in user_assignments(user) if _matches(a, case))
    clearances = user_clearances(user)
    if roles and CaseAccess(roles=roles, shared=False).field_groups >= SHARED_FIELD_GROUPS:
        return CaseAccess(roles=roles, shared=False, clearances=clearances)  # a share could add nothing
    shared = bool(_shared_among(user, [case.pk]))
    if not roles and not shared:
        until = break_glass_until(user, case) if emergency else None
        return CaseAccess(roles=frozenset(), shared=False, emergency_until=until) if until else None
    return CaseAccess(roles=roles, shared=shared, clearances=clearances)


def break_glass_until(user, case: Case) -> datetime | None:
    """When the user's latest unexpired emergency grant on this case ends, or None."""
    from django.utils import timezone

    from breakglass.models import BreakGlassGrant  # the grant app sits above cases

    return (BreakGlassGrant.objects.filter(user_id=user.pk, case_id=case.pk, expires_at__gt=timezone.now())
            .order_by("-expires_at").values_list("expires_at", flat=True).first())


def _branch_rows(queryset: QuerySet, size: int, values: tuple[str, ...]):
    """Model instances, or light rows with the same attributes when only `values` are needed (the API list)."""
    if not values:
        return list(queryset[:size])
    return [SimpleNamespace(pk=row["id"], **row) for row in queryset.values(*values)[:size]]


# One page's SQL per (list shape, branch, order, size): building and compiling the ORM query was half of a list
# request's CPU. The keyset is a parameter, so every page of one list uses the same entry.
_compiled_pages: dict[tuple, tuple[str, tuple, int]] = {}
COMPILED_PAGES_KEPT = 1024
KEYSET_PLACEHOLDER = 2**63 - 1  # the largest bigint: "after" it (newest first) is every case


def _compiled_rows(queryset: QuerySet, branch: Q, key: tuple, before_id: int | None) -> list:
    order, size, values = key[2], key[3], key[4]
    entry = _compiled_pages.get(key)
    if entry is None:
        keyset = Q(id__gt=-KEYSET_PLACEHOLDER) if order == "id" else Q(id__lt=KEYSET_PLACEHOLDER)
        query = queryset.filter(branch, keyset).order_by(order).values(*values)[:size].query
        sql, params = query.get_compiler(using=queryset.db).as_sql()
        slots = [i for i, param in enumerate(params) if param in (KEYSET_PLACEHOLDER, -KEYSET_PLACEHOLDER)]
        if len(slots) != 1:
            raise RuntimeError("the page's keyset parameter is not unique")  # never run a guessed substitution
        if len(_compiled_pages) >= COMPILED_PAGES_KEPT:
            _compiled_pages.clear()
        entry = _compiled_pages[key] = (sql, tuple(params), slots[0])
    sql, params, slot = entry
    if before_id is not None:
        params = params[:slot] + (before_id,) + params[slot + 1:]
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        records = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return [SimpleNamespace(pk=record["id"], **record) for record in records]


def case_access_batch(user, cases) -> dict[int, CaseAccess]:
    """`case_access` for a page of cases already known to be visible, with one query for the shares."""
    if all(hasattr(case, "avr_shared") for case in cases):
        shared = {case.pk for case in cases if case.avr_shared}
    else:
        shared = _shared_among(user, [case.pk for case in cases])
    result = {}
    for case in cases:
        roles = frozenset(a.role for a in user_assignments(user) if _matches(a, case))
        result[case.pk] = CaseAccess(roles=roles, shared=case.pk in shared, clearances=user_clearances(user))
    return result


def case_ids_visible_among(user, cases) -> set[int]:
    """Which of these case-like rows (scope columns as attributes) the user may open, without loading cases."""
    assignments = user_assignments(user)
    visible = {case.pk for case in cases if any(_matches(a, case) for a in assignments)}
    rest = [case.pk for case in cases if case.pk not in visible]
    if rest:
        with_user, group_ids = _share_kinds(user)
        if with_user or group_ids:
            visible |= _shared_among(user, rest, with_user=with_user, group_ids=group_ids)
    return visible
