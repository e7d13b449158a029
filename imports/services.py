"""Bulk import: upload (the same file twice is refused at once), parse in the background, approval by a second
person, refusal, the circuit breaker's answer and the duplicate decisions. Every write of a batch goes through here."""

import hashlib
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.choices import Role
from audit.models import AuditAction
from audit.services import audit_record
from cases.permissions import user_assignments
from cases.registration import REGISTERING_KINDS, may_register_at, programme_office_error
from imports.models import BatchStatus, ImportBatch, ImportRow, RowStatus
from outbox.services import outbox_enqueue
from screening.uploads import OversizedUpload, scan_file_name, upload_limit_bytes

logger = logging.getLogger(__name__)
WORKING = (BatchStatus.QUEUED, BatchStatus.PARSING, BatchStatus.MERGING)


class BatchIdentical(Exception):
    """This file was uploaded for this programme before (`earlier`, that batch)."""

    def __init__(self, earlier: ImportBatch):
        super().__init__(f"identical to batch {earlier.pk}")
        self.earlier = earlier

    @property
    def message(self) -> str:
        return _("This file was uploaded already (import %(id)s): nothing was imported again.") % {
            "id": self.earlier.pk}


class SameUploader(PermissionDenied):
    """The person who uploaded a batch cannot approve or refuse it: a second person must."""

    @property
    def message(self) -> str:
        return _("You uploaded this file: another person must approve or refuse it.")


