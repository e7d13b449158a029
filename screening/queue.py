"""The supervisors' approval queue: visible cases waiting for a decision, oldest submission first."""

from django.utils import timezone

from accounts.models import Office, Programme
from cases.choices import CaseStatus
from cases.identity import linked_cases_of
from cases.models import Case
from cases.permissions import case_ids_visible_among, cases_visible_to
from cases.selectors import case_filtered, case_summaries, cases_listed_audit
from screening.choices import VulnerabilityKind

QUEUE_SIZE = 100


def approval_queue_filters(params) -> dict:
    filters = {}
    if params.get("office") and Office.objects.filter(code=params["office"]).exists():
        filters["office"] = params["office"]
    if params.get("programme") and Programme.objects.filter(code=params["programme"]).exists():
        filters["programme"] = params["programme"]
    if params.get("umc") in ("1", "true", "on"):
        filters["umc"] = True
    if params.get("vulnerability") in VulnerabilityKind.values or params.get("vulnerability") == "any":
        filters["vulnerability"] = params["vulnerability"]
    return filters


def approval_queue_cases(user, filters: dict) -> list[Case]:
    # The case list's own filters (office, programme, umc, vulnerability), on the pending cases the user sees.
    pending = cases_visible_to(user, Case.objects.filter(status=CaseStatus.PENDING_APPROVAL))
    queryset = case_summaries(case_filtered(pending, filters)).select_related("submitted_by").defer(None)
    return list(queryset.order_by("submitted_at", "id")[:QUEUE_SIZE])


def approval_queue_page(*, user, params, request=None) -> dict:
    filters = approval_queue_filters(params)
    cases = approval_queue_cases(user, filters)
    cases_listed_audit(user=user, cases=cases, request=request)
    now = timezone.now()
    links = same_person_links_of(user, cases)
    rows = [{"case": case, "waiting_days": (now - case.submitted_at).days if case.submitted_at else None,
             "submitted_by": submitter_name(case),
             "own": user.pk in (case.created_by_id, case.submitted_by_id), "same_person": links.get(case.pk, [])}
            for case in cases]
    return {
        "rows": rows, "filters": filters, "full": len(cases) == QUEUE_SIZE,
        "offices": Office.objects.order_by("code").values_list("code", flat=True),
        "programmes": Programme.objects.order_by("code").values_list("code", flat=True),
        "vulnerabilities": [("any", None)] + list(VulnerabilityKind.choices),
    }


def submitter_name(case) -> str:
    """Who submitted the case; empty for a case that reached the queue without a recorded submitter."""
    submitter = case.submitted_by
    return (submitter.get_full_name() or submitter.username) if submitter is not None else ""


def same_person_links_of(user, cases) -> dict[int, list[dict]]:
    """Each queued case's other cases of the same person, with the reference only where the user may open it."""
    linked = linked_cases_of(cases)
    others = {link.case.pk: link.case for found in linked.values() for link in found}
    visible = case_ids_visible_among(user, list(others.values()))
    return {case_id: [{"case_id": link.case.pk, "status_label": CaseStatus(link.case.status).label,
                       "active": link.active,
                       "reference": link.case.reference if link.case.pk in visible else None} for link in found]
            for case_id, found in linked.items()}
