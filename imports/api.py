"""API doors of the bulk import: upload a file, follow the batch, approve or refuse it, answer the circuit breaker,
list its rows and decide its possible duplicates."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Office, Programme
from audit.models import AuditAction
from audit.services import audit_record
from avr.api import ErrorSerializer
from imports import services
from imports.models import ImportBatch, ImportRow, RowStatus


def error(code: str, detail: str, http_status: int, fields: dict | None = None) -> Response:
    return Response({"code": code, "detail": detail, "fields": fields or {}}, status=http_status)


class BatchSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code")
    office = serializers.CharField(source="office.code")
    status_label = serializers.CharField(source="get_status_display")
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True, default=None)
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, default=None)
    refused_by = serializers.CharField(source="refused_by.username", allow_null=True, default=None)
    reupload_denied = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = ("id", "kind", "programme", "office", "status", "status_label", "progress", "error", "file_name",
                  "uploaded_by", "uploaded_at", "rows", "valid", "invalid", "new", "duplicates", "merged",
                  "reupload_denied", "approved_by", "approved_at", "refused_by", "refused_at", "refusal_reason",
                  "finished_at")
        read_only_fields = fields

    def get_reupload_denied(self, batch) -> bool:
        return batch.reupload_denied_by_id is not None


class RowSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    case = serializers.IntegerField(source="case_id", allow_null=True)
    updates_case = serializers.IntegerField(source="updates_case_id", allow_null=True)
    data = serializers.JSONField(help_text="the registration body as read (POST /api/v1/cases/ minus programme "
                                           "and office)")
    errors = serializers.JSONField(help_text='{"households": {column: [msg]}, "members": {sheet row: {column: '
                                             '[msg]}}}')
    candidates = serializers.JSONField(help_text="likely duplicates: in this batch (in_batch, sheet_row) or "
                                                 "existing people (member_id, case_id, reasons)")

    class Meta:
        model = ImportRow
        fields = ("id", "household_key", "sheet_row", "member_rows", "status", "status_label", "data", "errors",
                  "candidates", "kobo_uuid", "case", "updates_case", "merged_at")
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    programme = serializers.CharField(max_length=32)
    office = serializers.CharField(max_length=16)


class IdenticalSerializer(ErrorSerializer):
    """409 `identical_file`: the same file was uploaded before for this programme (that batch's id)."""

    earlier = serializers.IntegerField()


class RefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("new", "new"), ("skip", "skip")])


def batch_body(batch: ImportBatch, code: int = status.HTTP_200_OK) -> Response:
    batch = ImportBatch.objects.select_related("programme", "office", "uploaded_by", "approved_by",
                                               "refused_by").get(pk=batch.pk)
    return Response(BatchSerializer(batch).data, status=code)


def refused(exc) -> Response:
    """The service's refusals as the API's stable codes."""
    if isinstance(exc, services.SameUploader):
        return error("same_uploader", exc.message, status.HTTP_403_FORBIDDEN)
    if isinstance(exc, services.BatchNotReady):
        return error("batch_not_ready", exc.message, status.HTTP_409_CONFLICT)
    return error("invalid", _("Some fields are not valid."), status.HTTP_400_BAD_REQUEST, exc.message_dict)


STEP_ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


class BatchList(generics.ListAPIView):
    """The import batches the user may see, newest first; a caseworker uploads a file (multipart) to start one."""

    serializer_class = BatchSerializer
    parser_classes = (MultiPartParser, FormParser)

    def get_queryset(self):
        return (services.batches_visible_to(self.request.user)
                .select_related("programme", "office", "uploaded_by", "approved_by", "refused_by").order_by("-id"))

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={
        202: BatchSerializer, 400: ErrorSerializer, 409: IdenticalSerializer})
    def post(self, request):
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        programme = Programme.objects.filter(code=data.validated_data["programme"]).first()
        office = Office.objects.filter(code=data.validated_data["office"]).first()
        try:
            batch = services.batch_upload(actor=request.user, programme=programme, office=office,
                                          file=data.validated_data["file"])
        except services.BatchIdentical as exc:
            return Response({"code": "identical_file", "detail": exc.message, "fields": {},
                             "earlier": exc.earlier.pk}, status=status.HTTP_409_CONFLICT)
        except ValidationError as exc:
            return refused(exc)
        return batch_body(batch, status.HTTP_202_ACCEPTED)