class BatchNotReady(Exception):
    """The batch is not in a status that allows this step (`status`, the one it is in)."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status

    @property
    def message(self) -> str:
        return _("This import cannot do that now: it is “%(status)s”.") % {"status": BatchStatus(self.status).label}


def file_digest(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def upload_errors(*, actor, programme, office, file) -> dict:
    from imports.reader import is_xlsx, not_xlsx_message

    errors = {}
    if programme is None:
        errors["programme"] = [_("Choose a programme.")]
    if office is None:
        errors["office"] = [_("Choose the registering office.")]
    elif office.kind not in REGISTERING_KINDS or not may_register_at(actor, office):
        errors["office"] = [_("You cannot register cases at this office.")]
    elif programme is not None and (wrong_country := programme_office_error(programme, office)) is not None:
        errors["office"] = [wrong_country]
    if not file:
        errors["file"] = [_("Choose the file to import.")]
    elif isinstance(file, OversizedUpload) or file.size > settings.IMPORT_MAX_BYTES:
        # Past AVR_UPLOAD_MAX_MB the upload handler kept none of the bytes: that is the limit the user met.
        limit = upload_limit_bytes() if isinstance(file, OversizedUpload) else settings.IMPORT_MAX_BYTES
        errors["file"] = [_("The file is larger than %(max)s MB.") % {"max": limit // (1024 * 1024)}]
    elif not is_xlsx(file):
        errors["file"] = [not_xlsx_message()]
    return errors


def batch_upload(*, actor, programme, office, file) -> ImportBatch:
    """Keep the file and queue its reading; the same file again for the programme raises BatchIdentical, and
    nothing is stored."""
    errors = upload_errors(actor=actor, programme=programme, office=office, file=file)
    if errors:
        raise ValidationError(errors)
    digest = file_digest(file)
    earlier = ImportBatch.objects.filter(programme=programme, file_digest=digest).first()
    if earlier is not None and earlier.status == BatchStatus.FAILED:
        # A file that could not be read may be sent again (a failure on our side): the failed batch lets go of it.
        ImportBatch.objects.filter(pk=earlier.pk).update(file_digest=f"{digest[:40]}:failed:{earlier.pk}"[:64])
    elif earlier is not None:
        raise BatchIdentical(earlier)
    original = scan_file_name(file.name)[:200]
    file.name = f"{uuid.uuid4().hex}.xlsx"
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                programme=programme, office=office, uploaded_by=actor, file=file, file_name=original,
                file_digest=digest, language=translation.get_language() or settings.LANGUAGE_CODE)
            audit_record(actor=actor, action=AuditAction.INSERT, obj=batch, reason="import_upload")
            batch_parse_enqueue(batch.pk)
    except IntegrityError:
        earlier = ImportBatch.objects.filter(programme=programme, file_digest=digest).first()
        if earlier is None:
            raise
        raise BatchIdentical(earlier) from None
    return batch


def batch_parse_enqueue(batch_id: int) -> None:
    outbox_enqueue("imports.tasks.batch_parse_task", batch_id, key=f"import-parse:{batch_id}")


def batch_merge_enqueue(batch_id: int) -> None:
    outbox_enqueue("imports.tasks.batch_merge_task", batch_id, key=f"import-merge:{batch_id}")


def batch_parse(batch_id: int) -> ImportBatch | None:
    """Read and stage the uploaded file (a second delivery of a batch already read does nothing); a file that
    cannot be read fails the batch with its reason, and nothing else is touched."""
    from imports.reader import ImportFileInvalid, workbook_households
    from imports.staging import batch_stage

    claimed = ImportBatch.objects.filter(pk=batch_id, status__in=[BatchStatus.QUEUED, BatchStatus.PARSING]).update(
        status=BatchStatus.PARSING, progress=1, heartbeat_at=timezone.now())
    if not claimed:
        return None
    batch = ImportBatch.objects.select_related("programme", "office", "uploaded_by").get(pk=batch_id)
    with translation.override(batch.language or settings.LANGUAGE_CODE):
        try:
            with batch.file.open("rb") as handle:
                total, households = workbook_households(handle)
                return batch_stage(batch, households, total=total)
        except ImportFileInvalid as exc:
            batch_fail(batch, exc.message)
        except Exception:
            logger.exception("import batch %s could not be read", batch_id)
            batch_fail(batch, _("The file could not be read. Upload it again, or ask for help."))
            raise
    return batch


def batch_fail(batch: ImportBatch, message: str) -> None:
    """The batch could not be read: its rows and its file (personal data) go, its reason stays."""
    ImportRow.objects.filter(batch=batch).delete()
    batch_file_delete(batch)
    ImportBatch.objects.filter(pk=batch.pk).update(file="")
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error=message[:500], progress=100,
                                                   rows=0, valid=0, invalid=0, new=0, duplicates=0,
                                                   finished_at=timezone.now())
    batch.status, batch.error = BatchStatus.FAILED, message[:500]


def batches_visible_to(user):
    """The batches the user may see: their own booths' (caseworkers), those of the programmes and countries they
    supervise. Nobody else (admins included: the rows hold households not yet registered, and only a supervisor
    over the office may decide on them)."""
    assignments = user_assignments(user)
    scope = Q(pk__in=[])
    for a in assignments:
        if a.role == Role.CASEWORKER and a.office_id:
            scope |= Q(office_id=a.office_id)
        elif a.role == Role.SUPERVISOR:
            scope |= supervised_q(a)
    return ImportBatch.objects.filter(scope)


def supervised_q(assignment) -> Q:
    q = Q()
    if assignment.programme_id:
        q &= Q(programme_id=assignment.programme_id)
    if assignment.country:
        q &= Q(office__country=assignment.country)
    if assignment.office_id:
        q &= Q(office_id=assignment.office_id)
    return q


def may_approve(user, batch: ImportBatch) -> bool:
    """A supervisor over the batch's office (its programme and country)."""
    return any(a.role == Role.SUPERVISOR and a.programme_id in (None, batch.programme_id)
               and (not a.country or a.country == batch.office.country) and a.office_id in (None, batch.office_id)
               for a in user_assignments(user))


def batch_for_user(*, user, batch_id) -> ImportBatch:
    """One batch the user may see; 404 otherwise."""
    try:
        return batches_visible_to(user).select_related("programme", "office", "uploaded_by").get(pk=int(batch_id))
    except (ImportBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _batch_locked(*, user, batch_id) -> ImportBatch:
    batch_for_user(user=user, batch_id=batch_id)
    return ImportBatch.objects.select_for_update().select_related("programme", "office").get(pk=batch_id)


def _second_person(actor, batch: ImportBatch) -> None:
    if not may_approve(actor, batch):
        raise PermissionDenied
    if batch.uploaded_by_id == actor.pk:
        raise SameUploader


@transaction.atomic
def batch_approve(*, actor, batch_id: int) -> ImportBatch:
    """A second person (a supervisor over the office, not the uploader) approves: the valid rows are merged."""
    batch = _batch_locked(user=actor, batch_id=batch_id)
    _second_person(actor, batch)
    if batch.status != BatchStatus.VALIDATED or batch.approved_by_id:
        raise BatchNotReady(batch.status)
    batch.status, batch.approved_by, batch.approved_at, batch.progress = BatchStatus.MERGING, actor, timezone.now(), 0
    batch.save(update_fields=["status", "approved_by", "approved_at", "progress"])
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=batch, reason="import_approve")
    batch_merge_enqueue(batch.pk)
    return batch


