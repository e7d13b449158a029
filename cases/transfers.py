"""A supervisor gives a case to another caseworker (reassign) or moves it to another office (transfer).

Visibility follows the scope columns at once: a transfer rewrites `registering_office` and `registration_country`
(the CaseCount trigger moves the counts with them), and an assigned caseworker outside the case's office gets a
guardian share, which the next reassignment or transfer takes back (cases.permissions `_scope_q`).

Open work: a transfer is refused while the household is on a movement (booked, travelling, arrived: its seats and
its reception belong to the movement planned from this country) and while a booth tablet's edit waits for a decision
on the case (the old booth resolves it first). A case waiting for approval moves with its request: the supervisors
of its new country see it in their queue. Operations a tablet of the old booth still holds are refused by sync as
for any case its caseworker may no longer change ("not found"), and come back as conflicts to re-enter.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts.choices import OfficeKind, Role
from accounts.models import Assignment, Office, User
from audit.models import AuditAction
from audit.services import audit_actor_set, audit_record
from cases.choices import OPEN_STATUSES, CaseStatus, CaseTransferKind
from cases.models import Case, CaseEvent, CaseTransfer
from cases.permissions import case_access
from cases.services import StaleVersion
from outbox.services import outbox_enqueue

CASE_OFFICE_KINDS = (OfficeKind.REGISTRATION_BOOTH, OfficeKind.FIELD_OFFICE)
ON_A_MOVEMENT = (CaseStatus.BOOKED, CaseStatus.IN_TRANSIT, CaseStatus.ARRIVED)


def case_for_supervisor(*, case_id: int, actor) -> Case:
    """Lock the case; 404 if the actor may not see it, 403 if they see it but do not supervise it."""
    case = Case.objects.select_for_update().select_related("programme").filter(pk=case_id).first()
    access = case_access(actor, case) if case else None
    if access is None:
        raise Http404
    if Role.SUPERVISOR not in access.roles:
        raise PermissionDenied
    return case


def transfer_offices(case: Case):
    """The offices a case may move to: active booths and field offices of the programme's countries of registration."""
    return (Office.objects.filter(kind__in=CASE_OFFICE_KINDS, is_active=True,
                                  country__in=case.programme.registration_countries)
            .exclude(pk=case.registering_office_id).order_by("country", "code"))


def assignable_caseworkers(*, office_ids=None):
    """Active caseworkers (of these offices), each with the booth or field office they work at."""
    rows = Assignment.objects.filter(role=Role.CASEWORKER, user__is_active=True, office__kind__in=CASE_OFFICE_KINDS,
                                     office__is_active=True)
    if office_ids is not None:
        rows = rows.filter(office_id__in=office_ids)
    return rows.select_related("user", "office").order_by("office__code", "user__username")


def _caseworker(caseworker_id, *, office_ids=None) -> User:
    chosen = assignable_caseworkers(office_ids=office_ids).filter(user_id=caseworker_id).first() \
        if str(caseworker_id or "").isdigit() else None
    if chosen is None:
        message = (_("Choose an active caseworker of the new office.") if office_ids is not None
                   else _("Choose an active caseworker."))
        raise ValidationError({"caseworker": [message]})
    return chosen.user


