"""Pages of the reception centre: arrivals, check-in, handover, assistance, kits, referrals, follow-up, closure.

Only the reception staff of the centre a household is bound for use them; anyone else gets 404. The rules live in
reception.services; these views parse, call one service and render. Nothing here reads counselling notes, the
protection narrative or medical detail: only the "needs medical attention" flag.
"""

import re
import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from accounts.choices import Role
from audit.models import AuditAction
from audit.services import audit_record
from avr.confirm import CASE_QUESTIONS, confirmation_step
from avr.conflicts import conflict_form, loaded_from
from cases.choices import CaseStatus, ConsentScope
from cases.fields import readable
from cases.models import Consent, Member
from cases.permissions import cases_visible_to, user_assignments
from cases.selectors import case_get_for_user, cases_listed_audit
from cases.services import InvalidTransition, StaleVersion, TransitionRefused
from cases.transitions import transition_refusal
from reception import services
from reception.choices import AssistanceKind, ReferralStatus, Service
from reception.forms import (
    AUTHORITY_BY_COUNTRY,
    CURRENCY_BY_COUNTRY,
    AssistanceForm,
    CaseCloseForm,
    CheckInForm,
    FollowUpForm,
    HandoverForm,
    KitDeliveryForm,
    ReferralConsentForm,
    ReferralForm,
    ReferralUpdateForm,
)
from reception.models import Assistance, CheckIn, FollowUp, Handover, KitDelivery, Referral
from reception.pdf import assistance_receipt_pdf, referral_slip_pdf
from reception.rules import arrival_unmet
from reception.selectors import arrivals_for_user
from rights.services import consent_withdraw as consent_withdraw_service
from travel.choices import BookingStatus
from travel.models import Booking
from travel.selectors import movement_summary, passengers

ROLE_REFUSAL = gettext_lazy("Your role cannot make this change.")
STALE_REFERRAL = gettext_lazy("Someone else updated this referral after you opened the list. Nothing was "
                              "overwritten: check its current status below, then make your change again.")
OPEN_REFERRALS = [ReferralStatus.SENT, ReferralStatus.ACCEPTED]
CLOSERS = frozenset({Role.SUPERVISOR, Role.RECEPTION_STAFF})
FOLLOW_UP_HORIZON = timedelta(days=14)
LIST_LIMIT = 200


# --- who may open what ---------------------------------------------------------------------------------------------

def centres_of(user) -> list:
    """The reception centres the user works at; 404 for anyone who works at none."""
    centres = [a.office for a in user_assignments(user) if a.role == Role.RECEPTION_STAFF and a.office_id]
    if not centres:
        raise Http404
    return sorted({c.pk: c for c in centres}.values(), key=lambda c: c.code)


def member_for_reception(request, member_id: int) -> tuple[Member, object]:
    """A member of a household bound for one of the user's centres (as its reception staff), else 404; audited."""
    try:
        member = services.member_received_by(request.user, member_id)
    except PermissionDenied:
        raise Http404 from None  # pages answer "not found" to whoever is not the centre's staff
    audit_record(actor=request.user, action=AuditAction.VIEW, request=request, obj=member.case)
    return member, member.case


def movement_for_reception(request, pk: int):
    try:
        return services.centre_staff_movement(actor=request.user, movement_id=pk)
    except PermissionDenied:
        raise Http404 from None


def errors_onto(form, exc: ValidationError, rename: dict | None = None) -> None:
    """A service's refusals next to the fields they are about (the rest above the form)."""
    for field, errors in exc.message_dict.items():
        field = (rename or {}).get(field, field)
        form.add_error(field if field in form.fields else None, errors)


def saved(request, form, save, rename: dict | None = None):
    """Run the service; its refusals go next to the fields. The result, or None when refused."""
    try:
        return save()
    except ValidationError as exc:
        errors_onto(form, exc, rename)
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    return None


