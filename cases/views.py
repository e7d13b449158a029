from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as FilterError

from accounts.choices import Country
from avr.confirm import CASE_QUESTIONS, confirmation_step
from avr.conflicts import conflict_form
from accounts.choices import Role
from cases.choices import OPEN_STATUSES, CaseStatus
from cases.forms import CaseEditForm, MemberForm, PrincipalChangeForm, principal_change_initial
from cases.list_params import case_filters_from, keyset_from, keyset_token
from cases.models import Case
from cases.fields import field_context, field_group, readable
from cases.permissions import CASE_TEAM_ROLES, case_access_batch, cases_visible_to, marked_branches
from cases.registration import RegistrationInvalid, member_as_input, member_update
from cases.selectors import (
    case_filtered,
    case_get_for_user,
    case_list_page,
    case_list_total,
    case_next_steps_for_user,
    case_timeline,
    cases_listed_audit,
    office_and_programme_codes,
)
from cases.services import (
    EDITABLE_CASE_FIELDS,
    InvalidTransition,
    StaleVersion,
    TransitionRefused,
    case_member_split,
    case_principal_change,
    case_transition,
    case_update,
)
from cases.transfers import assignable_caseworkers, case_reassign, case_transfer, transfer_offices
from cases.transitions import transition_refusal

PAGE_SIZE = 25
SELECTED = mark_safe(" selected")
ROLE_REFUSAL = gettext_lazy("Your role cannot make this change.")
STALE_REFUSAL = gettext_lazy("Someone else saved this case after you opened it. Nothing was overwritten: "
                             "check the current values below, then make your change again.")


@login_required
def case_list(request):
    """The cases the user may see, with filters and search; names shown are audited."""
    errors = {}
    try:
        filters = case_filters_from(request.GET, request.user)
    except FilterError as exc:
        filters, errors = {}, exc.detail
    # Worked out once for the page and the total: the share lookup, and a name search's index scan.
    listing = {"branches": marked_branches(request.user), "filtered": case_filtered(Case.objects.all(), filters)}
    page, next_before = case_list_page(user=request.user, filters=filters, before_id=keyset_from(request.GET),
                                       size=PAGE_SIZE, rows_only=True, **listing)
    cases_listed_audit(user=request.user, cases=page, request=request)
    access = case_access_batch(request.user, page)
    total, more_than = case_list_total(user=request.user, filters=filters, **listing)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "rows": [case_list_row(c, access[c.pk].field_groups) for c in page],
        "filters": filters, "errors": errors, "total": total, "more_than": more_than,
        "next_cursor": keyset_token(next_before) if next_before else None, "query": query.urlencode(),
        **filter_options(filters), "vulnerabilities": vulnerability_options(request.user, filters),
    }
    return render(request, "cases/case_list.html", context)


def case_list_row(case, field_groups: frozenset) -> dict:
    """What a row of the list shows, worked out here: the page renders 25 of them on every visit."""
    return {
        "case": case, "id": case.pk, "reference": case.reference, "status_label": CaseStatus(case.status).label,
        "principal": (case.principal_name or "") if field_group("cases.Member.given_names") in field_groups else "—",
        "member_count": case.member_count or 0, "programme": case.programme_code, "office": case.office_code,
        "flagged": case.has_unaccompanied_child or case.has_separated_child or case.is_incomplete,
        "show_vulnerability": field_group("cases.Case.vulnerability_kinds") in field_groups and bool(
            case.has_protection_flag or case.vulnerability_kinds),
    }


def vulnerability_options(user, filters: dict) -> list:
    """The vulnerability filter, for the case team only (the filter itself would tell others who is vulnerable)."""
    from cases.permissions import CASE_TEAM_ROLES, user_roles
    from screening.choices import VulnerabilityKind

    if not (user_roles(user) & CASE_TEAM_ROLES):
        return []
    choices = [("any", _("Any vulnerability"))] + list(VulnerabilityKind.choices)
    return [(value, str(label), filters.get("vulnerability") == value) for value, label in choices]


def filter_options(filters: dict) -> dict:
    """The filter selects' options as markup, built here: a template loop over them costs more than the table."""
    offices, programmes = office_and_programme_codes()
    language = get_language()
    return {
        "statuses": fixed_options("status", filters.get("status"), language),
        "countries": fixed_options("nationality", filters.get("nationality"), language),
        "offices": options_markup(((code, code) for code in offices), filters.get("office")),
        "programmes": options_markup(((code, code) for code in programmes), filters.get("programme")),
    }


def options_markup(choices, selected: str | None) -> str:
    return format_html_join("", '<option value="{}"{}>{}</option>', (
        (value, SELECTED if value == selected else "", label) for value, label in choices))