def _checked(case: Case, *, expected_version: int, reason: str) -> str:
    if case.version != expected_version:
        raise StaleVersion(case.version)
    if case.status not in OPEN_STATUSES:
        raise ValidationError({"__all__": [_("A closed case stays where it is.")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Please say why.")]})
    return reason.strip()


@transaction.atomic
def case_reassign(*, actor: User, case_id: int, expected_version: int, caseworker_id, reason: str) -> CaseTransfer:
    """Give the case to another active caseworker; one outside its office is shared the case."""
    case = case_for_supervisor(case_id=case_id, actor=actor)
    reason = _checked(case, expected_version=expected_version, reason=reason)
    caseworker = _caseworker(caseworker_id)
    if caseworker.pk == case.assigned_caseworker_id:
        raise ValidationError({"caseworker": [_("The case is already assigned to this caseworker.")]})
    return _move(case, actor=actor, kind=CaseTransferKind.REASSIGN, office=case.registering_office,
                 caseworker=caseworker, reason=reason)


@transaction.atomic
def case_transfer(*, actor: User, case_id: int, expected_version: int, office_id, reason: str,
                  caseworker_id=None) -> CaseTransfer:
    """Move the case to another office of its programme's countries, optionally to one of its caseworkers."""
    case = case_for_supervisor(case_id=case_id, actor=actor)
    reason = _checked(case, expected_version=expected_version, reason=reason)
    office = transfer_offices(case).filter(pk=office_id).first() if str(office_id or "").isdigit() else None
    if office is None:
        raise ValidationError({"office": [_("Choose an active booth or field office in one of the programme's "
                                            "countries of registration (%(countries)s), other than the case's own.")
                                          % {"countries": ", ".join(case.programme.registration_countries)}]})
    if case.status in ON_A_MOVEMENT:
        raise ValidationError({"__all__": [_("The household is on a movement: take it off the movement before "
                                             "moving the case to another office.")]})
    if _open_sync_conflicts(case):
        raise ValidationError({"__all__": [_("A booth tablet's edit of this case waits for a decision: resolve it "
                                             "before moving the case to another office.")]})
    caseworker = _caseworker(caseworker_id, office_ids=[office.pk]) if caseworker_id not in (None, "") else None
    return _move(case, actor=actor, kind=CaseTransferKind.TRANSFER, office=office, caseworker=caseworker,
                 reason=reason)


def _open_sync_conflicts(case: Case) -> bool:
    from sync.models import ConflictStatus, SyncConflict  # sync sits above cases

    return SyncConflict.objects.filter(case_id=case.pk, status=ConflictStatus.OPEN).exists()


def _move(case: Case, *, actor, kind: str, office: Office, caseworker: User | None, reason: str) -> CaseTransfer:
    """Write the history row, the timeline event and the audit record; move the scope columns and the shares."""
    audit_actor_set(actor=actor)
    previous = case.assigned_caseworker
    transfer = CaseTransfer.objects.create(case=case, kind=kind, from_office=case.registering_office,
                                           to_office=office, from_caseworker=previous, to_caseworker=caseworker,
                                           reason=reason, by=actor)
    if previous is not None:
        remove_perm("cases.view_case", previous, case)
    if caseworker is not None and not Assignment.objects.filter(user=caseworker, role=Role.CASEWORKER,
                                                                office=office).exists():
        assign_perm("cases.view_case", caseworker, case)
    case.registering_office, case.registration_country = office, office.country
    case.assigned_caseworker = caseworker
    case.version += 1
    case.save(update_fields=["registering_office", "registration_country", "assigned_caseworker", "version",
                             "updated_at"])
    CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=case.status,
                             note=transfer_note(transfer))
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=case, reason=kind, changes={
        "office": [transfer.from_office_id, office.pk],
        "caseworker": [getattr(previous, "pk", None), getattr(caseworker, "pk", None)]})
    if caseworker is not None:
        outbox_enqueue("notifications.tasks.case_assigned_notify", transfer.pk)
    return transfer


def transfer_note(transfer: CaseTransfer) -> str:
    """The timeline's line: offices by code and staff by user name, with the supervisor's reason."""
    to = transfer.to_caseworker.username if transfer.to_caseworker else _("nobody yet")
    if transfer.kind == CaseTransferKind.TRANSFER:
        return _("Transferred from %(from)s to %(to)s, assigned to %(caseworker)s: %(reason)s") % {
            "from": transfer.from_office.code, "to": transfer.to_office.code, "caseworker": to,
            "reason": transfer.reason}
    return _("Reassigned to %(caseworker)s: %(reason)s") % {"caseworker": to, "reason": transfer.reason}
