"""Every write at the reception centre goes through here: check-in, handover, assistance, referrals, follow-up."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from audit.services import audit_actor_set
from avr.idempotency import IdempotencyKeyReused, key_digest
from cases.choices import CaseStatus, ConsentScope, ConsentType
from cases.models import Case, Consent, Member
from cases.permissions import case_access
from cases.services import StaleVersion, TransitionRefused, case_transition
from reception.choices import (
    ONCE_PER_RETURN,
    OPEN_FOLLOW_UP,
    REFERRAL_MOVES,
    AssistanceKind,
    ChildAuthority,
    FollowUpStatus,
    ReferralStatus,
    Service,
)
from reception.models import Assistance, CheckIn, FollowUp, Handover, Institution, KitDelivery, Referral
from travel.choices import BookingStatus, MovementStatus
from travel.models import Booking, Movement
from travel.permissions import movement_for_user, movement_roles

CHECK_IN_STATUSES = [MovementStatus.DEPARTED, MovementStatus.ARRIVED]
REFERRAL_DUE_DAYS = 15


def centre_staff_movement(*, actor, movement_id: int) -> Movement:
    movement = movement_for_user(user=actor, movement_id=movement_id)
    if Role.RECEPTION_STAFF not in movement_roles(actor, movement):
        raise PermissionDenied
    return movement


def member_received_by(user, member_id: int) -> Member:
    """A member of a household the user receives (reception staff of its centre): 404 if they may not see it, 403
    if they see it in another role."""
    member = Member.objects.filter(pk=member_id).select_related("case", "case__reception_centre").first()
    access = case_access(user, member.case) if member else None
    if access is None:
        raise Http404
    if Role.RECEPTION_STAFF not in access.roles:
        raise PermissionDenied
    return member


def member_at_centre(*, actor, member_id: int, lock_case: bool = True) -> tuple[Member, Case]:
    """`member_received_by`, with the household locked for a write."""
    member = member_received_by(actor, member_id)
    case = Case.objects.select_for_update().get(pk=member.case_id) if lock_case else member.case
    audit_actor_set(actor=actor)
    return member, case


def case_not_closed(case: Case) -> None:
    """Assistance and referrals are given during the return; a closed case takes none."""
    if case.status == CaseStatus.CLOSED:
        raise ValidationError({"__all__": [_("This case is closed: nothing more can be given or referred.")]})


def has_arrived(member: Member) -> bool:
    return CheckIn.objects.filter(member=member, arrived=True).exists()


@dataclass
class CheckInResult:
    check_in: CheckIn
    replayed: bool
    case_status: str
    missing: list


def booking_from_qr(movement: Movement, text: str) -> Booking:
    from travel.qr import BadBoardingCode, boarding_code_read

    try:
        movement_id, member_id = boarding_code_read(text)
    except BadBoardingCode:
        raise ValidationError({"qr": [_("This is not a boarding code of AVR Case Manager.")]}) from None
    if movement_id != movement.pk:
        raise ValidationError({"qr": [_("This boarding code belongs to another movement.")]})
    return booking_on(movement, member_id)


def booking_on(movement: Movement, member_id) -> Booking:
    booking = Booking.objects.filter(movement=movement, member_id=member_id, status=BookingStatus.BOARDED).first()
    if booking is None:
        raise ValidationError({"member": [_("This person is not on the passenger list of this movement.")]})
    return booking


@transaction.atomic
def check_in(*, actor, movement_id: int, member_id: int | None = None, qr: str = "", arrived: bool = True,
             reason: str = "") -> CheckInResult:
    """Mark one traveller arrived (or not); a retried scan returns the first check-in and changes nothing."""
    movement = centre_staff_movement(actor=actor, movement_id=movement_id)
    if movement.status not in CHECK_IN_STATUSES:
        raise ValidationError({"__all__": [_("Travellers are checked in once their movement has departed.")]})
    booking = booking_from_qr(movement, qr) if qr.strip() else booking_on(movement, member_id)
    if not arrived and not reason.strip():
        raise ValidationError({"reason": [_("Say why the person did not arrive.")]})
    audit_actor_set(actor=actor)
    Case.objects.select_for_update().filter(pk=booking.case_id).first()  # one household's check-ins in turn
    existing = CheckIn.objects.filter(booking=booking).first()
    if existing is not None:
        return CheckInResult(existing, True, *case_arrival_try(booking.case_id, actor))
    record = CheckIn.objects.create(booking=booking, member_id=booking.member_id, arrived=arrived,
                                    at=timezone.now(), by=actor, reason="" if arrived else reason.strip())
    return CheckInResult(record, False, *case_arrival_try(booking.case_id, actor))


def case_arrival_try(case_id: int, actor) -> tuple[str, list]:
    """Move the household to arrived once everyone is checked in (and every child alone handed over)."""
    case = Case.objects.get(pk=case_id)
    if case.status != CaseStatus.IN_TRANSIT:
        return case.status, []
    try:
        case = case_transition(case_id=case_id, to=CaseStatus.ARRIVED, actor=actor)
    except TransitionRefused as exc:
        return case.status, [u.as_dict() for u in exc.unmet]
    return case.status, []


@transaction.atomic
def handover_record(*, actor, member_id: int, data: dict) -> Handover:
    """An unaccompanied child handed to the named authority and official; completes the household's arrival."""
    member, case = member_at_centre(actor=actor, member_id=member_id)
    errors = {}
    if not member.is_unaccompanied_child:
        errors["__all__"] = [_("A handover is recorded for unaccompanied children.")]
    elif not has_arrived(member):
        errors["__all__"] = [_("Check the child in first.")]
    if Handover.objects.filter(member=member).exists():
        errors["__all__"] = [_("This child's handover is already recorded.")]
    if data.get("authority") == ChildAuthority.OTHER and not data.get("authority_other", "").strip():
        errors["authority_other"] = [_("Name the authority.")]
    if data.get("handed_over_at") and data["handed_over_at"] > timezone.now():
        errors["handed_over_at"] = [_("This time is in the future.")]
    for name in ("official_name", "official_position", "goes_to_name"):
        if not str(data.get(name, "")).strip():
            errors[name] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    record = Handover.objects.create(member=member, recorded_by=actor, **data)
    case_arrival_try(case.pk, actor)
    return record


