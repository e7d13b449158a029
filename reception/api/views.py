from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from avr.api import ErrorSerializer
from cases.api.registration import (
    ETAG_PARAMETER,
    VERSIONED_EDIT_ERRORS,
    expected_version,
    stale_record_detail,
    stale_response,
    version_required_response,
)
from cases.services import StaleVersion
from reception import followups, services
from reception.api.serializers import (
    AssistanceSerializer,
    CheckInRequestSerializer,
    CheckInResultSerializer,
    CheckInSerializer,
    FollowUpAttemptInputSerializer,
    FollowUpAttemptResultSerializer,
    FollowUpQueueSerializer,
    FollowUpSerializer,
    HandoverSerializer,
    InstitutionSerializer,
    ReferralCreateSerializer,
    ReferralSerializer,
    ReferralUpdateSerializer,
)
from reception.choices import Service
from reception.models import Institution
from reception.selectors import FOLLOW_UP_TABS, QUEUE_LIMIT, follow_up_queue

IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
                                   description="one key per item given (up to 255 characters): a retried request "
                                               "returns the first item; the key sent for another item is a 422")


class CheckInCreate(generics.GenericAPIView):
    """Check a traveller in by member id or by the scanned boarding code; a retry answers 200 with the first."""

    serializer_class = CheckInRequestSerializer

    @extend_schema(responses={201: CheckInResultSerializer, 200: CheckInResultSerializer})
    def post(self, request, pk: int):
        serializer = CheckInRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.check_in(actor=request.user, movement_id=pk, member_id=data.get("member"),
                                   qr=data.get("qr", ""), arrived=data["arrived"], reason=data["reason"])
        body = {"check_in": CheckInSerializer(result.check_in).data, "replayed": result.replayed,
                "case_status": result.case_status, "missing": result.missing}
        return Response(body, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED)


class HandoverCreate(generics.GenericAPIView):
    """Record an unaccompanied child's handover to the child-protection authority."""

    serializer_class = HandoverSerializer

    @extend_schema(responses={201: HandoverSerializer})
    def post(self, request, pk: int):
        serializer = HandoverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.handover_record(actor=request.user, member_id=pk, data=dict(serializer.validated_data))
        return Response(HandoverSerializer(record).data, status=status.HTTP_201_CREATED)


