"""API door to reassigning and transferring a case (the same services as the case page's form)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from avr.api import ErrorSerializer
from cases.api.registration import ETAG_PARAMETER, VERSIONED_EDIT_ERRORS, expected_version, stale_response
from cases.api.registration import version_required_response
from cases.choices import CaseTransferKind
from cases.fields import FieldPolicyMixin
from cases.models import Case, CaseTransfer
from cases.permissions import case_access
from cases.selectors import case_get_for_user
from cases.services import StaleVersion
from cases.transfers import case_reassign, case_transfer

ID = {"required": False, "allow_null": True, "min_value": 1, "max_value": 2**63 - 1}


class CaseTransferSerializer(FieldPolicyMixin, serializers.ModelSerializer):
    policy_keys = {"from_office": "cases.CaseTransfer.from_office", "to_office": "cases.CaseTransfer.to_office",
                   "from_caseworker": "cases.CaseTransfer.from_caseworker",
                   "to_caseworker": "cases.CaseTransfer.to_caseworker", "by": "cases.CaseTransfer.by"}
    from_office = serializers.CharField(source="from_office.code", read_only=True)
    to_office = serializers.CharField(source="to_office.code", read_only=True)
    from_caseworker = serializers.CharField(source="from_caseworker.username", read_only=True, allow_null=True)
    to_caseworker = serializers.CharField(source="to_caseworker.username", read_only=True, allow_null=True)
    by = serializers.CharField(source="by.username", read_only=True)

    class Meta:
        model = CaseTransfer
        fields = ["id", "kind", "from_office", "to_office", "from_caseworker", "to_caseworker", "reason", "by", "at"]
        read_only_fields = fields


class CaseTransferRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CaseTransferKind.choices)
    caseworker = serializers.IntegerField(help_text="user id of the new caseworker (required to reassign; for a "
                                                    "transfer, one of the new office)", **ID)
    office = serializers.IntegerField(help_text="id of the office the case moves to (transfer only)", **ID)
    reason = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                       help_text="the case's version you saw (or send If-Match)")


class CaseTransferList(generics.GenericAPIView):
    """The case's reassignments and transfers; POST makes one (a supervisor of the case's programme and country).

    A transfer goes to an active booth or field office of the programme's countries of registration; the case leaves
    the old office's sight at once. 409/412 `stale_version` when the case was saved in between.
    """

    serializer_class = CaseTransferSerializer
    pagination_class = None

    @extend_schema(responses={200: CaseTransferSerializer(many=True)})
    def get(self, request, pk: int):
        case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
        rows = case.transfers.select_related("from_office", "to_office", "from_caseworker", "to_caseworker", "by")
        return Response(CaseTransferSerializer(rows, many=True, context={"access": access}).data)

    @extend_schema(request=CaseTransferRequestSerializer, parameters=[ETAG_PARAMETER], responses={
        201: CaseTransferSerializer, 400: ErrorSerializer, **VERSIONED_EDIT_ERRORS,
        403: OpenApiResponse(ErrorSerializer, description="the caller sees the case but does not supervise it")})
    def post(self, request, pk: int):
        serializer = CaseTransferRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version, precondition = expected_version(request, data)
        if version is None:
            return version_required_response()
        case = Case.objects.filter(pk=pk).first()
        # Read as the caller was when they asked: a transfer out of their country takes the case from their sight,
        # and what they get back is only what they sent and the bookkeeping.
        access = case_access(request.user, case) if case else None
        common = {"actor": request.user, "case_id": pk, "expected_version": version, "reason": data["reason"]}
        try:
            if data["kind"] == CaseTransferKind.TRANSFER:
                transfer = case_transfer(office_id=data.get("office"), caseworker_id=data.get("caseworker"),
                                         **common)
            else:
                transfer = case_reassign(caseworker_id=data.get("caseworker"), **common)
        except StaleVersion as exc:
            return stale_response(exc, precondition=precondition)
        return Response(CaseTransferSerializer(transfer, context={"access": access}).data,
                        status=status.HTTP_201_CREATED)
