from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from audit.models import AuditAction
from audit.services import audit_record
from avr.parsers import JSONParser
from avr.api import ErrorSerializer
from cases.api.registration import stale_record_detail, stale_response
from cases.api.serializers import StaleVersionSerializer
from cases.models import Consent
from cases.permissions import case_access
from cases.services import StaleVersion
from screening import services
from screening.api.serializers import (
    BestInterestsSerializer,
    BulkApprovalSerializer,
    BulkResultSerializer,
    ConsentSerializer,
    CounsellingSessionSerializer,
    DeclarationSerializer,
    MemberScreeningReadSerializer,
    MemberScreeningSerializer,
    ResolutionSerializer,
    UnmetSerializer,
    WithdrawalSerializer,
)
from screening.approval import cases_bulk_approve
from screening.models import Declaration
from screening.uploads import SCAN_TYPES, UNKNOWN, declaration_scan_response
from screening.selectors import (
    best_interests_of,
    case_checklist,
    case_for_screening_read,
    declaration_for_scan,
    member_for_screening_read,
    member_screening,
)


STALE = OpenApiResponse(StaleVersionSerializer, description="`stale_version`: saved by someone else since")


SCAN_MEDIA_TYPES = [*SCAN_TYPES, UNKNOWN.content_type]  # UNKNOWN: stored before the checks


def read_as(request, case) -> dict:
    """The serializer context that reads a record back through the field policy, as this caller sees its case."""
    return {"access": case_access(request.user, case)}


class CounsellingSessionList(generics.GenericAPIView):
    """The case's counselling sessions (case team and supervisors); POST records one."""

    serializer_class = CounsellingSessionSerializer
    pagination_class = None

    @extend_schema(responses={200: CounsellingSessionSerializer(many=True)})
    def get(self, request, pk: int):
        case, access = case_for_screening_read(user=request.user, case_id=pk, request=request._request)
        return Response(CounsellingSessionSerializer(case.counselling_sessions.select_related("counsellor"),
                                                     many=True, context={"access": access}).data)

    @extend_schema(responses={201: CounsellingSessionSerializer})
    def post(self, request, pk: int):
        serializer = CounsellingSessionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.counselling_session_record(actor=request.user, case_id=pk,
                                                      data=dict(serializer.validated_data))
        return Response(CounsellingSessionSerializer(session, context=read_as(request, session.case)).data,
                        status=status.HTTP_201_CREATED)


class MemberScreening(generics.GenericAPIView):
    """Protection, vulnerabilities and fitness to travel of one member; restricted fields only for the cleared."""

    serializer_class = MemberScreeningSerializer

    @extend_schema(responses={200: MemberScreeningReadSerializer})
    def get(self, request, pk: int):
        member, case, access = member_for_screening_read(user=request.user, member_id=pk, request=request._request)
        return Response(member_screening(member, access.field_groups))

    @extend_schema(responses={200: MemberScreeningReadSerializer, 409: STALE})
    def put(self, request, pk: int):
        serializer = MemberScreeningSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            services.member_screening_save(
                actor=request.user, member_id=pk, expected_version=data.get("version"),
                protection=dict(data["protection"]), vulnerabilities=[dict(v) for v in data["vulnerabilities"]],
                fitness=dict(data["fitness"]) if data.get("fitness") else None,
                needs_medical_attention=data.get("needs_medical_attention"))
        except StaleVersion as exc:
            return screening_stale_response(exc)
        return self.get(request, pk)


def screening_stale_response(exc: StaleVersion) -> Response:
    return stale_response(exc, precondition=False, detail=stale_record_detail())


class MemberBestInterests(generics.GenericAPIView):
    """The best-interests determination of a child travelling without a parent."""

    serializer_class = BestInterestsSerializer

    @extend_schema(responses={200: BestInterestsSerializer, 404: OpenApiResponse(
        ErrorSerializer, description="no such member for the caller, or no determination recorded yet")})
    def get(self, request, pk: int):
        member, _case, access = member_for_screening_read(user=request.user, member_id=pk, request=request._request)
        record = best_interests_of(member)
        if record is None:
            return Response({"code": "not_found", "detail": _("No best-interests determination is recorded."),
                             "fields": {}}, status=status.HTTP_404_NOT_FOUND)
        return Response(BestInterestsSerializer(record, context={"access": access}).data)

    @extend_schema(responses={200: BestInterestsSerializer, 409: STALE})
    def put(self, request, pk: int):
        serializer = BestInterestsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        try:
            record = services.best_interests_save(actor=request.user, member_id=pk, expected_version=version,
                                                  data=data)
        except StaleVersion as exc:
            return screening_stale_response(exc)
        return Response(BestInterestsSerializer(record, context=read_as(request, record.member.case)).data)


