"""Conflicts an offline edit left: who sees them, and a caseworker's choice between the two values."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from cases.fields import field_key, readable
from cases.models import Case, Member
from cases.permissions import case_access, cases_visible_to
from cases.registration import RegistrationInvalid, member_update
from cases.services import case_update
from sync.models import ConflictChoice, ConflictStatus, SyncConflict

TEAM_ROLES = {Role.CASEWORKER, Role.SUPERVISOR}


class AlreadyResolved(Exception):
    def __init__(self, conflict: SyncConflict):
        super().__init__(conflict.pk)
        self.conflict = conflict


def conflicts_visible_to(user, *, status: str | None = ConflictStatus.OPEN):
    """The one permission rule: a conflict is seen by whoever may see its case."""
    # The visibility rule runs on the cases that have conflicts (few), never on every case the user may see.
    with_conflicts = Case.objects.filter(sync_conflicts__status=status) if status else Case.objects.filter(
        sync_conflicts__isnull=False)
    conflicts = SyncConflict.objects.filter(case__in=cases_visible_to(user, with_conflicts))
    if status:
        conflicts = conflicts.filter(status=status)
    return conflicts.select_related("case", "member", "operation__device", "resolved_by")


def field_label(conflict: SyncConflict) -> str:
    model = Member if conflict.member_id else Case
    try:
        return str(model._meta.get_field(conflict.field).verbose_name)
    except Exception:  # noqa: BLE001 - estimated_age is a form field, not a column
        return _("estimated age") if conflict.field == "estimated_age" else conflict.field


def values_readable(access, conflict: SyncConflict) -> bool:
    """The one field policy: a value the user may not read on the case page is not shown here either."""
    model = Member if conflict.member_id else Case
    name = "date_of_birth" if conflict.field == "estimated_age" else conflict.field
    return readable(access, field_key(model, name))


def _typed(conflict: SyncConflict, value):
    """The stored JSON value as the service takes it (dates come back as text)."""
    from cases.api.registration import MemberInputSerializer
    from sync.operations import CaseChangesSerializer

    serializer = (MemberInputSerializer if conflict.member_id else CaseChangesSerializer)(
        data={conflict.field: value}, partial=True)
    if not serializer.is_valid():
        raise ValidationError(serializer.errors)
    return serializer.validated_data.get(conflict.field, value)


@transaction.atomic
def conflict_resolve(*, actor, conflict_id: int, choice: str, note: str = "") -> SyncConflict:
    """Keep the server's value, or take the tablet's through the same service as an edit (its checks apply)."""
    conflict = SyncConflict.objects.select_for_update().filter(pk=conflict_id).first()
    case = Case.objects.select_for_update().filter(pk=conflict.case_id).first() if conflict else None
    access = case_access(actor, case) if case else None
    if access is None:
        raise Http404
    if not access.roles & TEAM_ROLES:
        raise PermissionDenied
    if conflict.status == ConflictStatus.RESOLVED:
        raise AlreadyResolved(conflict)
    if choice not in ConflictChoice.values:
        raise ValidationError({"choice": [_("Choose the server's value or the tablet's.")]})
    if choice == ConflictChoice.DEVICE:
        value = _typed(conflict, conflict.device_value)
        try:
            if conflict.member_id:
                member_update(actor=actor, member_id=conflict.member_id, expected_version=case.version,
                              changes={conflict.field: value})
            else:
                case_update(case_id=case.pk, actor=actor, expected_version=case.version,
                            changes={conflict.field: value})
        except RegistrationInvalid as exc:
            raise ValidationError(exc.errors.get("member_fields", {}).get(0, exc.errors)) from None
    conflict.status, conflict.resolution = ConflictStatus.RESOLVED, choice
    conflict.resolved_by, conflict.resolved_at, conflict.note = actor, timezone.now(), note.strip()[:500]
    conflict.save(update_fields=["status", "resolution", "resolved_by", "resolved_at", "note"])
    return conflict