def board_url_of(member) -> str:
    """The check-in board of the movement the member came on, else the household's reception tab."""
    booking = (Booking.objects.filter(member=member, status=BookingStatus.BOARDED)
               .order_by("-movement__departure_at").first())
    if booking is not None:
        return reverse("check_in_board", args=[booking.movement_id])
    return reverse("case_reception", args=[member.case_id])


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


# --- arrivals and check-in -----------------------------------------------------------------------------------------

@login_required
def arrivals(request):
    """The movements coming to the user's centres: when, how many, children, unaccompanied, medical attention."""
    centres = centres_of(request.user)
    rows = arrivals_for_user(user=request.user, centres=centres)
    return render(request, "reception/arrivals.html", {"rows": rows, "centres": centres})


@login_required
def check_in_board(request, pk: int):
    """The expected list, a scan field and a button per person; a retried post changes nothing and says so."""
    movement = movement_for_reception(request, pk)
    form = CheckInForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = saved(request, form, lambda: services.check_in(actor=request.user, movement_id=movement.pk,
                                                                 **form.service_arguments()))
        if result is not None:
            form = CheckInForm()  # the scan field is empty again for the next person
    return render(request, "reception/check_in_board.html", board_context(request, movement, form, result))


def board_context(request, movement, form, result) -> dict:
    bookings = passengers(movement, request=request, user=request.user)
    check_ins = {c.booking_id: c for c in CheckIn.objects.filter(booking__movement=movement).select_related("by")}
    handed_over = set(Handover.objects.filter(member__bookings__movement=movement).values_list("member_id", flat=True))
    query = request.GET.get("q", "").strip()
    rows = []
    for booking in bookings:
        booking.check_in_record = check_ins.get(booking.pk)
        booking.handed_over = booking.member_id in handed_over
        booking.needs_handover = (booking.member.is_unaccompanied_child and not booking.handed_over
                                  and booking.check_in_record is not None and booking.check_in_record.arrived)
        if not query or matches(query, booking):
            rows.append(booking)
    posted_member = form.data.get("member") if form.is_bound else None
    return {"movement": movement, "rows": rows, "summary": movement_summary(movement, bookings),
            "checked_in": len(check_ins), "form": form, "result": result_view(result), "query": query,
            "open": movement.status in services.CHECK_IN_STATUSES,
            "error_member": int(posted_member) if str(posted_member or "").isdigit() else None,
            "assistance_kinds": [AssistanceKind.HYGIENE_KIT, AssistanceKind.TRANSPORT_MONEY]}


def matches(query: str, booking) -> bool:
    text = f"{booking.member.full_name} {booking.case.reference} {booking.seat}".casefold()
    return all(word in text for word in query.casefold().split())


def result_view(result) -> dict | None:
    """What the last scan or button did: who, arrived or not, and whether the household has arrived or waits."""
    if result is None:
        return None
    record = result.check_in
    member = Member.objects.select_related("case").get(pk=record.member_id)
    return {"member": member, "check_in": record, "replayed": result.replayed,
            "case_status": CaseStatus(result.case_status).label, "arrived": result.case_status == CaseStatus.ARRIVED,
            "missing": [m["message"] for m in result.missing],
            "needs_handover": member.is_unaccompanied_child and record.arrived
            and not Handover.objects.filter(member=member).exists()}


@login_required
def handover_new(request, member_id: int):
    """An unaccompanied child handed to the child-protection authority: who received the child, and where to."""
    member, case = member_for_reception(request, member_id)
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = HandoverForm(request.POST or None, initial={
        "authority": AUTHORITY_BY_COUNTRY.get(case.destination_country), "handed_over_at": now, "goes_to": "family"})
    if request.method == "POST" and form.is_valid() and saved(
            request, form, lambda: services.handover_record(actor=request.user, member_id=member.pk,
                                                            data=form.cleaned_data)):
        messages.success(request, _("The handover of %(name)s is recorded.") % {"name": member.full_name})
        return redirect(board_url_of(member))
    return render(request, "reception/form_page.html", {
        "form": form, "member": member, "case": case, "title": _("Hand a child over to the child-protection authority"),
        "back": board_url_of(member), "testid": "handover-form"})


