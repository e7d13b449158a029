"""Pages of movements (plan, book, escort, depart) and of travel documents; the rules live in travel.services."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.choices import OfficeKind, Role
from accounts.models import Office
from avr.confirm import MOVEMENT_QUESTIONS, confirmation_step
from avr.conflicts import EMPTY, Difference, canonical, conflict_form, decided, loaded_from, loaded_token, shown
from cases.models import Case
from cases.selectors import case_get_for_user, cases_listed_audit
from cases.services import InvalidTransition, StaleVersion, TransitionRefused
from cases.transitions import transition_refusal
from cases.views import ROLE_REFUSAL
from travel import services
from travel.choices import OPEN_FOR_BOOKING, BookingStatus, MovementStatus
from travel.forms import (
    BookingForm,
    BorderSupportForm,
    EscortForm,
    MovementForm,
    TravelDocumentForm,
    leg_formset,
    legs_from,
)
from travel.models import Booking
from travel.permissions import movement_for_user, movement_roles, movement_scope, movements_visible_to
from travel.rules import MOVEMENT_ALLOWED, MOVEMENT_GUARDS
from travel.selectors import (
    bookable_cases,
    case_documents,
    households_held,
    movement_get,
    movement_summary,
    movements_for_user,
    passengers_for,
)

STALE_MOVEMENT = gettext_lazy("Someone else saved this movement after you opened it. Nothing was overwritten: "
                              "check the current values below, then make your change again.")
LEGS_LOADED = "legs_loaded"
MANIFEST_FORMATS = [("movement_manifest_pdf", "PDF"), ("movement_manifest_csv", "CSV"),
                    ("movement_manifest_xlsx", "XLSX")]
DOCUMENT_ROLES = {Role.MOVEMENT_OFFICER, Role.CASEWORKER, Role.SUPERVISOR}


def minutes(moment):
    return moment.replace(second=0, microsecond=0) if moment else moment


def errors_onto(form, exc: ValidationError, *, elsewhere: dict | None = None) -> None:
    """A service's refusals next to the fields they are about; those of no field of this form go to `elsewhere`."""
    for field, errors in exc.message_dict.items():
        if elsewhere is not None and field not in form.fields and field != "__all__":
            elsewhere.setdefault(field, []).extend(errors)
        else:
            form.add_error(field if field in form.fields else None, errors)


@login_required
def movement_list(request):
    """The movements the user may see, soonest departure first."""
    if movement_scope(request.user) is None:
        raise Http404
    filters = {"status": request.GET.get("status", ""), "reception_centre": request.GET.get("reception_centre", "")}
    movements = movements_for_user(user=request.user, filters=filters)
    centres = Office.objects.filter(kind=OfficeKind.RECEPTION_CENTRE).order_by("country", "name")
    return render(request, "travel/movement_list.html", {
        "movements": movements, "filters": filters, "can_plan": bool(services.officer_countries(request.user)),
        "statuses": [(v, label, filters["status"] == v) for v, label in MovementStatus.choices],
        "centres": [(c.code, c.name, filters["reception_centre"] == c.code) for c in centres],
    })


@login_required
def movement_new(request):
    """Plan a bus convoy or a flight from an office of the officer's country."""
    countries = services.officer_countries(request.user)
    if not countries:
        raise Http404
    form = MovementForm(request.POST or None, countries=countries)
    legs = leg_formset(request.POST or None)
    legs_errors: dict = {}
    if request.method == "POST" and form.is_valid() & legs.is_valid():
        try:
            movement = services.movement_create(actor=request.user, data=form.cleaned_data, legs=legs_from(legs))
        except ValidationError as exc:
            errors_onto(form, exc, elsewhere=legs_errors)
        else:
            messages.success(request, _("Movement %(reference)s planned.") % {"reference": movement.reference})
            return redirect("movement_detail", pk=movement.pk)
    return render(request, "travel/movement_form.html", {
        "form": form, "legs": legs, "legs_errors": legs_errors.get("legs", []), "title": _("Plan a movement")})


