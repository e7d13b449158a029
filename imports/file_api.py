"""The two files of an import, for the API and the pages alike: the empty template of a programme, and the uploaded
file back with its errors marked (audited as an export: it holds the people's data)."""

from zipfile import BadZipFile

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from openpyxl.utils.exceptions import InvalidFileException
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.choices import Role
from accounts.models import Programme
from accounts.services import user_language
from audit.models import AuditAction
from audit.services import audit_record
from avr.api import ErrorSerializer
from cases.permissions import user_assignments
from imports.services import batch_for_user
from imports.xlsx import errors_xlsx, template_xlsx
from screening.views_pdf import JsonErrorsOnly

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LANGUAGES = ("es", "en")


def may_download_template(user, programme: Programme) -> bool:
    """Caseworkers (they register in every programme) and the programme's supervisors."""
    return any(a.role == Role.CASEWORKER or (a.role == Role.SUPERVISOR and a.programme_id in (None, programme.pk))
               for a in user_assignments(user))


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


def template_download(*, user, programme_code: str, language: str) -> HttpResponse:
    """The template of a programme in a language; an unknown programme is a field error, a user without a part in
    it is refused."""
    programme = Programme.objects.filter(code=(programme_code or "").strip()).first()
    if programme is None:
        raise ValidationError({"programme": [_("There is no programme with this code.")]})
    if not may_download_template(user, programme):
        raise PermissionDenied
    language = language if language in LANGUAGES else "es"
    with translation.override(language):
        filename = _("import-%(programme)s.xlsx") % {"programme": programme.code}
    return xlsx_response(template_xlsx(programme=programme, language=language), filename)


def errors_download(*, request, batch) -> HttpResponse:
    """The batch's own file with its errors marked, written to the audit log as an export."""
    if not batch.file:
        raise Http404
    try:
        content = errors_xlsx(batch)
    except (BadZipFile, InvalidFileException, KeyError, OSError) as exc:  # kept, but not a workbook openpyxl opens
        raise Http404 from exc
    audit_record(actor=request.user, action=AuditAction.EXPORT, request=request, obj=batch,
                 object_ids=list(batch.household_rows.exclude(errors={}).values_list("pk", flat=True)),
                 reason="import_errors_file")
    stem = (batch.file_name or f"import-{batch.pk}").rsplit(".", 1)[0]
    with translation.override(batch.language):
        filename = _("%(name)s-errors.xlsx") % {"name": stem}
    return xlsx_response(content, filename)


class ImportTemplate(APIView):
    """The empty import file of a programme: a households sheet and a members sheet with dropdowns of the code lists,
    and the instructions; in the user's language unless `language` says otherwise."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly

    @extend_schema(operation_id="imports_template_xlsx", parameters=[
        OpenApiParameter("programme", str, required=True, description="the programme's code"),
        OpenApiParameter("language", str, enum=list(LANGUAGES), description="headers and lists in this language")],
        responses={(200, XLSX): OpenApiTypes.BINARY,
                   400: OpenApiResponse(ErrorSerializer, description="no programme with this code"),
                   403: OpenApiResponse(ErrorSerializer, description="neither a caseworker nor its supervisor")})
    def get(self, request):
        return template_download(user=request.user, programme_code=request.query_params.get("programme", ""),
                                 language=request.query_params.get("language") or user_language(request.user))


class ImportErrorsFile(APIView):
    """The uploaded file back: each bad cell red with its message as a comment, and an errors column per sheet."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly

    @extend_schema(operation_id="imports_errors_xlsx", responses={
        (200, XLSX): OpenApiTypes.BINARY,
        404: OpenApiResponse(ErrorSerializer, description="no such batch for the caller, or its file is gone")})
    def get(self, request, pk: int):
        batch = batch_for_user(user=request.user, batch_id=pk)
        return errors_download(request=request._request, batch=batch)
