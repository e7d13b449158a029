from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.fields import document_readable
from cases.permissions import CASE_TEAM_ROLES
from documents.choices import DocumentKind
from documents.selectors import document_for_download, documents_readable
from documents.services import document_delete, document_upload
from screening.uploads import scan_response


def case_documents_context(request, case, access) -> dict:
    """The case page's documents section: what the reader may read, and the kinds they may attach."""
    may_attach = bool(access.roles & CASE_TEAM_ROLES) and access.emergency_until is None and not case.anonymised_at
    kinds = [(value, label) for value, label in DocumentKind.choices if may_attach and document_readable(access, value)]
    return {"documents": documents_readable(case=case, access=access), "document_kinds": kinds,
            "may_delete_documents": may_attach}


def back_to_documents(pk: int):
    return redirect(reverse("case_detail", args=[pk]) + "#documents")


def refused(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(m for errors in exc.message_dict.values() for m in errors))
    else:
        messages.error(request, _("Your role cannot make this change."))


@login_required
@require_POST
def document_upload_view(request, pk: int):
    """Attach a document from the case page."""
    try:
        document_upload(actor=request.user, case_id=pk, kind=request.POST.get("kind", ""),
                        file=request.FILES.get("file"), member_id=request.POST.get("member") or None,
                        note=request.POST.get("note", ""))
    except (ValidationError, PermissionDenied) as exc:
        refused(request, exc)
    else:
        messages.success(request, _("Document attached."))
    return back_to_documents(pk)


@login_required
def document_download(request, pk: int, document_id: int):
    """The stored file as an attachment of its detected type; every download is audited."""
    document = document_for_download(user=request.user, case_id=pk, document_id=document_id, request=request)
    return scan_response(document.file, file_name=document.original_name or f"document-{document.pk}",
                         content_type=document.content_type)


@login_required
@require_POST
def document_delete_view(request, pk: int, document_id: int):
    """Delete a document from the case page, with a reason."""
    try:
        document_delete(actor=request.user, case_id=pk, document_id=document_id,
                        reason=request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        refused(request, exc)
    else:
        messages.success(request, _("Document deleted."))
    return back_to_documents(pk)
