"""The person's rights that write: a withdrawn consent stops, at once, every use that rested on it; an erasure
request erases that member through the same anonymisation as a case, or is refused on a recorded legal ground."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from audit.models import AuditAction
from audit.services import audit_actor_set, audit_record
from avr.reasons import reason_checked
from cases.choices import OPEN_STATUSES, ConsentScope, Relationship
from cases.models import Case, Consent, Member
from cases.permissions import case_access
from reception.choices import ReferralStatus, Service
from reception.models import Referral
from reception.services import follow_ups_cancel_for
from retention.models import ErasureCertificate
from retention.services import legal_hold_standing, member_anonymise, member_removed
from rights.models import ErasureRefusal, ErasureRequest, ErasureStatus
from screening.models import ProtectionReferral, ProtectionScreening
from travel.choices import BookingStatus, MovementStatus
from travel.models import Booking

CASE_TEAM = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
# At the reception centre the person may take back what the centre acts on: the calls after return and the sharing
# with institutions. The consents of registration and return stay with the case team.
RECEPTION_WITHDRAWS = frozenset({ConsentScope.FOLLOW_UP, ConsentScope.SHARING})


def may_withdraw(access, consent: Consent) -> bool:
    if access.roles & CASE_TEAM:
        return True
    return Role.RECEPTION_STAFF in access.roles and consent.scope in RECEPTION_WITHDRAWS


@transaction.atomic
def consent_withdraw(*, actor, consent_id: int) -> Consent:
    """Take back one member's consent, whatever the case's status (a right, not a step of the return).

    The case team withdraws any consent; the staff of the reception centre the follow-up and sharing ones.

    A follow-up consent cancels the calls not yet made; a sharing consent refuses every referral that rests on it
    from now on (reception.services checks it at each door). Withdrawing twice changes nothing.
    """
    consent = Consent.objects.filter(pk=consent_id, member__isnull=False).first()
    case = Case.objects.select_for_update().filter(pk=consent.case_id).first() if consent else None
    access = case_access(actor, case) if case else None
    if access is None:
        raise Http404
    if not may_withdraw(access, consent):
        raise PermissionDenied
    audit_actor_set(actor=actor)
    consent = Consent.objects.select_for_update().get(pk=consent_id)
    if consent.withdrawn_on is None:
        consent.withdrawn_on = timezone.localdate()
        consent.save(update_fields=["withdrawn_on"])
    if consent.scope == ConsentScope.FOLLOW_UP:
        follow_ups_cancel_for(member_id=consent.member_id)
    return consent


# A few words at least say why; the cap keeps one request's words a paragraph, not a document.
ERASURE_REASON_MIN_LENGTH = 10
ERASURE_REASON_MAX_LENGTH = 2000
# reception.choices.Service: the one service that protects (against intra-family violence).
PROTECTION_SERVICES = (Service.PROTECTION,)
OPEN_REFERRAL = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)
MOVEMENT_DONE = (MovementStatus.ARRIVED, MovementStatus.CANCELLED)


@dataclass
class ErasureOutcome:
    """What came of an erasure request (or, in a dry run, what would): erased with what removed, or refused."""

    member: Member
    case: Case
    reason: str
    status: str
    refusal_code: str = ""
    removed: dict = field(default_factory=dict)
    dry_run: bool = False
    request: ErasureRequest | None = None

    @property
    def refusal_reason(self) -> str:
        return str(ErasureRefusal(self.refusal_code).label) if self.refusal_code else ""

    @property
    def certificate(self):
        return self.request.certificate if self.request else None


def erasure_reason_checked(reason) -> str:
    """The person's reason, stripped, if it says enough; otherwise a ValidationError on `reason`."""
    return reason_checked(reason, minimum=ERASURE_REASON_MIN_LENGTH, maximum=ERASURE_REASON_MAX_LENGTH,
                          too_short=_("Say why the person asks for erasure (at least %(count)d characters)."))


