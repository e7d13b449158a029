"""Merging an approved batch into cases: in chunks, each row in its own transaction with the case it makes, so a
worker killed mid-merge and started again makes each case exactly once. Invalid rows stay quarantined; possible
duplicates wait for a person's decision; a Kobo amendment changes its case, never makes a new one."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from audit.models import AuditAction
from audit.services import audit_record
from cases.models import Case
from cases.registration import RegistrationInvalid, case_register
from imports.models import BatchStatus, ImportBatch, ImportRow, RowStatus
from imports.staging import (
    StagedHousehold,
    batch_actor,
    batch_counts_set,
    cell_errors_of,
    registration_of,
)

logger = logging.getLogger(__name__)
CASE_FIELDS = ("destination_country", "intake_date", "how_heard", "caseworker_notes")


def _quarantine(row: ImportRow, errors: dict) -> None:
    staged = StagedHousehold(household_key=row.household_key, sheet_row=row.sheet_row, member_rows=row.member_rows,
                             data=row.data)
    row.status, row.errors = RowStatus.INVALID, cell_errors_of(staged, errors)
    row.save(update_fields=["status", "errors"])


def row_merge(row_id: int, batch: ImportBatch, actor) -> Case | None:
    """Register one row's household and remember the case in the same transaction; a row that has its case
    already is left alone (a retried merge)."""
    with transaction.atomic():
        row = ImportRow.objects.select_for_update().get(pk=row_id)
        if row.case_id or row.status not in (RowStatus.VALID, RowStatus.UPDATE):
            return None
        if row.status == RowStatus.UPDATE:
            return row_update_apply(row, batch, actor)
        try:
            result = case_register(actor=actor, data=registration_of(batch, row.data), confirm_duplicates=True)
        except RegistrationInvalid as exc:
            _quarantine(row, exc.errors)
            return None
        # The case holds the household now: the row keeps no copy that anonymising the case would miss.
        row.case, row.status, row.merged_at = result.case, RowStatus.MERGED, timezone.now()
        row.data, row.candidates = {}, []
        row.save(update_fields=["case", "status", "merged_at", "data", "candidates"])
        return result.case


def row_update_apply(row: ImportRow, batch: ImportBatch, actor) -> None:
    """A Kobo submission amended since it was merged: only the fields that changed, at the case's current version."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from cases.registration import member_as_input, member_update
    from cases.services import StaleVersion, case_update

    case = Case.objects.filter(pk=row.updates_case_id).first()
    if case is None:
        _quarantine(row, {"household_id": [str(_case_gone_message())]})
        return
    amended = registration_of(batch, row.data)
    changes = {name: getattr(amended, name) for name in CASE_FIELDS
               if getattr(amended, name) not in (None, "") and getattr(amended, name) != getattr(case, name)}
    try:
        if changes:
            case = case_update(case_id=case.pk, actor=actor, expected_version=case.version, changes=changes)
        for member, data in zip(case.members.order_by("id"), amended.members):
            current = member_as_input(member, case.intake_date)
            differ = {name: getattr(data, name) for name in data.__dataclass_fields__
                      if getattr(data, name) != getattr(current, name) and getattr(data, name) not in (None, "")}
            if differ:
                member_update(actor=actor, member_id=member.pk, expected_version=case.version, changes=differ)
                case.refresh_from_db(fields=["version"])
    except RegistrationInvalid as exc:
        _quarantine(row, exc.errors)
        return
    except (Http404, PermissionDenied):
        _quarantine(row, {"household_id": [_uploader_cannot_change_message()]})
        return
    except (ValidationError, StaleVersion) as exc:
        _quarantine(row, getattr(exc, "message_dict", {"household_id": [str(exc)]}))
        return
    row.status, row.merged_at, row.data = RowStatus.MERGED, timezone.now(), {}
    row.save(update_fields=["status", "merged_at", "data"])
    return


def _uploader_cannot_change_message() -> str:
    from django.utils.translation import gettext as _

    return _("The person who set up this import can no longer change the case this submission amends.")


def _case_gone_message() -> str:
    from django.utils.translation import gettext as _

    return _("The case this submission amends no longer exists.")


def batch_merge(batch_id: int) -> ImportBatch | None:
    """Merge the approved batch's valid rows chunk by chunk; safe to run again at any point."""
    batch = ImportBatch.objects.select_related("programme", "office", "uploaded_by", "source").filter(
        pk=batch_id).first()
    if batch is None or batch.status != BatchStatus.MERGING:
        return batch
    actor, created = batch_actor(batch), []
    pending = ImportRow.objects.filter(batch=batch, case__isnull=True, status__in=[RowStatus.VALID, RowStatus.UPDATE])
    total = max(1, pending.count())
    with translation.override(batch.language or settings.LANGUAGE_CODE):
        while ids := list(pending.order_by("id").values_list("pk", flat=True)[:settings.IMPORT_MERGE_CHUNK]):
            for row_id in ids:
                case = row_merge(row_id, batch, actor)
                if case is not None:
                    created.append(case.pk)
            ImportBatch.objects.filter(pk=batch.pk).update(
                heartbeat_at=timezone.now(), progress=min(99, int(len(created) * 100 / total)),
                merged=ImportRow.objects.filter(batch=batch, status=RowStatus.MERGED).count())
    if created:
        audit_record(actor=actor, action=AuditAction.INSERT, object_type="cases.case", object_ids=created,
                     reason=f"import_batch:{batch.pk}")
    return batch_merge_finish(batch)


def batch_merge_finish(batch: ImportBatch) -> ImportBatch:
    """Merged, its file deleted, once no possible duplicate waits for a decision; until then back to waiting."""
    from imports.services import batch_file_delete

    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        batch_counts_set(batch)
        if ImportRow.objects.filter(batch=batch, status=RowStatus.DUPLICATE).exists():
            batch.status = BatchStatus.VALIDATED
        else:
            batch.status, batch.finished_at = BatchStatus.MERGED, timezone.now()
            batch_file_delete(batch)
        batch.progress, batch.heartbeat_at = 100, timezone.now()
        batch.save(update_fields=["status", "finished_at", "file", "progress", "heartbeat_at"])
    return batch