FIXED_CHOICES = {"status": CaseStatus.choices, "nationality": Country.choices}


@lru_cache(maxsize=None)  # bounded: the filters hold only valid codes, and there are two languages
def fixed_options(name: str, selected: str | None, language: str) -> str:
    """Options of a select whose choices are in the code; `language` keys the cache, the labels are translated."""
    return options_markup(FIXED_CHOICES[name], selected)


@login_required
def case_detail(request, pk: int):
    """One case, showing only the field groups the user may read (an emergency grant included, read-only)."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request, emergency=True)
    from documents.views import case_documents_context  # documents sit above cases

    context = {
        "case": case, "members": case.members.all(), **field_context(access),
        "next_steps": case_next_steps_for_user(case=case, access=access, user=request.user),
        "can_edit": may_edit_case(access), "events": case_timeline(case), "tab": "household",
        "can_export": bool(access.roles & CASE_TEAM_ROLES),
        **case_transfer_context(case, access), **case_documents_context(request, case, access),
    }
    return render(request, "cases/case_detail.html", context)


def case_transfer_context(case, access) -> dict:
    """The supervisor's form to reassign or transfer the case: the caseworkers and offices it may go to."""
    if Role.SUPERVISOR not in access.roles or access.emergency_until or case.status not in OPEN_STATUSES:
        return {"can_transfer": False}
    offices = list(transfer_offices(case))
    return {"can_transfer": True, "transfer_offices": offices,
            "transfer_caseworkers": list(assignable_caseworkers()),
            "transfers": case.transfers.select_related("from_office", "to_office", "to_caseworker", "by")}


@login_required
@require_POST
def case_transfer_view(request, pk: int):
    """The supervisor's reassign / transfer form on the case page; afterwards, back to the case if still theirs."""
    version = request.POST.get("version", "")
    common = {"actor": request.user, "case_id": pk, "reason": request.POST.get("reason", ""),
              "expected_version": int(version) if version.isdigit() else -1}
    try:
        if request.POST.get("action") == "transfer":
            case_transfer(office_id=request.POST.get("office"), caseworker_id=request.POST.get("caseworker") or None,
                          **common)
        else:
            case_reassign(caseworker_id=request.POST.get("caseworker"), **common)
    except StaleVersion:
        messages.error(request, _("Someone else saved this case after you opened it. Nothing was changed: look at "
                                  "the case as it is now, then try again."))
    except ValidationError as exc:
        messages.error(request, " ".join(m for errors in exc.message_dict.values() for m in errors))
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    else:
        messages.success(request, _("The case was given to its new office or caseworker."))
        if not cases_visible_to(request.user).filter(pk=pk).exists():
            return redirect("case_list")
    return redirect(reverse("case_detail", args=[pk]) + "#transfer")


@login_required
def case_travel(request, pk: int):
    """What is known of the journey: country of return, reception centre, seats on movements, travel documents."""
    from travel.views import case_travel_context

    return case_tab(request, pk, "travel", extra=case_travel_context)


@login_required
def case_reception(request, pk: int):
    """Where and to whom the household is expected; its check-ins, handovers, assistance, referrals and closure."""
    from reception.views import case_reception_context

    return case_tab(request, pk, "reception", extra=case_reception_context)


def case_tab(request, pk: int, tab: str, extra=None):
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    context = {"case": case, "members": case.members.all(), "tab": tab, **field_context(access)}
    if extra is not None:
        context |= extra(request, case, access)
    return render(request, f"cases/case_{tab}.html", context)


@login_required
@require_POST
def case_transition_view(request, pk: int):
    """A next-step button on the case page."""
    choices = {name: request.POST[name] for name in ("referred_to", "closure_reason") if request.POST.get(name)}
    back_to = "case_screening" if request.POST.get("tab") == "screening" else "case_detail"
    step = confirmation_step(request, CASE_QUESTIONS, request.POST.get("to", ""), back=reverse(back_to, args=[pk]),
                             may_act=lambda: case_get_for_user(user=request.user, case_id=pk, request=request))
    if step is not None:
        return step
    return case_action(request, pk, lambda: case_transition(
        case_id=pk, to=request.POST.get("to", ""), actor=request.user, note=request.POST.get("note", ""),
        choices=choices), success=lambda case: _("Status changed."), back_to=back_to)


def case_action(request, pk: int, action, *, success, back_to: str = "case_detail"):
    """Run a one-button action of the case page and tell the user how it went, back on the tab they were on."""
    try:
        result = action()
    except InvalidTransition as exc:
        messages.error(request, transition_refusal(exc.from_status, exc.to_status))
    except TransitionRefused as exc:
        messages.error(request, _("Not yet: %(missing)s") % {"missing": " ".join(str(u.message) for u in exc.unmet)})
    except ValidationError as exc:
        messages.error(request, " ".join(m for errors in exc.message_dict.values() for m in errors))
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    else:
        messages.success(request, success(result))
    return redirect(back_to, pk=pk)