@dataclass
class AssistanceResult:
    item: Assistance
    replayed: bool


def assistance_errors(member: Member, kind: str, amount, currency: str) -> dict:
    errors = {}
    if kind not in AssistanceKind.values:
        errors["kind"] = [_("Unknown kind of assistance.")]
    if kind == AssistanceKind.TRANSPORT_MONEY:
        if amount is None or amount <= 0:
            errors["amount"] = [_("Give the amount of transport money.")]
        if not currency:
            errors["currency"] = [_("Give the currency.")]
    elif amount is not None:
        errors["amount"] = [_("Only transport money has an amount.")]
    if not has_arrived(member):
        errors["__all__"] = [_("Assistance is given to people checked in at the centre.")]
    return errors


@transaction.atomic
def assistance_give(*, actor, member_id: int, kind: str, request_key: str, amount=None, currency: str = "",
                    note: str = "") -> AssistanceResult:
    """Record one item given; the same request (double click, retry) returns the first, never a second item."""
    member, case = member_at_centre(actor=actor, member_id=member_id)
    request_key = (request_key or "").strip()
    if not request_key:
        raise ValidationError({"__all__": [_("The request has no key; reload the page and try again.")]})
    request_key = key_digest(request_key)
    replay = Assistance.objects.filter(member=member, request_key=request_key).first()
    if replay is not None:
        if (replay.kind, replay.amount, replay.currency) != (kind, amount, currency or replay.currency):
            raise IdempotencyKeyReused()
        return AssistanceResult(replay, True)
    case_not_closed(case)
    errors = assistance_errors(member, kind, amount, currency)
    if kind in ONCE_PER_RETURN and Assistance.objects.filter(member=member, kind=kind).exists():
        errors["kind"] = [_("%(name)s already received this.") % {"name": member.full_name}]
    elif kind == AssistanceKind.HYGIENE_KIT and not kits_left(case.reception_centre):
        errors["kind"] = [_("No hygiene kit is left in stock: record the delivery of kits first.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            item = Assistance.objects.create(member=member, centre_id=case.reception_centre_id, kind=kind,
                                             amount=amount, currency=currency, note=note.strip(),
                                             given_at=timezone.now(), given_by=actor, request_key=request_key)
    except IntegrityError:
        # The household's row lock serialises the same centre; this catches the same key from another process.
        item = Assistance.objects.filter(member=member, request_key=request_key).first()
        if item is None:
            raise ValidationError({"kind": [_("%(name)s already received this.") % {"name": member.full_name}]})
        return AssistanceResult(item, True)
    return AssistanceResult(item, False)


@dataclass
class KitStockLevel:
    received: int
    given: int
    low_threshold: int

    @property
    def remaining(self) -> int:
        return self.received - self.given

    @property
    def is_low(self) -> bool:
        return self.remaining < self.low_threshold


def kit_stock_level(centre) -> KitStockLevel:
    from django.db.models import Sum

    from reception.models import KitStock

    received = KitDelivery.objects.filter(centre=centre).aggregate(n=Sum("quantity"))["n"] or 0
    given = Assistance.objects.filter(centre=centre, kind=AssistanceKind.HYGIENE_KIT).count()
    settings_row = KitStock.objects.filter(centre=centre).first()
    return KitStockLevel(received, given, settings_row.low_threshold if settings_row else 20)


def kits_left(centre) -> bool:
    """Whether a kit can be given, counted under the centre's stock row lock so two desks never give the last one."""
    from reception.models import KitStock

    KitStock.objects.get_or_create(centre=centre)
    KitStock.objects.select_for_update().get(centre=centre)
    return kit_stock_level(centre).remaining > 0


@transaction.atomic
def kit_delivery_record(*, actor, centre, quantity: int, received_on, note: str = "") -> KitDelivery:
    from cases.permissions import user_assignments

    if not any(a.role == Role.RECEPTION_STAFF and a.office_id == centre.pk for a in user_assignments(actor)):
        raise Http404
    if quantity is None or quantity < 1:
        raise ValidationError({"quantity": [_("At least one kit.")]})
    if received_on and received_on > timezone.localdate():
        raise ValidationError({"received_on": [_("This date is in the future.")]})
    audit_actor_set(actor=actor)
    return KitDelivery.objects.create(centre=centre, quantity=quantity, received_on=received_on, note=note,
                                      recorded_by=actor)


def sharing_consent_for(member: Member, institution: Institution, service: str) -> Consent | None:
    """The member's consent to share their data with this institution for this service, if given and not taken back."""
    return member.consents.filter(scope=ConsentScope.SHARING, withdrawn_on__isnull=True, institution=institution,
                                  service=service).order_by("-given_on", "-id").first()


class ConsentMissing(Exception):
    """No consent to share with this institution for this service: record it first."""


@transaction.atomic
def referral_create(*, actor, member_id: int, institution_id: int, service: str, due_on=None,
                    note: str = "") -> Referral:
    member, case = member_at_centre(actor=actor, member_id=member_id)
    case_not_closed(case)
    institution = Institution.objects.filter(pk=institution_id, is_active=True).first()
    errors = {}
    if institution is None:
        errors["institution"] = [_("Choose an institution of the directory.")]
    elif service not in institution.services:
        errors["service"] = [_("%(institution)s does not offer this service.") % {"institution": institution.name}]
    if due_on and due_on < timezone.localdate():
        errors["due_on"] = [_("The due date is in the past.")]
    if errors:
        raise ValidationError(errors)
    consent = sharing_consent_for(member, institution, service)
    if consent is None:
        raise ConsentMissing
    return Referral.objects.create(member=member, institution=institution, service=service, consent=consent,
                                   sent_on=timezone.localdate(), note=note.strip(), created_by=actor,
                                   due_on=due_on or timezone.localdate() + timedelta(days=REFERRAL_DUE_DAYS))


@transaction.atomic
def referral_consent_record(*, actor, member_id: int, institution_id: int, service: str,
                            type: str = ConsentType.EXPLICIT, reason: str = "") -> Consent:
    """Record, at the centre, the person's consent to share with an institution for a service."""
    member, case = member_at_centre(actor=actor, member_id=member_id)
    institution = Institution.objects.filter(pk=institution_id, is_active=True).first()
    if institution is None:
        raise ValidationError({"institution": [_("Choose an institution of the directory.")]})
    if service not in Service.values:
        raise ValidationError({"service": [_("Choose a service.")]})
    if type != ConsentType.EXPLICIT and not reason.strip():
        raise ValidationError({"reason": [_("Say why the consent is not explicit.")]})
    return Consent.objects.create(case=case, member=member, scope=ConsentScope.SHARING, recipient=institution.name,
                                  institution=institution, purpose=str(Service(service).label), service=service,
                                  type=type, reason=reason.strip(), given_on=timezone.localdate(), recorded_by=actor)


@transaction.atomic
def referral_update(*, actor, referral_id: int, expected_version: int, changes: dict) -> Referral:
    """Follow a referral: accepted, completed or declined, with dates, a new due date or a note."""
    referral = Referral.objects.filter(pk=referral_id).first()
    if referral is None:
        raise Http404
    member_at_centre(actor=actor, member_id=referral.member_id)
    referral = Referral.objects.select_for_update().select_related("consent", "member", "institution").get(
        pk=referral_id)
    if not referral_consent_stands(referral):
        raise referral_consent_withdrawn_error(referral)
    if referral.version != expected_version:
        raise StaleVersion(referral.version)
    status = changes.get("status", referral.status)
    if status != referral.status and status not in REFERRAL_MOVES.get(referral.status, set()):
        raise ValidationError({"status": [_("A referral cannot go from “%(from)s” to “%(to)s”.") % {
            "from": ReferralStatus(referral.status).label,
            "to": ReferralStatus(status).label if status in ReferralStatus.values else status}]})
    today = timezone.localdate()
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED) and status != referral.status:
        referral.answered_on = changes.get("answered_on") or today
    if status == ReferralStatus.COMPLETED and status != referral.status:
        referral.completed_on = changes.get("completed_on") or today
    referral.status = status
    if "due_on" in changes and changes["due_on"]:
        referral.due_on = changes["due_on"]
    if "note" in changes:
        referral.note = changes["note"]
    referral.version += 1
    referral.save()
    return referral


