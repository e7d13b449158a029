"""Pages of counselling, screening and approval."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.choices import Role
from audit.models import AuditAction
from audit.services import audit_record
from avr.conflicts import conflict_form
from cases.models import Consent, Member
from cases.permissions import FieldGroup, case_ids_visible_among, user_roles
from cases.selectors import case_next_steps_for_user
from cases.services import StaleVersion
from cases.views import ROLE_REFUSAL, STALE_REFUSAL
from screening import services
from screening.approval import cases_bulk_approve
from screening.forms import (
    BestInterestsForm,
    ConsentForm,
    CounsellingSessionForm,
    DeclarationForm,
    MemberScreeningForm,
    member_screening_initial,
)
from screening.models import Declaration
from screening.queue import approval_queue_page
from screening.uploads import declaration_scan_response
from screening.selectors import (
    best_interests_of,
    case_checklist,
    case_for_screening_read,
    declaration_for_scan,
    member_cards,
    member_for_screening_read,
    member_screening,
)


@login_required
def case_screening(request, pk: int):
    """The screening tab: what is still missing, counselling, and each member's screening, declaration, consents."""
    case, access = case_for_screening_read(user=request.user, case_id=pk, request=request)
    groups = access.field_groups
    return render(request, "screening/case_screening.html", {
        "case": case, "checklist": case_checklist(case), "tab": "screening",
        "sessions": case.counselling_sessions.select_related("counsellor"),
        "cards": member_cards(case, groups), "show_protection": FieldGroup.PROTECTION in groups,
        "show_medical": FieldGroup.MEDICAL in groups, "can_edit": bool(access.roles & {Role.CASEWORKER,
                                                                                       Role.SUPERVISOR}),
        "next_steps": case_next_steps_for_user(case=case, access=access, user=request.user),
        "referrals": case.protection_referrals.all(), "today": timezone.localdate(),
        "show_screening_tab": True,  # the tab bar is shared with the case pages; this page is the tab itself
    })


