"""Browser doors to registration and duplicate review; the rules are the services' (the API calls the same ones)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.choices import Country, Role
from avr.idempotency import IdempotencyKeyReused
from cases.choices import DuplicateDecisionKind
from cases.duplicates import duplicate_comparison
from cases.forms import (
    DuplicateDecisionForm,
    MemberForm,
    RegistrationForm,
    caseworker_offices,
    member_formset,
)
from cases.identity import case_merge_as_duplicate
from cases.models import Case
from cases.registration import (
    ConsentInput,
    DuplicateDocument,
    MemberInput,
    RegistrationInput,
    RegistrationInvalid,
    case_register,
    registration_errors,
)
from cases.selectors import case_get_for_user
from cases.services import member_duplicate_decide

# Service error keys that belong to a differently named form field.
FORM_FIELD_OF = {"consent": "consent_type"}
TEAM_ROLES = {Role.CASEWORKER, Role.SUPERVISOR}
MATCH_REASONS = {
    "document": gettext_lazy("same document number"),
    "phone": gettext_lazy("same phone"),
    "name": gettext_lazy("similar name and date of birth"),
}


@never_cache  # personal data in the re-shown form; and Back must fetch a fresh idempotency key
@login_required
def case_register_view(request):
    """One form for the whole household; `case_register` judges it."""
    if not caseworker_offices(request.user):
        raise PermissionDenied
    form = RegistrationForm(request.POST or None, user=request.user)
    formset = member_formset(request.POST or None)
    household_errors, duplicates = [], []
    if request.method == "POST":
        parsed = form.is_valid() & formset.is_valid()  # both, so that every parse error shows at once
        people = formset.typed_forms()
        data = registration_input(form, people)
        try:
            if parsed:
                return registered(request, case_register(
                    actor=request.user, data=data, confirm_duplicates=form.cleaned_data["confirm_duplicates"],
                    idempotency_key=form.cleaned_data["idempotency_key"] or None))
            household_errors = errors_shown(registration_errors(data, actor=request.user), form, people)
        except RegistrationInvalid as exc:
            household_errors = errors_shown(exc.errors, form, people)
        except DuplicateDocument as exc:
            duplicates = duplicates_by_member(exc.candidates, people)
        except IdempotencyKeyReused as exc:
            household_errors = exc.messages
    has_errors = bool(household_errors or form.errors or formset.total_error_count())
    context = {"form": form, "formset": formset, "household_errors": household_errors, "duplicates": duplicates,
               "has_errors": has_errors}
    return render(request, "cases/register.html", context)


def registration_input(form: RegistrationForm, people: list[MemberForm]) -> RegistrationInput:
    """What was typed, as the service's input; a field that did not parse counts as not given."""
    case = form.cleaned_data
    members = [MemberInput(**{name: value for name, value in person.cleaned_data.items() if value is not None})
               for person in people]
    consent_type = case.get("consent_type", "")
    return RegistrationInput(
        programme=case.get("programme"), office=case.get("office"),
        destination_country=case.get("destination_country", ""),
        consent=ConsentInput(type=consent_type, reason=case.get("consent_reason", ""),
                             given_on=case.get("consent_date")) if consent_type else None,
        members=members, how_heard=case.get("how_heard", ""), intake_date=case.get("intake_date"),
        caseworker_notes=case.get("caseworker_notes", ""), quick=bool(case.get("quick")),
    )


def errors_shown(errors: dict, form: RegistrationForm, people: list[MemberForm]) -> list[str]:
    """Put each service error next to its field (unless the field already failed to parse); returns the rest."""
    errors = dict(errors)
    for index, member_errors in errors.pop("member_fields", {}).items():
        field_errors_add(people[index], member_errors)
    household = errors.pop("members", [])
    field_errors_add(form, {FORM_FIELD_OF.get(key, key): texts for key, texts in errors.items()})
    return household


def field_errors_add(form, errors: dict) -> None:
    for name, field_messages in errors.items():
        if name in form.fields and name in form.errors:
            continue
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


def duplicates_by_member(candidates: list[dict], people: list[MemberForm]) -> list[dict]:
    """The candidates of a refused registration, grouped under the member (as typed) they may be."""
    grouped = {}
    for candidate in candidates:
        grouped.setdefault(candidate["for_member"], []).append(candidate_shown(candidate))
    countries = dict(Country.choices)
    return [{"member": people[index].cleaned_data, "candidates": found,
             "nationality": countries.get(people[index].cleaned_data["nationality"], "")}
            for index, found in sorted(grouped.items())]


def candidate_shown(candidate: dict) -> dict:
    return {**candidate, "reason_labels": [MATCH_REASONS.get(r, r) for r in candidate["reasons"]]}


def registered(request, result):
    """To the duplicates to review if there are any, else to the case page."""
    case = result.case
    if result.replayed:
        messages.info(request, _("Case %(reference)s was already registered: the form was sent twice.")
                      % {"reference": case.reference})
        return redirect("case_duplicates", pk=case.pk)
    if result.possible_duplicates:
        messages.success(request, _("Case %(reference)s registered. Check the possible duplicates below.")
                         % {"reference": case.reference})
        return redirect("case_duplicates", pk=case.pk)
    messages.success(request, _("Case %(reference)s registered.") % {"reference": case.reference})
    return redirect("case_detail", pk=case.pk)


@login_required
def case_duplicates(request, pk: int):
    """Each member of the case beside the people it may be; the caseworker decides same or different."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    if not access.roles & TEAM_ROLES:
        raise PermissionDenied
    if request.method == "POST":
        duplicate_decide(request, case)
        return redirect("case_duplicates", pk=case.pk)
    reviews = duplicate_comparison(user=request.user, case=case, access=access, request=request)
    context = {"case": case, "reviews": reviews, "members": case.members.all(), "reason_labels": MATCH_REASONS,
               "to_decide": any(review.candidates for review in reviews)}
    return render(request, "cases/duplicates.html", context)


def duplicate_decide(request, case: Case) -> None:
    form = DuplicateDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The answer could not be read; please try again."))
        return
    if not case.members.filter(pk=form.cleaned_data["member"]).exists():
        raise Http404
    try:
        member_duplicate_decide(actor=request.user, member_id=form.cleaned_data["member"],
                                candidate_id=form.cleaned_data["candidate"], decision=form.cleaned_data["decision"])
    except ValidationError as exc:
        for error in exc.message_dict.values():
            messages.error(request, " ".join(error))
    else:
        messages.success(request, _("Linked: they are the same person.")
                         if form.cleaned_data["decision"] == DuplicateDecisionKind.SAME
                         else _("Recorded: they are different people."))


@login_required
@require_POST
def case_merge(request, pk: int):
    """Withdraw this case as a duplicate of another case of the same person (the kept one); both keep their history."""
    from cases.views import case_action

    case_get_for_user(user=request.user, case_id=pk, request=request)
    kept = request.POST.get("kept_case", "")
    if not kept.isdigit():
        raise Http404
    return case_action(request, pk, lambda: case_merge_as_duplicate(
        actor=request.user, case_id=pk, kept_case_id=int(kept), note=request.POST.get("note", "")),
        success=lambda case: _("Merged: this case is withdrawn as a duplicate."))
