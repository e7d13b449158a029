from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as FilterError

from accounts.choices import Country
from accounts.models import Office, Programme
from cases.api.views import case_filters_from
from cases.choices import CaseStatus
from cases.permissions import FieldGroup, case_access_batch
from cases.selectors import case_get_for_user, case_list_for_user, case_next_steps_for_user, cases_listed_audit
from cases.services import InvalidTransition, case_transition

PAGE_SIZE = 25


@login_required
def case_list(request):
    """The cases the user may see, with filters; names shown are audited."""
    errors = {}
    try:
        filters = case_filters_from(request.GET)
    except FilterError as exc:
        filters, errors = {}, exc.detail
    cases = case_list_for_user(user=request.user, filters=filters).order_by("-id")
    after = request.GET.get("after", "")
    if after.isdigit():
        cases = cases.filter(id__lt=int(after))
    page = list(cases.prefetch_related("members")[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    cases_listed_audit(user=request.user, cases=page, request=request)
    access = case_access_batch(request.user, page)
    rows = [{"case": c, "show_identity": FieldGroup.IDENTITY in access[c.pk].field_groups} for c in page]
    context = {
        "rows": rows, "filters": filters, "errors": errors, "has_more": has_more,
        "next_after": page[-1].pk if has_more else None,
        "statuses": CaseStatus.choices, "countries": Country.choices,
        "offices": Office.objects.order_by("code"), "programmes": Programme.objects.order_by("code"),
    }
    return render(request, "cases/case_list.html", context)


@login_required
def case_detail(request, pk: int):
    """One case, showing only the field groups the user may read."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    groups = access.field_groups
    context = {
        "case": case, "members": case.members.all(),
        "show_identity": FieldGroup.IDENTITY in groups, "show_travel": FieldGroup.TRAVEL in groups,
        "show_notes": FieldGroup.CASE_NOTES in groups, "show_medical_flag": FieldGroup.MEDICAL_FLAG in groups,
        "next_steps": case_next_steps_for_user(case=case, access=access),
        "events": case.events.select_related("actor").order_by("at", "id"),
    }
    return render(request, "cases/case_detail.html", context)


@login_required
@require_POST
def case_transition_view(request, pk: int):
    """A next-step button on the case page."""
    to = request.POST.get("to", "")
    try:
        case_transition(case_id=pk, to=to, actor=request.user, note=request.POST.get("note", ""))
    except InvalidTransition as exc:
        labels = dict(CaseStatus.choices)
        messages.error(request, _("A case cannot move from “%(from)s” to “%(to)s”.") % {
            "from": labels[exc.from_status], "to": labels.get(exc.to_status, exc.to_status)})
    except ValidationError as exc:
        for error in exc.message_dict.values():
            messages.error(request, " ".join(error))
    except PermissionDenied:
        messages.error(request, _("Your role cannot make this change."))
    else:
        messages.success(request, _("Status changed."))
    return redirect("case_detail", pk=pk)