class AssistanceCreate(generics.GenericAPIView):
    """Give an item (kit, transport money, ...); send an Idempotency-Key so that a retry records one item."""

    serializer_class = AssistanceSerializer

    @extend_schema(parameters=[IDEMPOTENCY_KEY], responses={
        201: AssistanceSerializer, 200: OpenApiResponse(AssistanceSerializer, description="a retry: the first item"),
        422: OpenApiResponse(ErrorSerializer, description="`idempotency_key_reused`: the key was first sent for "
                                                          "another item"),
        428: OpenApiResponse(ErrorSerializer, description="`idempotency_key_required`")})
    def post(self, request, pk: int):
        key = request.headers.get("Idempotency-Key", "")
        if not key.strip():
            return Response({"code": "idempotency_key_required", "fields": {},
                             "detail": _("Send an Idempotency-Key header, one per item given.")},
                            status=status.HTTP_428_PRECONDITION_REQUIRED)
        serializer = AssistanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.assistance_give(actor=request.user, member_id=pk, kind=data["kind"], request_key=key,
                                          amount=data.get("amount"), currency=data.get("currency", ""),
                                          note=data.get("note", ""))
        response = Response(AssistanceSerializer(result.item).data,
                            status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class InstitutionList(generics.ListAPIView):
    """The directory of institutions people can be referred to."""

    serializer_class = InstitutionSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("country", str), OpenApiParameter("service", str, enum=Service.values),
                               OpenApiParameter("municipality", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = Institution.objects.filter(is_active=True)
        params = self.request.query_params
        if params.get("country"):
            queryset = queryset.filter(country=params["country"])
        if params.get("service"):
            queryset = queryset.filter(services__contains=[params["service"]])
        if params.get("municipality"):
            queryset = queryset.filter(municipality__iexact=params["municipality"])
        return queryset


def consent_missing_response() -> Response:
    return Response({"code": "consent_missing", "fields": {},
                     "detail": _("The person has not consented to share their data with this institution for this "
                                 "service. Record the consent first.")}, status=status.HTTP_409_CONFLICT)


class ReferralCreate(generics.GenericAPIView):
    """Refer a person to an institution; 409 `consent_missing` without their consent to share for that service."""

    serializer_class = ReferralCreateSerializer

    @extend_schema(responses={201: ReferralSerializer, 409: OpenApiResponse(
        ErrorSerializer, description="`consent_missing`: no consent to share with this institution for this service")})
    def post(self, request):
        serializer = ReferralCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            referral = services.referral_create(actor=request.user, member_id=data["member"],
                                                institution_id=data["institution"], service=data["service"],
                                                due_on=data.get("due_on"), note=data["note"])
        except services.ConsentMissing:
            return consent_missing_response()
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


class ReferralDetail(generics.GenericAPIView):
    """Follow a referral: accepted, completed or declined; `version` (or If-Match) guards concurrent edits."""

    serializer_class = ReferralUpdateSerializer

    @extend_schema(responses={200: ReferralSerializer, **VERSIONED_EDIT_ERRORS}, parameters=[ETAG_PARAMETER])
    def patch(self, request, pk: int):
        serializer = ReferralUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version, precondition = expected_version(request, changes)
        changes.pop("version", None)
        if version is None:
            return version_required_response()
        try:
            referral = services.referral_update(actor=request.user, referral_id=pk, expected_version=version,
                                                changes=changes)
        except StaleVersion as exc:
            return stale_response(exc, precondition=precondition, detail=stale_record_detail())
        return Response(ReferralSerializer(referral).data)


class FollowUpCreate(generics.GenericAPIView):
    """The answers of a follow-up call (only for someone who agreed to be contacted)."""

    serializer_class = FollowUpSerializer

    @extend_schema(responses={201: FollowUpSerializer})
    def post(self, request, pk: int):
        serializer = FollowUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.follow_up_record(actor=request.user, member_id=pk, data=dict(serializer.validated_data))
        return Response(FollowUpSerializer(record).data, status=status.HTTP_201_CREATED)


class FollowUpQueue(generics.GenericAPIView):
    """The follow-ups of the user's reception centres: `due` (default), `overdue`, or `call_back` (today)."""

    serializer_class = FollowUpQueueSerializer
    pagination_class = None  # capped at QUEUE_LIMIT, soonest window closing first

    @extend_schema(parameters=[OpenApiParameter("tab", str, enum=list(FOLLOW_UP_TABS))],
                   responses={200: FollowUpQueueSerializer(many=True),
                              400: OpenApiResponse(ErrorSerializer, description="an unknown `tab`"),
                              404: OpenApiResponse(ErrorSerializer, description="the user is the reception staff "
                                                                                "of no centre")})
    def get(self, request):
        from cases.selectors import cases_listed_audit
        from reception.views import centres_of

        tab = request.query_params.get("tab", "due")
        if tab not in FOLLOW_UP_TABS:
            return Response({"code": "invalid", "fields": {"tab": [_("Choose due, overdue or call_back.")]},
                             "detail": _("Choose due, overdue or call_back.")}, status=status.HTTP_400_BAD_REQUEST)
        rows = list(follow_up_queue(user=request.user, centres=centres_of(request.user), tab=tab)[:QUEUE_LIMIT])
        cases_listed_audit(user=request.user, cases=list({f.member.case for f in rows}), request=request)
        return Response(FollowUpQueueSerializer(rows, many=True).data)


class FollowUpAttemptCreate(generics.GenericAPIView):
    """Record an attempt to reach the person; with `completed`, the answers too (all or nothing).

    Send an Idempotency-Key: a retry answers 200 with the first attempt. `version` guards two staff on one follow-up.
    """

    serializer_class = FollowUpAttemptInputSerializer

    @extend_schema(parameters=[IDEMPOTENCY_KEY], responses={
        201: FollowUpAttemptResultSerializer,
        200: OpenApiResponse(FollowUpAttemptResultSerializer, description="a retry: the first attempt"),
        400: OpenApiResponse(ErrorSerializer, description="a wrong field or answer (`q_<code>`); nothing saved"),
        409: VERSIONED_EDIT_ERRORS[409],
        428: OpenApiResponse(ErrorSerializer, description="`idempotency_key_required`")})
    def post(self, request, pk: int):
        followups.follow_up_for_staff(request.user, pk)
        key = request.headers.get("Idempotency-Key", "")
        if not key.strip():
            return Response({"code": "idempotency_key_required", "fields": {},
                             "detail": _("Send an Idempotency-Key header, one per attempt.")},
                            status=status.HTTP_428_PRECONDITION_REQUIRED)
        serializer = FollowUpAttemptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = followups.follow_up_attempt_record(
                actor=request.user, follow_up_id=pk, channel=data["channel"], outcome=data["outcome"],
                request_key=key, expected_version=data["version"], call_back_on=data["call_back_on"],
                note=data["note"], answers=data["answers"])
        except StaleVersion as exc:
            return stale_response(exc, precondition=False, detail=stale_record_detail())
        body = {"attempt": result.attempt, "follow_up": result.follow_up, "replayed": result.replayed}
        return Response(FollowUpAttemptResultSerializer(body).data,
                        status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED)
