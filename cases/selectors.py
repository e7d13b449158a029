"""Every read of cases goes through here, and through the one visibility rule."""

from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.choices import Role
from audit.models import AuditAction
from audit.services import audit_record
from cases.choices import OPEN_STATUSES, CaseStatus
from cases.models import Case
from cases.permissions import CaseAccess, case_access, cases_visible_to, user_assignments

LIST_FILTERS = ("status", "programme", "office", "nationality")


def case_list_for_user(*, user, filters: dict | None = None) -> QuerySet:
    """Cases the user may see, filtered by status / programme code / office code / nationality."""
    filters = filters or {}
    queryset = cases_visible_to(user).select_related("programme", "registering_office", "reception_centre")
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("programme"):
        queryset = queryset.filter(programme__code=filters["programme"])
    if filters.get("office"):
        queryset = queryset.filter(registering_office__code=filters["office"])
    if filters.get("nationality"):
        queryset = queryset.filter(members__relationship="principal", members__nationality=filters["nationality"])
    return queryset


def case_get_for_user(*, user, case_id, request=None) -> tuple[Case, CaseAccess]:
    """One case and how the user sees it; 404 if they may not, and the view is written to the audit log."""
    try:
        case = Case.objects.select_related("programme", "registering_office", "reception_centre").get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    access = case_access(user, case)
    if access is None:
        raise Http404
    audit_record(actor=user, action=AuditAction.VIEW, request=request, obj=case)
    return case, access


def cases_listed_audit(*, user, cases, request=None) -> None:
    """Write that these cases' names were shown to the user (one row per page, not per case)."""
    ids = [case.pk for case in cases]
    if ids:
        audit_record(actor=user, action=AuditAction.LIST, request=request, object_type="cases.case", object_ids=ids)


def home_sections_for_user(*, user) -> dict:
    """What each of the user's roles sees first on the home page."""
    roles = {a.role for a in user_assignments(user)}
    visible = cases_visible_to(user).select_related("registering_office", "reception_centre").prefetch_related("members")
    sections = {}
    if Role.CASEWORKER in roles:
        offices = [a.office_id for a in user_assignments(user) if a.role == Role.CASEWORKER]
        sections["office_cases"] = list(
            visible.filter(registering_office_id__in=offices, status__in=OPEN_STATUSES).order_by("-id")[:25]
        )
    if Role.SUPERVISOR in roles:
        sections["approvals"] = list(visible.filter(status=CaseStatus.PENDING_APPROVAL).order_by("updated_at")[:25])
    if Role.MOVEMENT_OFFICER in roles:
        sections["to_book"] = list(visible.filter(status=CaseStatus.APPROVED).order_by("updated_at")[:25])
    if Role.RECEPTION_STAFF in roles:
        sections["arrivals"] = list(
            visible.filter(status__in=[CaseStatus.BOOKED, CaseStatus.IN_TRANSIT]).order_by("updated_at")[:25]
        )
    if Role.ADMIN in roles:
        sections["pipeline"] = case_pipeline_counts()
    return sections


def case_pipeline_counts() -> list[dict]:
    """Aggregates only: cases per programme and status (no personal data)."""
    rows = Case.objects.values("programme__code", "status").annotate(total=Count("id")).order_by("programme__code")
    labels = dict(CaseStatus.choices)
    return [{"programme": r["programme__code"], "status": labels[r["status"]], "total": r["total"]} for r in rows]