# --- assistance and kits -------------------------------------------------------------------------------------------

REQUEST_KEY = re.compile(r"[0-9a-f]{32}")


@login_required
def assistance_new(request, member_id: int):
    """Give one item; the form's one-time key makes a double click or a resubmission record it once."""
    member, case = member_for_reception(request, member_id)
    kind = request.GET.get("kind")
    key = request.GET.get("key", "")
    if request.method != "POST" and not REQUEST_KEY.fullmatch(key):
        # The key lives in the page's address, so Back (restored or fetched again) resends the same key.
        query = ({"kind": kind} if kind else {}) | {"key": uuid.uuid4().hex}
        return redirect(f"{request.path}?{urlencode(query)}")
    form = AssistanceForm(request.POST or None, initial={
        "request_key": key, "kind": kind if kind in AssistanceKind.values else None,
        "currency": CURRENCY_BY_COUNTRY.get(case.destination_country, "")})
    if request.method == "POST" and form.is_valid():
        result = saved(request, form, lambda: services.assistance_give(actor=request.user, member_id=member.pk,
                                                                        **form.service_arguments()))
        if result is not None:
            values = {"item": AssistanceKind(result.item.kind).label, "name": member.full_name}
            if result.replayed:
                messages.info(request, _("Already recorded: %(item)s for %(name)s. Nothing was added.") % values)
            else:
                messages.success(request, _("%(item)s given to %(name)s. Print the receipt for them to sign.")
                                 % values)
            return redirect("assistance_new", member_id=member.pk)
    given = member.assistance.select_related("given_by", "centre")
    return render(request, "reception/assistance.html", {
        "form": form, "member": member, "case": case, "given": given, "back": board_url_of(member)})


@login_required
def assistance_receipt(request, pk: int):
    """The receipt of one item, for the person to sign; the download is written to the audit log."""
    item = Assistance.objects.select_related("member", "centre", "given_by").filter(pk=pk).first()
    if item is None:
        raise Http404
    member_for_reception(request, item.member_id)
    content = assistance_receipt_pdf(item=item)
    audit_record(actor=request.user, action=AuditAction.DOWNLOAD, request=request, obj=item,
                 object_ids=[item.member_id])
    return pdf_response(content, f"receipt-{item.pk}.pdf")


@login_required
def kit_stock(request):
    """A centre's hygiene kits: received, given, remaining (a warning when low), and deliveries."""
    centres = centres_of(request.user)
    code = request.GET.get("centre")
    centre = next((c for c in centres if c.code == code), None) if code else centres[0]
    if centre is None:
        raise Http404
    form = KitDeliveryForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid() and saved(
            request, form, lambda: services.kit_delivery_record(actor=request.user, centre=centre,
                                                                **form.cleaned_data)):
        messages.success(request, _("%(count)d kits received at %(centre)s.") % {
            "count": form.cleaned_data["quantity"], "centre": centre.name})
        return redirect(f"{reverse('kit_stock')}?centre={centre.code}")
    return render(request, "reception/kit_stock.html", {
        "centre": centre, "centres": centres, "level": services.kit_stock_level(centre), "form": form,
        "deliveries": KitDelivery.objects.filter(centre=centre).select_related("recorded_by")[:20]})


# --- referrals -----------------------------------------------------------------------------------------------------

