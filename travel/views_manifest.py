"""The manifest of a movement as a download (PDF, CSV, XLSX), from the movement page and from the API: one rule,
two doors. Every download is written to the audit log with the cases on board. The PDF is made in the background
(travel/manifest_builds.py): asking answers its progress until it is ready."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Role
from accounts.services import user_language
from audit.models import AuditAction
from audit.services import audit_record
from avr.api import ErrorSerializer
from avr.replica import on_reporting_db
from screening.views_pdf import JsonErrorsOnly
from travel import manifest_builds
from travel.api.serializers import ManifestBuildSerializer
from travel.choices import MANIFEST_BUILD_OPEN, ManifestBuildStatus
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


def attachment(content, *, movement: Movement, kind: str) -> HttpResponse:
    response = HttpResponse(content, content_type=MANIFEST_FORMATS[kind][1])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                 filename=manifest_filename(movement, kind))
    response["Cache-Control"] = "no-store"
    return response


def manifest_pdf_ask(*, request, movement: Movement):
    """The user's PDF of the passenger list as it stands: (the build, the attachment if it is ready, else None).

    Not ready: it is asked for (a build already queued or building stands for the request)."""
    build = manifest_builds.manifest_build_current(user=request.user, movement=movement)
    if build is None or build.status == ManifestBuildStatus.FAILED:
        build = manifest_builds.manifest_build_request(actor=request.user, movement=movement,
                                                       language=user_language(request.user))
    if build.status != ManifestBuildStatus.READY:
        return build, None
    content = manifest_builds.manifest_build_download(user=request.user, movement=movement, build=build,
                                                      request=request)
    return build, attachment(content, movement=movement, kind="pdf")


def manifest_download(*, request, movement: Movement, kind: str) -> HttpResponse:
    """The rendered manifest as an attachment nobody caches; the download is written to the audit log."""
    make = MANIFEST_FORMATS[kind][0]

    def export(db: str) -> tuple:
        # The file and the cases its audit line names are read from the same database.
        with translation.override(user_language(request.user)):
            content = make(movement, viewer=request.user, db=db)  # only the households the requester may see
        return content, manifest_case_ids(movement, viewer=request.user, db=db)

    content, case_ids = on_reporting_db(export)  # the replica while it keeps up; the audit line goes to default
    audit_record(actor=request.user, action=AuditAction.EXPORT, request=request, obj=movement, object_ids=case_ids)
    return attachment(content, movement=movement, kind=kind)


@login_required
def movement_manifest_view(request, pk: int, kind: str):
    """The manifest of a movement in `kind` (pdf, csv or xlsx)."""
    movement = manifest_movement_get(user=request.user, movement_id=pk)
    if kind != "pdf":
        return manifest_download(request=request, movement=movement, kind=kind)
    build, response = manifest_pdf_ask(request=request, movement=movement)
    return response or redirect("movement_manifest_build", pk=movement.pk, build_id=build.pk)


def build_page_context(movement: Movement, build) -> dict:
    return {"movement": movement, "build": build, "in_progress": build.status in MANIFEST_BUILD_OPEN}


@login_required
def movement_manifest_build_view(request, pk: int, build_id: int):
    """A manifest PDF being made: its progress (polled every 2 s while it is made), then the download."""
    movement = manifest_movement_get(user=request.user, movement_id=pk)
    build = manifest_builds.manifest_build_for_user(user=request.user, movement=movement, build_id=build_id)
    return render(request, "travel/manifest_build.html", build_page_context(movement, build))


@login_required
def movement_manifest_build_progress(request, pk: int, build_id: int):
    """The progress block alone, for htmx to swap in."""
    movement = manifest_movement_get(user=request.user, movement_id=pk)
    build = manifest_builds.manifest_build_for_user(user=request.user, movement=movement, build_id=build_id)
    return render(request, "travel/_manifest_progress.html", build_page_context(movement, build))


MANIFEST_ERRORS = {
    403: OpenApiResponse(description="the caller sees the movement but has no part in it"),
    404: OpenApiResponse(description="no such movement for the caller"),
}
BUILD_ERRORS = {
    403: OpenApiResponse(ErrorSerializer, description="the caller sees the movement but has no part in it"),
    404: OpenApiResponse(ErrorSerializer, description="no such movement, or no such build of the caller's"),
}


class MovementManifest(APIView):
    """The manifest of a movement; success is the file itself whatever the client accepts, errors are JSON."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly
    kind = "pdf"

    def get(self, request, pk: int):
        movement = manifest_movement_get(user=request.user, movement_id=pk)
        return manifest_download(request=request._request, movement=movement, kind=self.kind)


@extend_schema_view(get=extend_schema(operation_id="movements_manifest_pdf", responses={
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the PDF, ready"),
    (202, "application/json"): OpenApiResponse(ManifestBuildSerializer, description="being made: poll `status_url`"),
    **MANIFEST_ERRORS}))
class MovementManifestPdf(MovementManifest):
    """The bilingual manifest PDF: movement, escorts, passengers with a boarding QR code each. It is made in the
    background: while it is, the answer is 202 with the build's status; asking again then builds nothing more."""

    kind = "pdf"

    def get(self, request, pk: int):
        movement = manifest_movement_get(user=request.user, movement_id=pk)
        build, response = manifest_pdf_ask(request=request._request, movement=movement)
        if response is not None:
            return response
        return Response(ManifestBuildSerializer(build, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED)


@extend_schema_view(get=extend_schema(operation_id="movements_manifest_build",
                                      responses={200: ManifestBuildSerializer, **BUILD_ERRORS}))
class MovementManifestBuild(APIView):
    """A manifest PDF being made: queued, building, ready or failed, its progress in percent, and where to download
    it once ready. Only its requester sees it."""

    serializer_class = ManifestBuildSerializer

    def get(self, request, pk: int, build_id: int):
        movement = manifest_movement_get(user=request.user, movement_id=pk)
        build = manifest_builds.manifest_build_for_user(user=request.user, movement=movement, build_id=build_id)
        return Response(ManifestBuildSerializer(build, context={"request": request}).data)


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
