"""Every read of documents: only the kinds the reader's field groups hold, every download audited."""

from django.http import Http404

from audit.models import AuditAction
from audit.services import audit_record
from cases.fields import document_readable
from cases.models import Case
from cases.permissions import CaseAccess, case_access
from documents.models import Document


def documents_readable(*, case: Case, access: CaseAccess) -> list[Document]:
    """The case's documents the reader may read, oldest first (an emergency grant reads none of them)."""
    if access.emergency_until is not None:
        return []
    rows = Document.objects.filter(case=case).exclude(file="").select_related("member", "uploaded_by")
    return [document for document in rows if document_readable(access, document.kind)]


def document_for_download(*, user, case_id, document_id, request=None) -> Document:
    """One document of the case for its download, written to the audit log; 404 for anyone who may not read it."""
    case = Case.objects.filter(pk=case_id).first() if str(case_id).isdigit() else None
    access = case_access(user, case) if case else None
    document = (Document.objects.filter(pk=document_id, case=case).exclude(file="").first()
                if access is not None and str(document_id).isdigit() else None)
    if document is None or not document_readable(access, document.kind):
        raise Http404
    audit_record(actor=user, action=AuditAction.DOWNLOAD, request=request, obj=document)
    return document
