"""GET /api/v1/members/{id}/export/: everything held about one member, as JSON or as the bilingual PDF."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from rights.selectors import HOUSEHOLD_FIELDS, MEMBER_FIELDS, SECTIONS, member_for_export
from rights.views import JSON, PDF, member_export_response
from screening.views_pdf import JsonErrorsOnly

WITHHELD_HELP = ("fields the caller's role may not read that hold something (\"held, not shown to your role\"); "
                 "their values are null")


def record_serializer(name: str, fields: tuple[str, ...]) -> type[serializers.Serializer]:
    """The documented shape of one exported record: its id, its fields (null when withheld), and `withheld`."""
    attrs = {"id": serializers.IntegerField(), "withheld": serializers.ListField(
        child=serializers.CharField(), help_text=WITHHELD_HELP)}
    attrs.update({field: serializers.JSONField(allow_null=True) for field in fields})
    return type(name, (serializers.Serializer,), attrs)


class CaseEventExportSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(help_text="the staff member's username")
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField(allow_null=True)
    withheld = serializers.ListField(child=serializers.CharField(), help_text=WITHHELD_HELP)


class AuditLineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(help_text="the staff member's username")
    action = serializers.CharField(help_text="view, list, insert, update, delete, export, download, shred")
    record = serializers.CharField(help_text="the kind of record read or changed (never its values)")


def _camel(key: str) -> str:
    return "".join(part.title() for part in key.split("_"))


MemberExportSerializer = type("MemberExportSerializer", (serializers.Serializer,), {
    "__doc__": "Everything held about one member; the keys are stable (`format_version` changes if they do).",
    "format_version": serializers.IntegerField(),
    "exported_at": serializers.DateTimeField(),
    "exported_by": serializers.CharField(),
    "member": record_serializer("ExportedMemberSerializer", MEMBER_FIELDS)(),
    "household": record_serializer("ExportedHouseholdSerializer", HOUSEHOLD_FIELDS)(),
    **{section.key: record_serializer(f"Exported{_camel(section.key)}Serializer", section.fields)(many=True)
       for section in SECTIONS},
    "case_events": CaseEventExportSerializer(many=True),
    "audit_trail": AuditLineSerializer(many=True),
    "audit_trail_truncated": serializers.BooleanField(help_text="the trail holds the newest 1,000 lines only"),
})


def wanted_format(request) -> str:
    """`?format=pdf|json` decides; without it, `Accept: application/pdf` asks for the PDF; JSON otherwise."""
    given = request.query_params.get("format")
    if given is None:
        return PDF if "application/pdf" in request.headers.get("Accept", "") else JSON
    if given not in (JSON, PDF):
        raise ValidationError({"format": [_("Choose json or pdf.")]})
    return given


class MemberExport(APIView):
    """Everything held about one member (their right of access), for a caseworker or supervisor of the case.

    JSON by default; the bilingual PDF (Spanish and English, A4) with `?format=pdf` or `Accept: application/pdf`.
    Fields the caller's role may not read are null and named in `withheld`. Every export is audited.
    """

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly

    @extend_schema(
        operation_id="members_export",
        parameters=[OpenApiParameter("format", str, enum=[JSON, PDF], required=False,
                                     description="json (default) or pdf; without it, `Accept: application/pdf` "
                                                 "gives the PDF")],
        responses={
            (200, "application/json"): MemberExportSerializer,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            403: OpenApiResponse(description="the caller sees the case but is not a caseworker or supervisor of it"),
            404: OpenApiResponse(description="no such member for the caller"),
        },
    )
    def get(self, request, pk: int):
        as_format = wanted_format(request)
        member, access = member_for_export(user=request.user, member_id=pk)
        return member_export_response(request=request._request, member=member, access=access, as_format=as_format)