def form_errors_from(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def save_or_explain(request, form, save) -> bool:
    """Run the service; put its refusals next to the fields. True when saved."""
    try:
        save()
    except ValidationError as exc:
        form_errors_from(form, exc)
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    else:
        return True
    return False


def versioned_save(request, form, save, *, saved_now, **form_kwargs):
    """save_or_explain for a versioned form: (True, form) when saved; after a stale save, the comparison form."""
    try:
        return save_or_explain(request, form, save), form
    except StaleVersion as exc:
        messages.error(request, STALE_REFUSAL)
        return False, conflict_form(form, saved=saved_now(), version=exc.current, **form_kwargs)


def form_page(request, *, case, title: str, form, member=None):
    return render(request, "screening/form_page.html", {"case": case, "title": title, "form": form,
                                                        "member": member})


@login_required
def counselling_session_new(request, pk: int):
    case, _access = case_for_screening_read(user=request.user, case_id=pk, request=request)
    form = CounsellingSessionForm(request.POST or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid() and save_or_explain(
            request, form, lambda: services.counselling_session_record(actor=request.user, case_id=pk,
                                                                       data=form.cleaned_data)):
        messages.success(request, _("Counselling session recorded."))
        return redirect("case_screening", pk=pk)
    return form_page(request, case=case, title=_("Record a counselling session"), form=form)


def member_of_case(request, pk: int, member_id: int):
    member, case, access = member_for_screening_read(user=request.user, member_id=member_id, request=request)
    if case.pk != pk:
        raise Http404
    return member, case, access


@login_required
def member_screening_edit(request, pk: int, member_id: int):
    member, case, access = member_of_case(request, pk, member_id)
    groups = access.field_groups
    current = member_screening(member, groups)
    clearances = {"protection_cleared": FieldGroup.PROTECTION in groups,
                  "medical_cleared": FieldGroup.MEDICAL in groups}
    form = MemberScreeningForm(request.POST or None, initial=member_screening_initial(member, current) or None,
                               **clearances)
    if not request.method == "POST" and not current["protection"]:
        form.initial["screened_on"] = timezone.localdate()
    if request.method == "POST" and form.is_valid():
        saved, form = versioned_save(request, form, lambda: services.member_screening_save(
            actor=request.user, member_id=member.pk, **form.service_arguments()),
            saved_now=lambda: member_screening_initial(member, member_screening(member, groups)), **clearances)
        if saved:
            messages.success(request, _("Screening saved."))
            return redirect("case_screening", pk=pk)
    return render(request, "screening/member_screening.html", {"case": case, "member": member, "form": form})


@login_required
def best_interests_edit(request, pk: int, member_id: int):
    member, case, _access = member_of_case(request, pk, member_id)
    form = BestInterestsForm(request.POST or None, initial=best_interests_initial(best_interests_of(member)))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        saved, form = versioned_save(request, form, lambda: services.best_interests_save(
            actor=request.user, member_id=member.pk, expected_version=version, data=data),
            saved_now=lambda: best_interests_initial(best_interests_of(member)))
        if saved:
            messages.success(request, _("Best-interests determination saved."))
            return redirect("case_screening", pk=pk)
    return form_page(request, case=case, member=member, form=form,
                     title=_("Best-interests determination"))


def best_interests_initial(record) -> dict:
    return {f: getattr(record, f) for f in BestInterestsForm.base_fields} if record else {}


@login_required
def declaration_new(request, pk: int, member_id: int):
    member, case, _access = member_of_case(request, pk, member_id)
    form = DeclarationForm(request.POST or None, request.FILES or None, initial={"signed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid() and save_or_explain(
            request, form, lambda: services.declaration_record(actor=request.user, member_id=member.pk,
                                                               **form.cleaned_data)):
        messages.success(request, _("Signed declaration recorded."))
        return redirect("case_screening", pk=pk)
    return form_page(request, case=case, member=member, form=form,
                     title=_("Record a signed declaration of voluntary return"))


@login_required
@require_POST
def declaration_withdraw(request, pk: int, declaration_id: int):
    in_case(Declaration.objects.filter(pk=declaration_id, member__case_id=pk))
    return one_button(request, pk, lambda: services.declaration_withdraw(
        actor=request.user, declaration_id=declaration_id, reason=request.POST.get("reason", "")),
        _("The declaration was withdrawn."))


@login_required
def declaration_scan(request, pk: int, declaration_id: int):
    declaration = declaration_for_scan(user=request.user, declaration_id=declaration_id, request=request)
    audit_record(actor=request.user, action=AuditAction.DOWNLOAD, request=request, obj=declaration)
    return declaration_scan_response(declaration)


@login_required
def consent_new(request, pk: int, member_id: int):
    member, case, _access = member_of_case(request, pk, member_id)
    form = ConsentForm(request.POST or None, initial={"given_on": timezone.localdate(), "scope": "sharing",
                                                      "type": "explicit"})
    if request.method == "POST" and form.is_valid() and save_or_explain(
            request, form, lambda: services.member_consent_record(actor=request.user, member_id=member.pk,
                                                                  data=form.cleaned_data)):
        messages.success(request, _("Consent recorded."))
        return redirect("case_screening", pk=pk)
    return form_page(request, case=case, member=member, form=form, title=_("Record a consent"))


@login_required
@require_POST
def consent_withdraw(request, pk: int, consent_id: int):
    in_case(Consent.objects.filter(pk=consent_id, case_id=pk))
    return one_button(request, pk, lambda: services.member_consent_withdraw(actor=request.user,
                                                                             consent_id=consent_id),
                      _("The consent was withdrawn."))


@login_required
@require_POST
def protection_flag_resolve(request, pk: int, member_id: int):
    in_case(Member.objects.filter(pk=member_id, case_id=pk))
    return one_button(request, pk, lambda: services.protection_flag_resolve(
        actor=request.user, member_id=member_id, note=request.POST.get("note", "")),
        _("The protection flag was resolved."))


def in_case(records) -> None:
    """The record named in the address belongs to the case named in it, or the page does not exist."""
    if not records.exists():
        raise Http404


def one_button(request, pk: int, action, success: str):
    # Movement and reception staff may see the case but not its screening: "not found", like the other pages.
    case_for_screening_read(user=request.user, case_id=pk)
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(m for errors in exc.message_dict.values() for m in errors))
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    else:
        messages.success(request, success)
    return redirect("case_screening", pk=pk)


@login_required
def approval_queue(request):
    """Cases waiting for a supervisor's decision, oldest first."""
    if Role.SUPERVISOR not in user_roles(request.user):
        raise Http404
    page = approval_queue_page(user=request.user, params=request.GET, request=request)
    return render(request, "screening/approval_queue.html", page)


@login_required
@require_POST
def approval_bulk(request):
    """Approve the ticked cases; each goes through every guard and the page says what happened to each."""
    if Role.SUPERVISOR not in user_roles(request.user):
        raise Http404
    ids = [int(v) for v in request.POST.getlist("case") if v.isdigit()]
    if not ids:
        messages.error(request, _("Tick the cases to approve."))
        return redirect("approval_queue")
    results = cases_bulk_approve(actor=request.user, case_ids=ids, note=request.POST.get("note", ""))
    report_bulk_results(request, results)
    return redirect("approval_queue")


def report_bulk_results(request, results) -> None:
    from cases.models import Case

    cases = list(Case.objects.filter(pk__in=[r.case for r in results]))
    visible = case_ids_visible_among(request.user, cases)
    references = {case.pk: case.reference for case in cases if case.pk in visible}
    for result in results:
        reference = references.get(result.case)
        if result.outcome == "approved":
            messages.success(request, _("%(reference)s approved.") % {"reference": reference})
        elif result.outcome == "refused":
            messages.error(request, _("%(reference)s not approved: %(missing)s") % {
                "reference": reference, "missing": " ".join(u["message"] for u in result.unmet)})
        else:
            messages.error(request, _("Case %(reference)s could not be approved (not found or not yours to "
                                      "approve).") % {"reference": reference or result.case})