@login_required
def movement_edit(request, pk: int):
    """Change a planned or confirmed movement; if someone else saved in between, say so and overwrite nothing."""
    movement = movement_for_user(user=request.user, movement_id=pk)
    if Role.MOVEMENT_OFFICER not in movement_roles(request.user, movement):
        raise Http404
    form = MovementForm(request.POST or None, initial=movement_initial(movement), editing=True)
    legs = leg_formset(request.POST or None, legs=movement.legs.all(), blank_rows=2)
    legs_token = request.POST.get(LEGS_LOADED) or loaded_token(legs_canonical(saved_legs(movement)))
    legs_errors: dict = {}
    if request.method == "POST" and form.is_valid() & legs.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data
                   if name in services.EDITABLE_MOVEMENT_FIELDS}
        try:
            services.movement_update(actor=request.user, movement_id=pk, changes=changes,
                                     expected_version=form.cleaned_data["version"] or 0,
                                     legs=legs_from(legs) if legs.has_changed() else None)
        except StaleVersion as exc:
            messages.error(request, STALE_MOVEMENT)
            movement.refresh_from_db()
            form, legs, legs_token = movement_conflict(request, form, legs, movement, exc.current)
        except ValidationError as exc:
            errors_onto(form, exc, elsewhere=legs_errors)
        except PermissionDenied:
            messages.error(request, ROLE_REFUSAL)
        else:
            messages.success(request, _("Movement saved."))
            return redirect("movement_detail", pk=pk)
    return render(request, "travel/movement_form.html", {
        "form": form, "legs": legs, "legs_errors": legs_errors.get("legs", []), "movement": movement,
        "legs_loaded": {"name": LEGS_LOADED, "token": legs_token},
        "title": _("Edit movement %(reference)s") % {"reference": movement.reference}})


def movement_initial(movement) -> dict:
    initial = {name: getattr(movement, name) for name in services.EDITABLE_MOVEMENT_FIELDS}
    # The page shows minutes: seconds left in the initial value would make an untouched field look changed.
    return initial | {"version": movement.version, "departure_at": minutes(movement.departure_at)}


def saved_legs(movement) -> list[dict]:
    return [{"crossing_point": leg.crossing_point, "expected_at": leg.expected_at} for leg in movement.legs.all()]


def legs_canonical(legs) -> list:
    return [[leg["crossing_point"], canonical(forms.DateTimeField(), leg["expected_at"])] for leg in legs]


def legs_shown(legs) -> str:
    return "\n".join(f"{leg['crossing_point']} · {shown(forms.DateTimeField(), leg['expected_at'])}"
                      for leg in legs) or EMPTY


def movement_conflict(request, form, legs, movement, version: int):
    """The movement form again after a stale save: its fields, then its legs, decided like one more field."""
    form = conflict_form(form, saved=movement_initial(movement), version=version, editing=True)
    saved, typed = saved_legs(movement), legs_from(legs)
    keeps_yours, show = decided(loaded_from(request.POST, LEGS_LOADED), legs_canonical(typed), legs_canonical(saved))
    if not keeps_yours:
        legs = leg_formset(legs=movement.legs.all(), blank_rows=2)
    if show:
        form.conflict.differences.append(Difference(name="legs", label=str(_("Legs")), saved=legs_shown(saved),
                                                    yours=legs_shown(typed), keeps_yours=keeps_yours))
    return form, legs, loaded_token(legs_canonical(saved))


@login_required
def movement_detail(request, pk: int):
    return detail_page(request, pk)


def detail_page(request, pk: int, *, booking_form=None, refusal=None, escort_form=None, support_form=None):
    """The movement with its passengers; forms that were refused come back with what was wrong."""
    movement = movement_get(user=request.user, movement_id=pk, request=request)
    roles = movement_roles(request.user, movement)
    manages = Role.MOVEMENT_OFFICER in roles
    bookings, everyone = passengers_for(user=request.user, movement=movement, request=request)
    households_mark(bookings)
    on_board = [b for b in bookings if b.status in (BookingStatus.BOOKED, BookingStatus.BOARDED)]
    is_open = movement.status in OPEN_FOR_BOOKING
    context = {
        "movement": movement, "passengers": bookings, "summary": movement_summary(movement, everyone),
        "not_shown": len(everyone) - len(bookings),
        "legs": movement.legs.all(), "escorts": movement.escorts.prefetch_related("members"),
        "support": movement.border_support.all(), "manages": manages, "is_open": is_open,
        "manifests": manifest_links(movement),
        "refusal": refusal, "can_record_support": manages and movement.status in (
            MovementStatus.CONFIRMED, MovementStatus.DEPARTED, MovementStatus.ARRIVED),
        "boarding": [b for b in bookings if b.status == BookingStatus.BOOKED],
        "case_links": {b.case_id for b in bookings},  # every household shown is one the user may open
        # The centre is not told about households that are no longer coming, only those who plan the movement.
        "moves": movement_moves(movement) if manages else {},
        "held": households_held(movement, request.user) if movement.status in OPEN_FOR_BOOKING
        and roles & {Role.MOVEMENT_OFFICER, Role.SUPERVISOR} else [],
    }
    if manages and is_open:
        bookable = bookable_cases(request.user, movement, request.GET.get("q", ""))
        cases_listed_audit(user=request.user, cases=bookable, request=request)
        context |= {"bookable": bookable, "q": request.GET.get("q", ""),
                    "booking_form": booking_form or BookingForm(),
                    "escort_form": escort_form or EscortForm(passengers=on_board)}
    if context["can_record_support"]:
        context["support_form"] = support_form or BorderSupportForm(initial={"given_at": timezone.localtime()})
    return render(request, "travel/movement_detail.html", context)


