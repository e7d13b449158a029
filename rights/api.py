"""GET /api/v1/members/{id}/export/: everything held about one member, as JSON or as the bilingual PDF;
POST/GET /api/v1/members/{id}/erasure-requests/: the member's erasure requests."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from retention.api import CertificateSerializer, dry_run_param
from rights.models import ErasureRefusal, ErasureStatus
from rights.selectors import HOUSEHOLD_FIELDS, MEMBER_FIELDS, SECTIONS, member_erasure_requests, member_for_export
from rights.services import member_erasure_request
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
    action = serializers.CharField(help_text="view, list, insert, update, delete, export, download, shred, "
                                                       "erasure")
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


class ErasureRequestInSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="why the person asks for their data to be erased (10 to 2,000 "
                                             "characters)", trim_whitespace=False)


class ErasureRequestSerializer(serializers.Serializer):
    """One erasure request and what came of it (or, in a dry run, what would: then `id` is null)."""

    id = serializers.IntegerField(source="request.pk", allow_null=True, default=None)
    dry_run = serializers.BooleanField()
    member = serializers.IntegerField(source="member.pk")
    case = serializers.CharField(source="case.reference")
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=ErasureStatus.values, help_text="completed, or refused on a legal ground")
    requested_by = serializers.CharField(source="request.requested_by.username", allow_null=True, default=None)
    requested_at = serializers.DateTimeField(source="request.requested_at", allow_null=True, default=None)
    refusal_code = serializers.ChoiceField(choices=ErasureRefusal.values, allow_null=True, allow_blank=True,
                                           help_text="the stable code of the legal ground; empty when completed")
    refusal_detail = serializers.CharField(source="refusal_reason", allow_blank=True,
                                           help_text="the legal ground, in the caller's language")
    removed = serializers.DictField(help_text='e.g. {"cases.Member": {"rows": 1, "fields": [...]}, "files": 1, '
                                              '"members": [12]}; empty when refused')
    certificate = CertificateSerializer(allow_null=True, default=None, help_text="null when refused or a dry run")


class MemberErasureRequests(APIView):
    """The person asks for their data to be erased; for a caseworker or supervisor of the case.

    The member's own records are overwritten through the case's anonymisation plan (the household's records stay),
    with an erasure certificate; or the request is refused on a recorded legal ground (`refusal_code`). Either way
    the request is kept and audited: 201. `?dry_run=1` says what would happen and writes nothing (200).
    """

    @extend_schema(
        operation_id="members_erasure_requests_create",
        request=ErasureRequestInSerializer,
        parameters=[OpenApiParameter("dry_run", str, enum=["1", "0"],
                                     description="1: say what would be removed (or why refused), change nothing")],
        responses={201: ErasureRequestSerializer,
                   200: OpenApiResponse(ErasureRequestSerializer, description="a dry run: nothing was written"),
                   400: OpenApiResponse(description="`reason` missing, too short or too long"),
                   403: OpenApiResponse(description="the caller sees the case but is not a caseworker or "
                                                    "supervisor of it"),
                   404: OpenApiResponse(description="no such member for the caller")})
    def post(self, request, pk: int):
        dry_run = dry_run_param(request)
        # The service checks the reason after who may ask: an unseen member is 404 whatever the body says.
        reason = request.data.get("reason") if isinstance(request.data, dict) else None
        outcome = member_erasure_request(actor=request.user, member_id=pk, reason=reason, dry_run=dry_run)
        return Response(ErasureRequestSerializer(outcome).data, status=200 if dry_run else 201)

    @extend_schema(
        operation_id="members_erasure_requests_list",
        responses={200: ErasureRequestSerializer(many=True),
                   403: OpenApiResponse(description="the caller sees the case but is not a caseworker or "
                                                    "supervisor of it"),
                   404: OpenApiResponse(description="no such member for the caller")})
    def get(self, request, pk: int):
        return Response(ErasureRequestSerializer(member_erasure_requests(user=request.user, member_id=pk),
                                                 many=True).data)