class BatchDetail(APIView):
    """One batch: status, progress, counts, and why it failed if it did."""

    @extend_schema(responses={200: BatchSerializer, 404: ErrorSerializer})
    def get(self, request, pk: int):
        return batch_body(services.batch_for_user(user=request.user, batch_id=pk))


class BatchApprove(APIView):
    """A supervisor over the office, not the uploader, approves: the valid rows are merged into cases."""

    @extend_schema(request=None, responses={200: BatchSerializer, **STEP_ERRORS})
    def post(self, request, pk: int):
        try:
            return batch_body(services.batch_approve(actor=request.user, batch_id=pk))
        except (services.SameUploader, services.BatchNotReady) as exc:
            return refused(exc)


class BatchRefuse(APIView):
    """A supervisor over the office, not the uploader, refuses: the file is deleted, nothing is merged."""

    @extend_schema(request=RefuseSerializer, responses={200: BatchSerializer, **STEP_ERRORS})
    def post(self, request, pk: int):
        data = RefuseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            return batch_body(services.batch_refuse(actor=request.user, batch_id=pk,
                                                    reason=data.validated_data["reason"]))
        except (services.SameUploader, services.BatchNotReady, ValidationError) as exc:
            return refused(exc)


class BatchContinue(APIView):
    """The circuit breaker's answer: this is not a re-upload, go on to approval."""

    @extend_schema(request=None, responses={200: BatchSerializer, **STEP_ERRORS})
    def post(self, request, pk: int):
        try:
            return batch_body(services.batch_reupload_deny(actor=request.user, batch_id=pk))
        except services.BatchNotReady as exc:
            return refused(exc)


ROW_FILTERS = {"invalid": RowStatus.INVALID, "duplicate": RowStatus.DUPLICATE, "valid": RowStatus.VALID,
               "merged": RowStatus.MERGED, "skipped": RowStatus.SKIPPED, "update": RowStatus.UPDATE}


class BatchRows(generics.ListAPIView):
    """The batch's households as staged, with their errors by cell and their possible duplicates."""

    serializer_class = RowSerializer

    def get_queryset(self):
        batch = services.batch_for_user(user=self.request.user, batch_id=self.kwargs["pk"])
        rows = ImportRow.objects.filter(batch=batch).order_by("sheet_row", "id")
        wanted = self.request.query_params.get("status")
        return rows.filter(status=ROW_FILTERS[wanted]) if wanted in ROW_FILTERS else rows

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=list(ROW_FILTERS))],
                   responses={200: RowSerializer(many=True), 404: ErrorSerializer})
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit_record(actor=request.user, action=AuditAction.VIEW, request=request._request,
                     object_type="imports.importbatch", object_id=str(self.kwargs["pk"]), reason="import_rows")
        return response


class RowDecision(APIView):
    """A person decides a possible duplicate: "new" (imported as a new case) or "skip" (not imported)."""

    @extend_schema(request=DecisionSerializer, responses={200: RowSerializer, **STEP_ERRORS})
    def post(self, request, pk: int, row_id: int):
        services.batch_for_user(user=request.user, batch_id=pk)
        if not ImportRow.objects.filter(pk=row_id, batch_id=pk).exists():
            return error("not_found", _("Not found."), status.HTTP_404_NOT_FOUND)
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            row = services.row_duplicate_decide(actor=request.user, row_id=row_id,
                                                decision=data.validated_data["decision"])
        except (services.BatchNotReady, ValidationError) as exc:
            return refused(exc)
        return Response(RowSerializer(row).data)