class MemberDeclarationList(generics.GenericAPIView):
    """Declarations of voluntary return of one adult; POST records a signed one (multipart for the scan)."""

    serializer_class = DeclarationSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = None

    @extend_schema(responses={200: DeclarationSerializer(many=True)})
    def get(self, request, pk: int):
        member, _case, access = member_for_screening_read(user=request.user, member_id=pk, request=request._request)
        return Response(DeclarationSerializer(member.declarations.all(), many=True, context={"access": access}).data)

    @extend_schema(responses={201: DeclarationSerializer})
    def post(self, request, pk: int):
        serializer = DeclarationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        declaration = services.declaration_record(actor=request.user, member_id=pk, signed_on=data["signed_on"],
                                                  witness=data["witness"], scan=data.get("scan"))
        return Response(DeclarationSerializer(declaration, context=read_as(request, declaration.member.case)).data,
                        status=status.HTTP_201_CREATED)


class DeclarationWithdraw(generics.GenericAPIView):
    serializer_class = WithdrawalSerializer

    @extend_schema(responses={200: DeclarationSerializer})
    def post(self, request, pk: int):
        serializer = WithdrawalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = services.declaration_withdraw(actor=request.user, declaration_id=pk,
                                                    reason=serializer.validated_data["reason"])
        return Response(DeclarationSerializer(declaration, context=read_as(request, declaration.member.case)).data)


class DeclarationScan(generics.GenericAPIView):
    """The signed scan, to those who may read the member's screening; every download is audited."""

    @extend_schema(responses={(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="the scan as uploaded")
                              for media_type in SCAN_MEDIA_TYPES})
    def get(self, request, pk: int):
        declaration: Declaration = declaration_for_scan(user=request.user, declaration_id=pk,
                                                        request=request._request)
        audit_record(actor=request.user, action=AuditAction.DOWNLOAD, request=request._request, obj=declaration)
        return declaration_scan_response(declaration)


class MemberConsentList(generics.GenericAPIView):
    """Purpose-bound consents of one member (per recipient and purpose)."""

    serializer_class = ConsentSerializer
    pagination_class = None

    @extend_schema(responses={200: ConsentSerializer(many=True)})
    def get(self, request, pk: int):
        member, _case, access = member_for_screening_read(user=request.user, member_id=pk, request=request._request)
        return Response(ConsentSerializer(member.consents.order_by("id"), many=True, context={"access": access}).data)

    @extend_schema(responses={201: ConsentSerializer})
    def post(self, request, pk: int):
        serializer = ConsentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.member_consent_record(actor=request.user, member_id=pk,
                                                 data=dict(serializer.validated_data))
        return Response(ConsentSerializer(consent, context=read_as(request, consent.case)).data,
                        status=status.HTTP_201_CREATED)


class ConsentWithdraw(generics.GenericAPIView):
    serializer_class = ConsentSerializer

    @extend_schema(request=None, responses={200: ConsentSerializer})
    def post(self, request, pk: int):
        consent: Consent = services.member_consent_withdraw(actor=request.user, consent_id=pk)
        return Response(ConsentSerializer(consent, context=read_as(request, consent.case)).data)


class ProtectionFlagResolve(generics.GenericAPIView):
    """Clear a fear-of-return flag after a protection interview (supervisors and protection-cleared staff)."""

    serializer_class = ResolutionSerializer

    @extend_schema(responses={200: MemberScreeningReadSerializer})
    def post(self, request, pk: int):
        serializer = ResolutionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.protection_flag_resolve(actor=request.user, member_id=pk, note=serializer.validated_data["note"])
        member, _case, access = member_for_screening_read(user=request.user, member_id=pk, request=request._request)
        return Response(member_screening(member, access.field_groups))


class CaseChecklist(generics.GenericAPIView):
    """What the case still needs before it can be submitted for approval (empty when it is ready)."""

    serializer_class = UnmetSerializer
    pagination_class = None

    @extend_schema(responses={200: UnmetSerializer(many=True)})
    def get(self, request, pk: int):
        case, _access = case_for_screening_read(user=request.user, case_id=pk, request=request._request)
        return Response(case_checklist(case))


class BulkApproval(generics.GenericAPIView):
    """Approve several cases: each goes through every approval guard; the answer says per case what happened."""

    serializer_class = BulkApprovalSerializer
    pagination_class = None

    @extend_schema(responses={200: BulkResultSerializer(many=True)})
    def post(self, request):
        serializer = BulkApprovalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = cases_bulk_approve(actor=request.user, case_ids=serializer.validated_data["cases"],
                                     note=serializer.validated_data["note"])
        return Response([r.as_dict() for r in results])