@transaction.atomic
def batch_refuse(*, actor, batch_id: int, reason: str) -> ImportBatch:
    """A second person refuses the batch: its file is deleted and its rows keep no personal data."""
    batch = _batch_locked(user=actor, batch_id=batch_id)
    _second_person(actor, batch)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the import is refused.")]})
    if batch.approved_by_id or batch.status not in (BatchStatus.CONFIRM, BatchStatus.VALIDATED, BatchStatus.FAILED):
        raise BatchNotReady(batch.status)
    batch_file_delete(batch)
    ImportRow.objects.filter(batch=batch).update(data={}, candidates=[], errors={})
    batch.status, batch.refused_by, batch.refused_at = BatchStatus.REFUSED, actor, timezone.now()
    batch.refusal_reason, batch.finished_at = reason[:500], timezone.now()
    batch.save(update_fields=["status", "refused_by", "refused_at", "refusal_reason", "finished_at", "file"])
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=batch, reason="import_refuse")
    return batch


def batch_file_delete(batch: ImportBatch) -> None:
    if batch.file:
        batch.file.delete(save=False)
    batch.file = ""


@transaction.atomic
def batch_reupload_deny(*, actor, batch_id: int) -> ImportBatch:
    """The circuit breaker's answer "this is not a re-upload": the batch goes on to approval."""
    batch = _batch_locked(user=actor, batch_id=batch_id)
    if not (may_approve(actor, batch) or batch.uploaded_by_id == actor.pk):
        raise PermissionDenied
    if batch.status != BatchStatus.CONFIRM:
        raise BatchNotReady(batch.status)
    batch.status, batch.reupload_denied_by = BatchStatus.VALIDATED, actor
    batch.save(update_fields=["status", "reupload_denied_by"])
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=batch, reason="import_not_reupload")
    return batch


DECISIONS = {"new": RowStatus.VALID, "skip": RowStatus.SKIPPED}


@transaction.atomic
def row_duplicate_decide(*, actor, row_id: int, decision: str) -> ImportRow:
    """A person decides a possible duplicate: "new" (merged as a new case) or "skip" (not imported)."""
    from imports.staging import batch_counts_set

    row = ImportRow.objects.filter(pk=row_id).first()
    if row is None:
        raise Http404
    batch = _batch_locked(user=actor, batch_id=row.batch_id)
    if not (may_approve(actor, batch) or any(a.role == Role.CASEWORKER and a.office_id == batch.office_id
                                             for a in user_assignments(actor))):
        raise PermissionDenied
    if decision not in DECISIONS:
        raise ValidationError({"decision": [_("Answer “new” or “skip”.")]})
    row = ImportRow.objects.select_for_update().get(pk=row_id)
    if row.status != RowStatus.DUPLICATE or batch.status in (BatchStatus.REFUSED, BatchStatus.FAILED):
        raise BatchNotReady(batch.status)
    row.status = DECISIONS[decision]
    row.save(update_fields=["status"])
    batch_counts_set(batch)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=batch, reason=f"import_row_{decision}",
                 changes={"row": row.pk})
    if batch.approved_by_id and batch.status != BatchStatus.MERGING:
        batch.status = BatchStatus.MERGING
        batch.save(update_fields=["status"])
        batch_merge_enqueue(batch.pk)
    return row


def batches_orphaned_requeue(*, now=None) -> list[int]:
    """Queue again any batch waiting to be read or merged with no outbox message open to do it; the ids queued."""
    from outbox.models import OutboxMessage

    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS)
    waiting = ImportBatch.objects.filter(status__in=WORKING, uploaded_at__lt=settled).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=settled))
    ids = []
    for batch_id, status in waiting.values_list("pk", "status"):
        key = f"import-merge:{batch_id}" if status == BatchStatus.MERGING else f"import-parse:{batch_id}"
        with transaction.atomic():
            if not OutboxMessage.objects.filter(key=key, done_at__isnull=True, failed_at__isnull=True).exists():
                (batch_merge_enqueue if status == BatchStatus.MERGING else batch_parse_enqueue)(batch_id)
                ids.append(batch_id)
    return ids