def follow_up_consented(member: Member) -> bool:
    return member.consents.filter(scope=ConsentScope.FOLLOW_UP, withdrawn_on__isnull=True).exists()


def follow_ups_open():
    """Follow-up calls still to make: not done, not cancelled, and not for someone who took back their consent.

    The consent is checked here as well as the calls cancelled on withdrawal, so a consent taken back by any door
    (the admin, a data fix) stops the calls at once; a consent given again after a withdrawal counts.
    """
    follow_up_consents = Consent.objects.filter(member=OuterRef("member"), scope=ConsentScope.FOLLOW_UP)
    standing = Exists(follow_up_consents.filter(withdrawn_on__isnull=True))
    withdrawn = Exists(follow_up_consents.filter(withdrawn_on__isnull=False))
    return FollowUp.objects.filter(standing | ~withdrawn, done_on__isnull=True, cancelled_on__isnull=True,
                                   status__in=OPEN_FOLLOW_UP)


def follow_ups_cancel_for(*, member_id: int) -> int:
    """The person withdrew their consent to be contacted: the calls not yet made are cancelled (none is deleted)."""
    return FollowUp.objects.filter(member_id=member_id, done_on__isnull=True, cancelled_on__isnull=True,
                                   status__in=OPEN_FOLLOW_UP).update(cancelled_on=timezone.localdate(),
                                                                     status=FollowUpStatus.CANCELLED)