@login_required
def referral_new(request, member_id: int):
    """Refer a person to an institution of their country; without their consent, offer to record it first."""
    member, case = member_for_reception(request, member_id)
    service = request.GET.get("service")
    form = ReferralForm(request.POST or None, country=case.destination_country,
                        initial={"service": service if service in Service.values else None})
    consent_form, consent_missing = None, False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("record_consent"):
            consent_form = ReferralConsentForm(request.POST)
            if not (consent_form.is_valid() and saved(request, consent_form, lambda: services.referral_consent_record(
                    actor=request.user, member_id=member.pk, institution_id=data["institution"].pk,
                    service=data["service"], type=consent_form.cleaned_data["consent_type"],
                    reason=consent_form.cleaned_data["consent_reason"]), rename={"reason": "consent_reason"})):
                consent_missing = True
        if not consent_missing:
            try:
                referral = saved(request, form, lambda: services.referral_create(
                    actor=request.user, member_id=member.pk, institution_id=data["institution"].pk,
                    service=data["service"], due_on=data.get("due_on"), note=data.get("note") or ""))
            except services.ConsentMissing:
                referral, consent_missing = None, True
                consent_form = ReferralConsentForm()
            if referral is not None:
                messages.success(request, _("%(name)s is referred to %(institution)s. Print the slip for the "
                                            "institution.") % {"name": member.full_name,
                                                               "institution": referral.institution.name})
                return redirect("case_reception", pk=case.pk)
    missing_for = {"institution": form.cleaned_data["institution"].name,
                   "service": Service(form.cleaned_data["service"]).label} if consent_missing else None
    return render(request, "reception/referral_form.html", {
        "form": form, "consent_form": consent_form, "consent_missing": consent_missing, "missing_for": missing_for,
        "member": member,
        "case": case, "back": reverse("case_reception", args=[case.pk])})


def referrals_of_centres(user, centres):
    visible = cases_visible_to(user).filter(reception_centre__in=centres)
    return Referral.objects.filter(member__case__in=visible).select_related("member", "member__case", "institution")


@login_required
def referral_list(request):
    return referral_list_page(request)


def referral_list_page(request, *, refused_forms: dict | None = None):
    """The centre's referrals, soonest due first, overdue ones marked, each with its status form."""
    centres = centres_of(request.user)
    show = request.GET.get("show", "open")
    referrals = referrals_of_centres(request.user, centres)
    today = timezone.localdate()
    # A referral whose sharing consent was withdrawn is no longer followed: it leaves the work lists.
    if show == "open":
        referrals = referrals.filter(status__in=OPEN_REFERRALS, consent__withdrawn_on__isnull=True)
    elif show == "overdue":
        referrals = referrals.filter(status__in=OPEN_REFERRALS, due_on__lt=today, consent__withdrawn_on__isnull=True)
    rows = list(referrals.order_by("due_on", "id")[:LIST_LIMIT])
    cases_listed_audit(user=request.user, cases=list({r.member.case for r in rows}), request=request)
    for referral in rows:
        referral.is_overdue = referral.status in OPEN_REFERRALS and referral.due_on < today
        referral.form = (refused_forms or {}).get(referral.pk) or ReferralUpdateForm(
            referral=referral, initial=referral_initial(referral))
    return render(request, "reception/referral_list.html", {
        "rows": rows, "show": show, "overdue": sum(r.is_overdue for r in rows),
        "shows": [("open", pgettext("referrals filter", "Open")), ("overdue", pgettext("referrals filter", "Overdue")),
                  ("all", pgettext("referrals filter", "All"))]})


def referral_initial(referral) -> dict:
    return {"version": referral.version, "status": referral.status, "due_on": referral.due_on, "note": referral.note}