def erasure_refusal(member: Member, case: Case) -> str:
    """The legal ground to refuse erasing this member now (an ErasureRefusal code), or "" if none; in this order:

    - already_erased: the member was erased, or the whole case anonymised (a second request, a double click).
    - legal_hold: a standing legal hold on the case (retention.services.legal_hold_standing) suspends every erasure.
    - protection_referral: the case has a screening.ProtectionReferral, the non-refoulement record of where the
      household was referred: it is kept whoever asks.
    - protection_service_referral: a reception.Referral of this member to a protection service (PROTECTION_SERVICES)
      is still sent or accepted: the institution is still acting on it.
    - fear_of_return: this member's ProtectionScreening records a fear of return not yet resolved.
    - return_under_way: a booking of this member that is not cancelled, on a movement neither arrived nor cancelled:
      the manifest and the reception centre need the identity until the arrival.
    - principal_of_open_case: the member is the principal of a case still open (withdraw or close it first); other
      members of an open case may go.
    """
    if member.erased_at is not None or case.anonymised_at is not None:
        return ErasureRefusal.ALREADY_ERASED
    if legal_hold_standing(case.pk) is not None:
        return ErasureRefusal.LEGAL_HOLD
    if ProtectionReferral.objects.filter(case_id=case.pk).exists():
        return ErasureRefusal.PROTECTION_REFERRAL
    if Referral.objects.filter(member_id=member.pk, service__in=PROTECTION_SERVICES,
                               status__in=OPEN_REFERRAL).exists():
        return ErasureRefusal.PROTECTION_SERVICE_REFERRAL
    if ProtectionScreening.objects.filter(member_id=member.pk, fear_of_return=True, resolved_at__isnull=True).exists():
        return ErasureRefusal.FEAR_OF_RETURN
    if (Booking.objects.filter(member_id=member.pk).exclude(status=BookingStatus.CANCELLED)
            .exclude(movement__status__in=MOVEMENT_DONE).exists()):
        return ErasureRefusal.RETURN_UNDER_WAY
    if member.relationship == Relationship.PRINCIPAL and case.status in OPEN_STATUSES:
        return ErasureRefusal.PRINCIPAL_OF_OPEN_CASE
    return ""


def _locked_for_erasure(actor, member_id) -> tuple[Member, Case]:
    """The member and their case, the case row locked; 404 unseen, 403 outside the case team (no share, no glass)."""
    try:
        member_id = int(member_id)
    except (TypeError, ValueError):
        raise Http404 from None
    found = Member.objects.filter(pk=member_id).values_list("case_id", flat=True).first()
    # The case row lock orders concurrent requests: the second sees the first one's erasure.
    case = Case.objects.select_for_update().filter(pk=found).first() if found else None
    access = case_access(actor, case) if case else None
    if access is None:
        raise Http404
    if not access.roles & CASE_TEAM:
        raise PermissionDenied
    member = Member.objects.filter(pk=member_id, case_id=case.pk).first()
    if member is None:  # moved to a case of their own in between
        raise Http404
    return member, case


@transaction.atomic
def member_erasure_request(*, actor, member_id, reason, dry_run: bool = False) -> ErasureOutcome:
    """Erase one member at their request through the case's anonymisation plan, or refuse on a legal ground.

    Both outcomes are recorded (an ErasureRequest kept for good) and audited; a dry run writes nothing at all.
    Only the member's own rows are overwritten; the household's records and the case's audit key stay.
    """
    member, case = _locked_for_erasure(actor, member_id)
    reason = erasure_reason_checked(reason)
    refusal = erasure_refusal(member, case)
    outcome = ErasureOutcome(member=member, case=case, reason=reason, refusal_code=refusal, dry_run=dry_run,
                             status=ErasureStatus.REFUSED if refusal else ErasureStatus.COMPLETED,
                             removed={} if refusal else member_removed(member=member))
    if dry_run:
        return outcome
    audit_actor_set(actor=actor)
    request_id = _next_request_id()
    certificate = None
    if not refusal:
        member_anonymise(member=member)
        certificate = ErasureCertificate.objects.create(
            actor=actor, actor_username=actor.username, policy=f"erasure request #{request_id}",
            case_ids=[case.pk], case_references=[case.reference], removed=outcome.removed)
    outcome.request = ErasureRequest.objects.create(
        pk=request_id, member=member, case=case, reason=reason, requested_by=actor, status=outcome.status,
        refusal_code=refusal, certificate=certificate)
    audit_record(actor=actor, action=AuditAction.ERASURE, object_type="cases.member", object_id=str(member.pk),
                 object_ids=[member.pk], reason=f"erasure request #{request_id}: {refusal or 'completed'}")
    return outcome


def _next_request_id() -> int:
    """The request's id before it is written: its certificate names it, and a kept row is never updated after."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('rights_erasurerequest', 'id'))")
        return cursor.fetchone()[0]
