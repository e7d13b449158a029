"""Reads of the sync pages: a page of open conflicts, the tablets' registrations with duplicates still to decide,
and the monitor's rows. Every case read goes through the one visibility rule (cases.permissions)."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.choices import Role
from cases.models import Case, DuplicateDecision
from cases.permissions import cases_visible_to, user_assignments
from sync.conflicts import conflicts_visible_to
from sync.models import DeviceStatus, SyncOperation
from sync.monitor import waiting_too_long
from sync.services import devices_visible_to


def keyset_page(rows, *, before: int | None, size: int) -> tuple[list, int | None]:
    """Newest first, `size` rows older than `before`; the id to continue from, or None on the last page."""
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-pk")[:size + 1])
    return page[:size], (page[size - 1].pk if len(page) > size else None)


def open_conflicts_page(*, user, before: int | None, size: int) -> tuple[list, int | None]:
    """A page of the open conflicts of cases the user may see, newest first."""
    conflicts = conflicts_visible_to(user).select_related("operation__user")
    return keyset_page(conflicts, before=before, size=size)


def duplicates_to_decide_page(*, user, before: int | None, size: int) -> tuple[list, int | None]:
    """Registrations from tablets flagged with possible duplicates, of visible cases, while fewer members were
    decided than were flagged (a decision on the duplicates page settles them; they are never merged here)."""
    decided = (DuplicateDecision.objects.filter(member__case_id=OuterRef("case_id"))
               .values("member__case_id").annotate(n=Count("member_id", distinct=True)).values("n"))
    flagged = SyncOperation.objects.filter(possible_duplicates__gt=0)
    # The visibility rule runs on the flagged cases (few, by a partial index), never on every case the user may see.
    flagged_cases = Case.objects.filter(pk__in=flagged.values("case_id"))
    operations = (flagged.filter(case__in=cases_visible_to(user, flagged_cases))
                  .filter(possible_duplicates__gt=Coalesce(Subquery(decided, output_field=IntegerField()), 0))
                  .select_related("case", "device"))
    # The id is a UUID (the tablet's): page by the receipt instead, newest first.
    if before is not None:
        operations = operations.filter(received_at__lt=before)
    page = list(operations.order_by("-received_at", "-pk")[:size + 1])
    return page[:size], (page[size - 1].received_at if len(page) > size else None)


@dataclass
class MonitorRow:
    device: object
    alert: bool
    may_withdraw: bool


def monitor_rows(*, user, now=None) -> list[MonitorRow]:
    """The tablets the user may see, those waiting too long first, then those in service, by office and label."""
    devices = devices_visible_to(user).select_related("office", "last_user", "revoked_by")
    # sync.services.is_supervisor_of for each tablet at once: every one listed is visible to the user.
    supervisor = any(a.role == Role.SUPERVISOR for a in user_assignments(user))
    rows = [MonitorRow(device=device, alert=waiting_too_long(device, now=now),
                       may_withdraw=supervisor and device.status == DeviceStatus.ACTIVE) for device in devices]
    rows.sort(key=lambda r: (not r.alert, r.device.status != DeviceStatus.ACTIVE, r.device.office.code,
                             r.device.label.lower()))
    return rows