@login_required
@require_POST
def referral_update(request, pk: int):
    """The institution's answer (accepted, completed, declined), a new due date or a note; never over a newer save."""
    referral = Referral.objects.filter(pk=pk).first()
    if referral is None:
        raise Http404
    member_for_reception(request, referral.member_id)
    form = ReferralUpdateForm(request.POST, referral=referral, loaded_status=(loaded_from(request.POST) or {}).get(
        "status"))
    if form.is_valid():
        try:
            updated = saved(request, form, lambda: services.referral_update(
                actor=request.user, referral_id=pk, expected_version=form.cleaned_data["version"],
                changes=form.changes()))
        except StaleVersion as exc:
            messages.error(request, STALE_REFERRAL)
            referral.refresh_from_db()
            form = conflict_form(form, saved=referral_initial(referral), version=exc.current, referral=referral)
            return referral_list_page(request, refused_forms={pk: form})
        if updated is not None:
            messages.success(request, _("Referral of %(name)s: %(status)s.") % {
                "name": referral.member.full_name, "status": ReferralStatus(updated.status).label})
            return redirect("referral_list")
    return referral_list_page(request, refused_forms={pk: form})


@login_required
def referral_slip(request, pk: int):
    """The slip for the institution: only what it needs to receive the person; the export is audited."""
    referral = (Referral.objects.select_related("member", "member__case__reception_centre", "institution",
                                                "consent", "created_by").filter(pk=pk).first())
    if referral is None:
        raise Http404
    member_for_reception(request, referral.member_id)
    if not services.referral_consent_stands(referral):
        messages.error(request, services.referral_consent_withdrawn_error(referral).messages[0])
        return redirect("referral_list")
    content = referral_slip_pdf(referral=referral)
    audit_record(actor=request.user, action=AuditAction.EXPORT, request=request, obj=referral,
                 object_ids=[referral.member_id])
    return pdf_response(content, f"referral-{referral.pk}.pdf")


# --- follow-up and closure -----------------------------------------------------------------------------------------

@login_required
def follow_up_list(request):
    """Follow-up calls due at the user's centres (and in the next two weeks), with the phone to call."""
    centres = centres_of(request.user)
    visible = cases_visible_to(request.user).filter(reception_centre__in=centres)
    today = timezone.localdate()
    due = list(services.follow_ups_open().filter(member__case__in=visible, due_on__lte=today + FOLLOW_UP_HORIZON)
               .select_related("member", "member__case").order_by("due_on", "id")[:LIST_LIMIT])
    done = list(FollowUp.objects.filter(member__case__in=visible, done_on__isnull=False)
                .select_related("member", "member__case").order_by("-done_on", "-id")[:20])
    cases_listed_audit(user=request.user, cases=list({f.member.case for f in due + done}), request=request)
    for follow_up in due:
        follow_up.is_due = follow_up.due_on <= today
    return render(request, "reception/follow_up_list.html", {"due": due, "done": done, "today": today})


@login_required
def follow_up_new(request, member_id: int):
    """The answers of a follow-up call, for someone who agreed to be contacted."""
    member, case = member_for_reception(request, member_id)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and saved(
            request, form, lambda: services.follow_up_record(actor=request.user, member_id=member.pk,
                                                             data=form.data_for_service())):
        messages.success(request, _("The follow-up call with %(name)s is recorded.") % {"name": member.full_name})
        return redirect("follow_up_list")
    return render(request, "reception/form_page.html", {
        "form": form, "member": member, "case": case, "title": _("Record a follow-up call"),
        "back": reverse("follow_up_list"), "testid": "follow-up-form", "phone": member.phone or "—",
        "warning": None if services.follow_up_consented(member) else _(
            "%(name)s did not agree to be contacted after return.") % {"name": member.full_name}})


WITHDRAWN_MESSAGES = {
    ConsentScope.FOLLOW_UP: gettext_lazy("%(name)s withdrew their consent to be contacted: no more calls."),
    ConsentScope.SHARING: gettext_lazy("%(name)s withdrew their consent to share their data: the referrals resting "
                                       "on it are no longer followed."),
}


