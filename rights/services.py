"""The person's rights that write: a withdrawn consent stops, at once, every use that rested on it."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.choices import Role
from audit.services import audit_actor_set
from cases.choices import ConsentScope
from cases.models import Case, Consent
from cases.permissions import case_access
from reception.services import follow_ups_cancel_for

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