def referral_consent_stands(referral: Referral) -> bool:
    return referral.consent.withdrawn_on is None


def referral_consent_withdrawn_error(referral: Referral) -> ValidationError:
    return ValidationError({"__all__": [
        _("%(name)s withdrew their consent to share their data with %(institution)s: this referral is no longer "
          "followed and no slip is printed.") % {"name": referral.member.full_name,
                                                  "institution": referral.institution.name}]},
        code="consent_withdrawn")


def follow_ups_schedule_for(case: Case) -> None:
    """On arrival: the follow-ups of the programme's plan (one per step) for each adult who agreed to be contacted;
    a programme without a plan calls once after `follow_up_months`. Running it again creates nothing."""
    from cases.people import is_adult
    from reception.followups import follow_up_plan_steps, follow_ups_from_plan

    steps = follow_up_plan_steps(case)
    months = case.programme.follow_up_months
    if not steps and not months:
        return
    today = timezone.localdate()
    for member in case.members.all():
        if not (is_adult(member) and follow_up_consented(member)):
            continue
        if steps:
            follow_ups_from_plan(member, steps, today)
        elif not member.follow_ups.exists():
            due = today + timedelta(days=30 * months)
            FollowUp.objects.create(member=member, due_on=due, opens_on=due)


@transaction.atomic
def follow_up_record(*, actor, member_id: int, data: dict) -> FollowUp:
    """The answers of a follow-up call, only for someone who agreed to be contacted.

    `stop_contact`: the person asked not to be called again; the call is kept and the consent withdrawn.
    """
    member, case = member_at_centre(actor=actor, member_id=member_id)
    if not follow_up_consented(member):
        raise ValidationError({"__all__": [_("%(name)s did not agree to be contacted after return.")
                                           % {"name": member.full_name}]})
    if case.status not in (CaseStatus.ARRIVED, CaseStatus.CLOSED):
        raise ValidationError({"__all__": [_("Follow-up calls are for people who have returned.")]})
    record = member.follow_ups.filter(done_on__isnull=True, cancelled_on__isnull=True).order_by("due_on").first() or FollowUp(
        member=member, due_on=timezone.localdate())
    for name in ("reached", "safe", "working", "needs", "intends_to_migrate_again"):
        if name in data:
            setattr(record, name, data[name])
    record.done_on, record.recorded_by = timezone.localdate(), actor
    record.status = FollowUpStatus.COMPLETED
    record.save()
    if data.get("stop_contact"):
        follow_up_consent_withdraw(actor=actor, member=member)
    return record


def follow_up_consent_withdraw(*, actor, member: Member) -> None:
    """The person asked, on the call, not to be called again: their consent to be contacted is taken back."""
    from rights.services import consent_withdraw

    for consent_id in member.consents.filter(scope=ConsentScope.FOLLOW_UP, withdrawn_on__isnull=True).values_list(
            "pk", flat=True):
        consent_withdraw(actor=actor, consent_id=consent_id)


def follow_ups_due(*, today=None):
    """Follow-ups due and not done, per reception centre (what the beat job announces)."""
    from django.db.models import Count

    today = today or timezone.localdate()
    return (follow_ups_open().filter(due_on__lte=today)
            .values("member__case__reception_centre").annotate(due=Count("id")))


@transaction.atomic
def case_close(*, actor, case_id: int, reason: str, note: str = "") -> Case:
    return case_transition(case_id=case_id, to=CaseStatus.CLOSED, actor=actor, note=note,
                           choices={"closure_reason": reason})