@login_required
@require_POST
def consent_withdraw(request, member_id: int, consent_id: int):
    """At the centre, the person takes back their consent to be called or to have their data shared."""
    member, case = member_for_reception(request, member_id)
    consent = Consent.objects.filter(pk=consent_id, member=member).first()
    if consent is None:
        raise Http404
    try:
        consent_withdraw_service(actor=request.user, consent_id=consent.pk)
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    else:
        messages.success(request, WITHDRAWN_MESSAGES.get(consent.scope, WITHDRAWN_MESSAGES[ConsentScope.SHARING])
                         % {"name": member.full_name})
    return redirect("case_reception", pk=case.pk)


@login_required
@require_POST
def case_close(request, pk: int):
    """Close an arrived case with a reason (the supervisor, or the reception staff of its centre)."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    if not access.roles & CLOSERS:
        raise Http404
    form = CaseCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the case is closed."))
        return redirect("case_reception", pk=pk)
    step = confirmation_step(request, CASE_QUESTIONS, "closed", back=reverse("case_reception", args=[pk]))
    if step is not None:
        return step
    try:
        services.case_close(actor=request.user, case_id=pk, reason=form.cleaned_data["reason"],
                            note=form.cleaned_data["note"])
    except InvalidTransition as exc:
        messages.error(request, transition_refusal(exc.from_status, exc.to_status))
    except TransitionRefused as exc:
        messages.error(request, _("Not yet: %(missing)s") % {"missing": " ".join(str(u.message) for u in exc.unmet)})
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    else:
        messages.success(request, _("Case %(reference)s is closed.") % {"reference": case.reference})
    return redirect("case_reception", pk=pk)


NO_RECEPTION_RECORDS = {"arrival_rows": [], "assistance": [], "referrals": [], "follow_ups": [],
                        "is_reception": False, "boards": [], "waiting_for": [], "close_form": None}


def case_reception_context(request, case, access) -> dict:
    """The case's reception tab: check-ins, handovers, assistance, referrals, follow-ups and the close step."""
    if not readable(access, "reception.CheckIn.arrived"):
        return NO_RECEPTION_RECORDS  # movement officers: the field policy keeps the centre's records from them
    is_reception = Role.RECEPTION_STAFF in access.roles
    check_ins = {c.member_id: c for c in CheckIn.objects.filter(member__case=case).select_related("by")}
    handovers = {h.member_id: h for h in Handover.objects.filter(member__case=case)}
    boards = sorted(set(Booking.objects.filter(case=case, status=BookingStatus.BOARDED,
                                               movement__status__in=services.CHECK_IN_STATUSES)
                            .values_list("movement_id", flat=True))) if is_reception else []
    may_call = dict(Consent.objects.filter(case=case, scope=ConsentScope.FOLLOW_UP, withdrawn_on__isnull=True)
                    .values_list("member_id", "pk"))
    today = timezone.localdate()
    referrals = list(Referral.objects.filter(member__case=case).select_related("member", "institution", "consent"))
    for referral in referrals:
        referral.is_overdue = (referral.status in OPEN_REFERRALS and referral.due_on < today
                               and referral.consent.withdrawn_on is None)
    on_the_way = case.status in (CaseStatus.IN_TRANSIT, CaseStatus.ARRIVED, CaseStatus.CLOSED)
    return {
        "arrival_rows": [{"member": m, "check_in": check_ins.get(m.pk), "handover": handovers.get(m.pk),
                          "may_call": m.pk in may_call, "call_consent": may_call.get(m.pk)}
                         for m in case.members.all()] if on_the_way else [],
        "assistance": Assistance.objects.filter(member__case=case).select_related("member", "given_by"),
        "referrals": referrals, "follow_ups": FollowUp.objects.filter(member__case=case).select_related("member"),
        "is_reception": is_reception, "boards": boards,
        "waiting_for": [u.message for u in arrival_unmet(case)] if case.status == CaseStatus.IN_TRANSIT else [],
        "close_form": CaseCloseForm() if case.status == CaseStatus.ARRIVED and access.roles & CLOSERS else None,
    }
