"""Every write to a document: attach (the declaration scans' upload checks) and delete (with a reason)."""

import hashlib
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_actor_set, audit_record
from cases.fields import document_readable
from cases.models import Case, CaseEvent
from cases.permissions import CASE_TEAM_ROLES, CaseAccess, case_access
from documents.choices import DocumentKind
from documents.models import Document
from screening.uploads import scan_errors, scan_stored

NOTE_MAX = 2000


def case_for_documents(*, case_id, actor) -> tuple[Case, CaseAccess]:
    """Lock the case; 404 if the actor may not see it, 403 if they see it but are not its team."""
    case = Case.objects.select_for_update().filter(pk=case_id).first() if str(case_id).isdigit() else None
    access = case_access(actor, case) if case else None
    if access is None:
        raise Http404
    if not (access.roles & CASE_TEAM_ROLES):
        raise PermissionDenied
    return case, access


def file_digest(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def upload_errors(case: Case, access: CaseAccess, *, kind: str, member_id, file, note: str) -> dict:
    """Why this attachment is refused, field by field (the file's checks are the declaration scans')."""
    errors = {}
    if kind not in DocumentKind.values:
        errors["kind"] = [_("Choose the kind of document.")]
    elif not document_readable(access, kind):
        errors["kind"] = [_("You may not attach this kind of document to this case.")]
    if member_id is not None and not (str(member_id).isdigit() and case.members.filter(
            pk=int(member_id), erased_at__isnull=True).exists()):
        errors["member"] = [_("Choose a member of this household.")]
    if len(note or "") > NOTE_MAX:
        errors["note"] = [_("Keep the note under %(max)s characters.") % {"max": NOTE_MAX}]
    if case.anonymised_at is not None:
        errors["__all__"] = [_("This case was anonymised: nothing can be attached to it.")]
    if not file:
        errors["file"] = [_("Choose a file to attach.")]
    return errors | scan_errors(file, name="file")


@transaction.atomic
def document_upload(*, actor, case_id, kind: str, file, member_id=None, note: str = "") -> Document:
    """Attach a PDF, JPEG or PNG to the case or one of its members; the same file twice on one case is refused."""
    case, access = case_for_documents(case_id=case_id, actor=actor)
    member_id = None if member_id in (None, "") else member_id
    errors = upload_errors(case, access, kind=kind, member_id=member_id, file=file, note=note)
    if errors:
        raise ValidationError(errors)
    digest = file_digest(file)
    if Document.objects.filter(case=case, sha256=digest).exists():
        raise ValidationError({"file": [_("This file is already attached to the case.")]})
    audit_actor_set(actor=actor)
    size = file.size
    stored, name, content_type = scan_stored(file, f"document-{uuid.uuid4().hex}")
    try:
        with transaction.atomic():
            return Document.objects.create(case=case, member_id=member_id and int(member_id), kind=kind, file=stored,
                                           original_name=name, content_type=content_type, size=size, sha256=digest,
                                           uploaded_by=actor, note=(note or "").strip())
    except IntegrityError:  # the case's lock makes this unreachable but for a writer that skipped it
        raise ValidationError({"file": [_("This file is already attached to the case.")]}) from None


@transaction.atomic
def document_delete(*, actor, case_id, document_id, reason: str) -> None:
    """Delete a document and its file, with the reason in the case's timeline; the file goes once this commits."""
    case, access = case_for_documents(case_id=case_id, actor=actor)
    document = (Document.objects.select_for_update().filter(pk=document_id, case=case).exclude(file="").first()
                if str(document_id).isdigit() else None)
    if document is None or not document_readable(access, document.kind):
        raise Http404
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Please say why.")]})
    audit_actor_set(actor=actor)
    CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=case.status,
                             note=_("Document deleted (%(kind)s): %(reason)s") % {
                                 "kind": document.get_kind_display(), "reason": reason.strip()})
    audit_record(actor=actor, action=AuditAction.DELETE, obj=document, reason=document.kind)
    storage, name = document.file.storage, document.file.name
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))
