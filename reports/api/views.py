import json

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from avr.api import ErrorSerializer
from reports import services
from reports.api.serializers import DonorReportSerializer, ReportRequestSerializer, ReportSerializer
from reports.choices import ReportFormat

CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf", ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.JSON: "application/json",
}


class ReportCreate(generics.GenericAPIView):
    """Ask for the donor report (aggregates only); it is made in the background: poll its status."""

    serializer_class = ReportRequestSerializer

    @extend_schema(responses={202: ReportSerializer})
    def post(self, request):
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = services.report_request(actor=request.user, programme_code=data["programme"],
                                         period_start=data["period_start"], period_end=data["period_end"],
                                         fmt=data["format"])
        return Response(ReportSerializer(report, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED)


class ReportDetail(generics.GenericAPIView):
    """A report's status (queued, running, ready, failed), progress in percent, and its download link when ready."""

    serializer_class = ReportSerializer

    def get(self, request, pk: int):
        report = services.report_for_reader(user=request.user, report_id=pk)
        return Response(ReportSerializer(report, context={"request": request}).data)


class ReportDownload(generics.GenericAPIView):
    """The report file (JSON reports answer the tables themselves). Every download is audited."""

    @extend_schema(responses={
        **{(200, media_type.split(";")[0]): OpenApiResponse(OpenApiTypes.BINARY, description="the report in its format")
           for media_type in CONTENT_TYPES.values() if media_type != "application/json"},
        (200, "application/json"): OpenApiResponse(DonorReportSerializer, description="a JSON report: its tables "
                                                                                    "and cross-tabs"),
        404: OpenApiResponse(ErrorSerializer, description="not yours, or not ready yet")})
    def get(self, request, pk: int):
        report = services.report_reader_download(user=request.user, report_id=pk, request=request._request)
        if report.format == ReportFormat.JSON:
            with report.file.open("rb") as handle:
                return Response(json.load(handle))
        response = FileResponse(report.file.open("rb"), as_attachment=True,
                                filename=report.file.name.rsplit("/", 1)[-1],
                                content_type=CONTENT_TYPES[report.format])
        response["Cache-Control"] = "no-store"
        return response