@login_required
def case_edit(request, pk: int):
    """Edit the case's own fields; if someone else saved in between, say so and overwrite nothing."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    if not may_edit_case(access):
        return role_refusal_page(request)  # before any form: its initial values are the case's notes
    form = CaseEditForm(request.POST or None, initial=case_edit_initial(case))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in EDITABLE_CASE_FIELDS}
        try:
            case_update(case_id=pk, actor=request.user, expected_version=form.cleaned_data["version"],
                        changes=changes)
        except StaleVersion as exc:
            messages.error(request, STALE_REFUSAL)
            case.refresh_from_db()
            form = conflict_form(form, saved=case_edit_initial(case), version=exc.current)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied:
            messages.error(request, ROLE_REFUSAL)
        else:
            messages.success(request, _("Case saved."))
            return redirect("case_detail", pk=pk)
    return render(request, "cases/case_edit.html", {"case": case, "form": form})


def may_edit_case(access) -> bool:
    """The case team edits the case's own fields, and only if it may read every one of them."""
    return bool(access.roles & CASE_TEAM_ROLES) and all(
        readable(access, f"cases.Case.{name}") for name in EDITABLE_CASE_FIELDS)


def role_refusal_page(request):
    return render(request, "error.html", {"status": 403, "message": ROLE_REFUSAL}, status=403)


def case_edit_initial(case) -> dict:
    return {name: getattr(case, name) for name in EDITABLE_CASE_FIELDS} | {"version": case.version}


@login_required
@require_POST
def member_split_view(request, pk: int, member_id: int):
    """A member leaves the household (to a case of their own, withdrawn or not)."""
    return case_action(request, pk, lambda: case_member_split(
        actor=request.user, case_id=pk, member_id=member_id, withdraw=request.POST.get("withdraw") == "1",
        note=request.POST.get("note", "")),
        success=lambda own: _("The member now has a case of their own: %(reference)s.") % {
            "reference": own.reference})


@login_required
def member_edit(request, pk: int, member_id: int):
    """Correct or complete one member (e.g. after a quick-mode registration), never over a newer save."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    if not may_edit_case(access):
        return role_refusal_page(request)
    member = get_object_or_404(case.members, pk=member_id)
    initial = vars(member_as_input(member, case.intake_date))
    form = MemberForm(request.POST or None, initial=initial)
    posted = request.POST.get("version", "")
    version = int(posted) if posted.isdigit() else case.version
    if request.method == "POST" and form.is_valid():
        try:
            member_update(actor=request.user, member_id=member.pk, expected_version=version,
                          changes=form.cleaned_data)
        except StaleVersion as exc:
            messages.error(request, STALE_REFUSAL)
            version = exc.current
            member.refresh_from_db()
            form = conflict_form(form, saved=vars(member_as_input(member, case.intake_date)), version=version)
        except RegistrationInvalid as exc:
            for field, errors in exc.errors["member_fields"][0].items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied:
            messages.error(request, ROLE_REFUSAL)
        else:
            messages.success(request, _("Member saved."))
            return redirect("case_detail", pk=pk)
    return render(request, "cases/member_edit.html", {"case": case, "member": member, "form": form,
                                                      "version": version})


@login_required
def principal_change(request, pk: int):
    """Make another member the principal (e.g. before the principal leaves the household)."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    if not may_edit_case(access):
        return role_refusal_page(request)
    members = list(case.members.all())
    form = PrincipalChangeForm(request.POST or None, members=members,
                               initial=principal_change_initial(case, members))
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["principal"]
        try:
            case_principal_change(actor=request.user, case_id=pk, expected_version=form.cleaned_data["version"],
                                  principal_id=int(chosen) if chosen.isdigit() else 0,
                                  relationships=form.relationships())
        except StaleVersion as exc:
            messages.error(request, STALE_REFUSAL)
            case.refresh_from_db()
            members = list(case.members.all())
            form = conflict_form(form, saved=principal_change_initial(case, members), version=exc.current,
                                 members=members)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                field = "principal" if field == "member" else field
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied:
            messages.error(request, ROLE_REFUSAL)
        else:
            messages.success(request, _("The principal was changed."))
            return redirect("case_detail", pk=pk)
    rows = [{"member": m, "relationship": form[f"relationship_{m.pk}"]} for m in members]
    return render(request, "cases/principal_change.html", {"case": case, "rows": rows, "form": form})