def movement_moves(movement) -> dict:
    """The movement's next moves from its lifecycle table (travel.rules), each with what still keeps it back."""
    return {to: [u for name in move.guards for u in MOVEMENT_GUARDS[name](movement)]
            for to, move in MOVEMENT_ALLOWED.get(movement.status, {}).items()}


def households_mark(bookings) -> None:
    """Mark the first seat of each household (where its unbook button goes) and whether it is still booked."""
    seen: set[int] = set()
    booked = {b.case_id for b in bookings if b.status == BookingStatus.BOOKED}
    for booking in bookings:
        booking.first_of_household = booking.case_id not in seen
        booking.household_booked = booking.case_id in booked
        seen.add(booking.case_id)


def manifest_links(movement) -> list[tuple[str, str]]:
    """The manifest downloads that exist in this installation."""
    links = []
    for name, label in MANIFEST_FORMATS:
        try:
            links.append((reverse(name, args=[movement.pk]), label, name))
        except NoReverseMatch:
            continue
    return links


def officer_action(request, pk: int, action, *, success: str):
    """Run a one-button action of the movement page; the movement must be visible (else 404) before anything."""
    movement_for_user(user=request.user, movement_id=pk)
    try:
        action()
    except services.InvalidMovementTransition as exc:
        labels = dict(MovementStatus.choices)
        messages.error(request, _("A movement cannot go from “%(from)s” to “%(to)s”.") % {
            "from": labels.get(exc.from_status, exc.from_status), "to": labels.get(exc.to_status, exc.to_status)})
    except services.DepartureRefused as exc:
        messages.error(request, _("Some households boarded only in part (%(references)s): a household travels "
                                  "together, so tick all of its members or none, or move whoever stays to a case "
                                  "of their own first.") % {"references": ", ".join(exc.references)})
    except (TransitionRefused, services.MovementRefused) as exc:
        messages.error(request, _("Not yet: %(missing)s") % {"missing": " ".join(str(u.message) for u in exc.unmet)})
    except InvalidTransition as exc:
        messages.error(request, transition_refusal(exc.from_status, exc.to_status))
    except ValidationError as exc:
        messages.error(request, " ".join(m for errors in exc.message_dict.values() for m in errors))
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    else:
        messages.success(request, success)
    return redirect("movement_detail", pk=pk)


def officer_or_refused(request, pk: int):
    """The movement for a POST: 404 if it may not be seen; None (and the refusal said) if the user does not manage it."""
    movement = movement_for_user(user=request.user, movement_id=pk)
    if Role.MOVEMENT_OFFICER not in movement_roles(request.user, movement):
        messages.error(request, ROLE_REFUSAL)
        return None
    return movement


@login_required
@require_POST
def movement_book(request, pk: int):
    """Book a whole household; a refusal lists everything that is missing."""
    movement = officer_or_refused(request, pk)
    if movement is None:
        return redirect("movement_detail", pk=pk)
    form = BookingForm(request.POST)
    if not form.is_valid():
        return detail_page(request, pk, booking_form=form)
    try:
        services.case_book(actor=request.user, movement_id=pk, case_id=form.cleaned_data["case"])
    except TransitionRefused as exc:
        return detail_page(request, pk, booking_form=form, refusal=exc.unmet)
    except InvalidTransition as exc:
        form.add_error("case", transition_refusal(exc.from_status, exc.to_status))
        return detail_page(request, pk, booking_form=form)
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    except Http404:
        form.add_error("case", _("There is no approved case with this number among yours."))
        return detail_page(request, pk, booking_form=form)
    except ValidationError as exc:
        form.add_error("case", [m for errors in exc.message_dict.values() for m in errors])
        return detail_page(request, pk, booking_form=form)
    else:
        reference = Case.objects.values_list("reference", flat=True).get(pk=form.cleaned_data["case"])
        messages.success(request, _("%(reference)s booked on %(movement)s.") % {
            "reference": reference, "movement": movement.reference})
    return redirect("movement_detail", pk=pk)


@login_required
@require_POST
def movement_unbook(request, pk: int, case_id: int):
    return officer_action(request, pk, lambda: services.case_unbook(actor=request.user, movement_id=pk,
                                                                    case_id=case_id),
                          success=_("The household was taken off the movement; its case is approved again."))


