"""The manifest of a movement as a download (PDF, CSV, XLSX), from the movement page and from the API: one rule,
two doors. Every download is written to the audit log with the cases on board."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.choices import Role
from accounts.services import user_language
from audit.models import AuditAction
from audit.services import audit_record
from screening.views_pdf import JsonErrorsOnly
from travel.manifest import manifest_case_ids, manifest_csv, manifest_filename, manifest_pdf, manifest_xlsx
from travel.models import Movement
from travel.permissions import movement_for_user, movement_roles

# The officers who organise the movement, the supervisors of its country and the centre that receives it.
MANIFEST_ROLES = frozenset({Role.MOVEMENT_OFFICER, Role.SUPERVISOR, Role.RECEPTION_STAFF})

MANIFEST_FORMATS = {
    "pdf": (manifest_pdf, "application/pdf"),
    "csv": (manifest_csv, "text/csv; charset=utf-8"),
    "xlsx": (manifest_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def manifest_movement_get(*, user, movement_id) -> Movement:
    """The movement whose manifest the user may download: 404 if they may not see it, 403 if they see it otherwise."""
    movement = movement_for_user(user=user, movement_id=movement_id)
    if not movement_roles(user, movement) & MANIFEST_ROLES:
        raise PermissionDenied
    return movement


def manifest_download(*, request, movement: Movement, kind: str) -> HttpResponse:
    """The rendered manifest as an attachment nobody caches; the download is written to the audit log."""
    render, content_type = MANIFEST_FORMATS[kind]
    with translation.override(user_language(request.user)):
        content = render(movement, viewer=request.user)  # only the households the requester may see
    audit_record(actor=request.user, action=AuditAction.EXPORT, request=request, obj=movement,
                 object_ids=manifest_case_ids(movement, viewer=request.user))
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                 filename=manifest_filename(movement, kind))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def movement_manifest_view(request, pk: int, kind: str):
    """The manifest of a movement in `kind` (pdf, csv or xlsx)."""
    movement = manifest_movement_get(user=request.user, movement_id=pk)
    return manifest_download(request=request, movement=movement, kind=kind)


MANIFEST_ERRORS = {
    403: OpenApiResponse(description="the caller sees the movement but has no part in it"),
    404: OpenApiResponse(description="no such movement for the caller"),
}


class MovementManifest(APIView):
    """The manifest of a movement; success is the file itself whatever the client accepts, errors are JSON."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly
    kind = "pdf"

    def get(self, request, pk: int):
        movement = manifest_movement_get(user=request.user, movement_id=pk)
        return manifest_download(request=request._request, movement=movement, kind=self.kind)


@extend_schema_view(get=extend_schema(operation_id="movements_manifest_pdf",
               responses={(200, "application/pdf"): OpenApiTypes.BINARY, **MANIFEST_ERRORS}))
class MovementManifestPdf(MovementManifest):
    """The bilingual manifest PDF: movement, escorts, passengers with a boarding QR code each."""

    kind = "pdf"


@extend_schema_view(get=extend_schema(operation_id="movements_manifest_csv",
               responses={(200, "text/csv"): OpenApiTypes.STR, **MANIFEST_ERRORS}))
class MovementManifestCsv(MovementManifest):
    """The passengers as CSV for airlines (UTF-8 with BOM, header in the caller's language, ISO dates)."""

    kind = "csv"


@extend_schema_view(get=extend_schema(operation_id="movements_manifest_xlsx",
               responses={(200, MANIFEST_FORMATS["xlsx"][1]): OpenApiTypes.BINARY, **MANIFEST_ERRORS}))
class MovementManifestXlsx(MovementManifest):
    """The passengers as one spreadsheet."""

    kind = "xlsx"