@login_required
@require_POST
def movement_transition_view(request, pk: int):
    """Confirm, cancel, record the departure (with who boarded) or mark the movement arrived."""
    to = request.POST.get("to", "")
    step = confirmation_step(request, MOVEMENT_QUESTIONS, to, back=reverse("movement_detail", args=[pk]),
                             may_act=lambda: Role.MOVEMENT_OFFICER in movement_roles(
                                 request.user, movement_for_user(user=request.user, movement_id=pk)))
    if step is not None:
        return step
    boarded = [int(v) for v in request.POST.getlist("boarded") if v.isdigit()]
    success = {MovementStatus.CONFIRMED: _("Movement confirmed."), MovementStatus.CANCELLED: _("Movement cancelled."),
               MovementStatus.DEPARTED: _("Departure recorded."),
               MovementStatus.ARRIVED: _("Movement marked as arrived.")}.get(to, _("Status changed."))
    return officer_action(request, pk, lambda: services.movement_transition(
        actor=request.user, movement_id=pk, to=to, boarded=boarded), success=success)


@login_required
@require_POST
def escort_new(request, pk: int):
    movement = officer_or_refused(request, pk)
    if movement is None:
        return redirect("movement_detail", pk=pk)
    form = EscortForm(request.POST, passengers=movement.bookings.filter(
        status__in=[BookingStatus.BOOKED, BookingStatus.BOARDED]).select_related("member"))
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("name", "kind", "phone")}
        try:
            services.escort_add(actor=request.user, movement_id=pk, data=data, member_ids=form.cleaned_data["members"])
        except ValidationError as exc:
            errors_onto(form, exc)
        except PermissionDenied:
            messages.error(request, ROLE_REFUSAL)
            return redirect("movement_detail", pk=pk)
        else:
            messages.success(request, _("Escort added."))
            return redirect("movement_detail", pk=pk)
    return detail_page(request, pk, escort_form=form)


@login_required
@require_POST
def border_support_new(request, pk: int):
    if officer_or_refused(request, pk) is None:
        return redirect("movement_detail", pk=pk)
    form = BorderSupportForm(request.POST)
    if form.is_valid():
        try:
            services.border_support_record(actor=request.user, movement_id=pk, data=form.cleaned_data)
        except ValidationError as exc:
            errors_onto(form, exc)
        except PermissionDenied:
            messages.error(request, ROLE_REFUSAL)
            return redirect("movement_detail", pk=pk)
        else:
            messages.success(request, _("Support recorded."))
            return redirect("movement_detail", pk=pk)
    return detail_page(request, pk, support_form=form)


@login_required
def travel_document_new(request, pk: int, member_id: int):
    """Record a member's passport or consular document, or a new status of it (movement officers, the case team)."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    member = case.members.filter(pk=member_id).first()
    if member is None or not access.roles & DOCUMENT_ROLES:
        raise Http404
    form = TravelDocumentForm(request.POST or None, initial={"status": "requested", "type": "consular_document"})
    if request.method == "POST" and form.is_valid():
        try:
            services.travel_document_record(actor=request.user, member_id=member.pk, data=form.cleaned_data)
        except ValidationError as exc:
            errors_onto(form, exc)
        except PermissionDenied:
            messages.error(request, ROLE_REFUSAL)
        else:
            messages.success(request, _("Travel document recorded."))
            return redirect("case_travel", pk=pk)
    elif request.method == "POST":
        # Every error in one round: the service's checks on what did parse, beside the fields' own errors.
        for name, errors in services.travel_document_errors(form.cleaned_data).items():
            if name not in form.errors:
                form.add_error(name, errors)
    return render(request, "travel/travel_document_form.html", {"case": case, "member": member, "form": form})


def case_travel_context(request, case, access) -> dict:
    """The case's travel tab: its seats on movements and each member's travel documents."""
    bookings = list(Booking.objects.filter(case=case).exclude(status=BookingStatus.CANCELLED)
                    .select_related("movement", "member").order_by("-movement__departure_at", "seat"))
    visible = set(movements_visible_to(request.user).filter(pk__in={b.movement_id for b in bookings})
                  .values_list("pk", flat=True))
    for booking in bookings:
        booking.movement_visible = booking.movement_id in visible
    documents: dict[int, list] = {}
    for document in case_documents(case):
        documents.setdefault(document.member_id, []).append(document)
    return {"bookings": bookings, "can_record_documents": bool(access.roles & DOCUMENT_ROLES),
            "documents": [(m, documents.get(m.pk, [])) for m in case.members.all()]}


