"""API doors of the offline booths: definitions, tablets, the sync upload, conflicts."""

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.middleware.csrf import get_token
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Country
from accounts.models import Office, Programme
from avr.api import ErrorSerializer
from cases.choices import (
    ConsentScope,
    ConsentType,
    DocumentType,
    HowHeard,
    Relationship,
    Sex,
)
from cases.permissions import case_access_batch
from cases.selectors import cases_listed_audit
from screening.choices import CounsellingOutcome, CounsellingTopic
from sync.conflicts import (
    AlreadyResolved,
    conflict_resolve,
    conflicts_visible_to,
    field_label,
    values_readable,
)
from sync.keys import b64url
from sync.models import ConflictChoice, ConflictStatus, Device
from sync.services import (
    FORM_VERSION,
    BatchInvalid,
    DeviceRevoked,
    device_enrol,
    device_for_user,
    device_key_for,
    device_revoke,
    device_revoked_message,
    devices_visible_to,
    reference_block_reserve,
    registering_offices,
    sync_batch,
)


def error(code: str, detail: str, http_status: int, fields: dict | None = None) -> Response:
    return Response({"code": code, "detail": detail, "fields": fields or {}}, status=http_status)


def revoked_response() -> Response:
    return error("device_revoked", device_revoked_message(), status.HTTP_403_FORBIDDEN)


def caseworker_only(user) -> None:
    if not registering_offices(user):
        raise PermissionDenied


# Definitions


class CodeSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class DefinitionsSerializer(serializers.Serializer):
    form_version = serializers.CharField()
    language = serializers.CharField()
    csrf_token = serializers.CharField()
    user = serializers.DictField()
    offices = serializers.ListField(child=serializers.DictField())
    programmes = serializers.ListField(child=serializers.DictField())
    code_lists = serializers.DictField(child=CodeSerializer(many=True))
    limits = serializers.DictField(child=serializers.IntegerField())


def codes(choices) -> list[dict]:
    return [{"value": value, "label": str(label)} for value, label in choices]


class SyncDefinitions(APIView):
    """What a booth tablet caches to work offline: form version, offices, programmes, code lists (no personal data)."""

    @extend_schema(responses={200: DefinitionsSerializer, 403: ErrorSerializer})
    def get(self, request):
        caseworker_only(request.user)
        offices = registering_offices(request.user)
        countries = {office.country for office in offices}
        today = date.today()
        programmes = Programme.objects.filter(registration_countries__overlap=list(countries)).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)).order_by("code")
        return Response({
            "form_version": FORM_VERSION, "language": get_language(), "csrf_token": get_token(request),
            "user": {"id": request.user.pk, "username": request.user.username,
                     "name": request.user.get_full_name() or request.user.username},
            "offices": [{"code": o.code, "name": o.name, "country": o.country} for o in offices],
            "programmes": [{"code": p.code, "name": p.name, "return_countries": p.return_countries}
                           for p in programmes],
            "code_lists": {
                "countries": codes(Country.choices), "sexes": codes(Sex.choices),
                "relationships": codes(Relationship.choices), "how_heard": codes(HowHeard.choices),
                "document_types": codes(DocumentType.choices), "consent_types": codes(ConsentType.choices),
                "consent_scopes": codes([c for c in ConsentScope.choices if c[0] != ConsentScope.COLLECTION]),
                "counselling_topics": codes(CounsellingTopic.choices),
                "counselling_outcomes": codes(CounsellingOutcome.choices),
            },
            "limits": {"household_max_members": settings.AVR_HOUSEHOLD_MAX_MEMBERS,
                       "batch_max": settings.SYNC_BATCH_MAX},
        })


# Tablets


class ReferenceBlockSerializer(serializers.Serializer):
    prefix = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()


class DeviceSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    enrolled_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    alert = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = ["id", "label", "office", "status", "enrolled_by", "enrolled_at", "last_seen_at", "pending",
                  "oldest_pending_at", "last_error", "last_error_at", "last_sequence", "storage_usage",
                  "storage_quota", "storage_persisted", "revoked_at", "revoke_reason", "alert"]
        read_only_fields = fields

    def get_alert(self, device) -> bool:
        from sync.monitor import waiting_too_long

        return waiting_too_long(device)


class EnrolmentSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=80, allow_blank=True)
    office = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


class EnrolledDeviceSerializer(DeviceSerializer):
    key = serializers.CharField(read_only=True, help_text="base64url of the user's 32-byte key for this tablet")
    reference_block = ReferenceBlockSerializer(read_only=True)

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "key", "reference_block"]
        read_only_fields = fields


def block_shown(device: Device, block) -> dict:
    return {"prefix": device.reference_prefix, "start": block.start, "end": block.end}


class DeviceList(generics.ListCreateAPIView):
    """Booth tablets: a caseworker enrols one; supervisors see their offices' (the sync monitor)."""

    serializer_class = DeviceSerializer

    def get_queryset(self):
        return devices_visible_to(self.request.user).select_related("office", "enrolled_by")

    @extend_schema(request=EnrolmentSerializer, responses={201: EnrolledDeviceSerializer, 400: ErrorSerializer,
                                                           403: ErrorSerializer})
    def post(self, request):
        caseworker_only(request.user)
        data = EnrolmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        office = None
        if data.validated_data["office"]:
            office = Office.objects.filter(code=data.validated_data["office"]).first()
            if office is None:
                return error("invalid", _("Some fields are not valid."), 400, {"office": [
                    _("No office has the code “%(value)s”.") % {"value": data.validated_data["office"]}]})
        device = device_enrol(actor=request.user, label=data.validated_data["label"], office=office)
        body = DeviceSerializer(device).data
        body["key"] = b64url(device_key_for(user=request.user, device=device))
        body["reference_block"] = block_shown(device, device.reference_blocks.get())
        return Response(body, status=status.HTTP_201_CREATED)


class DeviceKeySerializer(serializers.Serializer):
    key = serializers.CharField()


class DeviceKey(APIView):
    """The signed-in user's key for this tablet, to unwrap its queue's key; refused once the tablet is withdrawn."""

    @extend_schema(responses={200: DeviceKeySerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def get(self, request, pk):
        device = device_for_user(user=request.user, device_id=pk)
        try:
            key = device_key_for(user=request.user, device=device)
        except DeviceRevoked:
            return revoked_response()
        response = Response({"key": b64url(key)})
        response["Cache-Control"] = "no-store"
        return response


class DeviceReferences(APIView):
    """Reserve the next block of provisional references for the tablet."""

    @extend_schema(request=None, responses={201: ReferenceBlockSerializer, 403: ErrorSerializer,
                                            404: ErrorSerializer})
    def post(self, request, pk):
        device = device_for_user(user=request.user, device_id=pk)
        try:
            device_key_for(user=request.user, device=device)
        except DeviceRevoked:
            return revoked_response()
        return Response(block_shown(device, reference_block_reserve(device=device)), status=201)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True)


class DeviceRevoke(APIView):
    """Withdraw a lost or stolen tablet: it can no longer sync nor unlock its queue (supervisors)."""

    @extend_schema(request=RevokeSerializer, responses={200: DeviceSerializer, 400: ErrorSerializer,
                                                        403: ErrorSerializer, 404: ErrorSerializer})
    def post(self, request, pk):
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_revoke(actor=request.user, device_id=pk, reason=data.validated_data["reason"])
        return Response(DeviceSerializer(device).data)


# The upload


class OperationSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="UUID v7 made on the tablet; also the operation's Idempotency-Key")
    sequence = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=["register", "member_add", "member_edit", "case_edit", "consent_record",
                                            "consent_withdraw", "counselling"])
    form_version = serializers.CharField()
    captured_at = serializers.DateTimeField()
    payload = serializers.DictField()


class StorageSerializer(serializers.Serializer):
    usage = serializers.IntegerField(required=False)
    quota = serializers.IntegerField(required=False)
    persisted = serializers.BooleanField(required=False)


class SyncRequestSerializer(serializers.Serializer):
    device = serializers.UUIDField()
    pending = serializers.IntegerField(required=False, min_value=0)
    oldest_pending_at = serializers.DateTimeField(required=False, allow_null=True)
    storage = StorageSerializer(required=False)
    operations = OperationSerializer(many=True)


class OperationResultSerializer(serializers.Serializer):
    id = serializers.CharField()
    sequence = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=["applied", "replayed", "conflict", "rejected", "retry"])
    code = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True)
    case = serializers.DictField(required=False)
    possible_duplicates = serializers.IntegerField(required=False)
    conflicts = serializers.ListField(child=serializers.DictField(), required=False)
    errors = serializers.DictField(required=False)
    member = serializers.DictField(required=False, help_text="member_add: the member added")
    consent = serializers.DictField(required=False, help_text="consent_record / consent_withdraw: the consent")
    counselling = serializers.DictField(required=False, help_text="counselling: the session recorded")
    withdrawn = serializers.ListField(child=serializers.IntegerField(), required=False,
                                      help_text="consent_withdraw by member and scope: the consents withdrawn")
    replayed = serializers.BooleanField(required=False)
    applied_as = serializers.CharField(required=False)


class SyncResponseSerializer(serializers.Serializer):
    results = OperationResultSerializer(many=True)
    last_sequence = serializers.IntegerField()


class SyncUpload(APIView):
    """Apply a tablet's queued operations in order, each once; each is answered with its own result."""

    @extend_schema(request=SyncRequestSerializer, responses={
        200: SyncResponseSerializer, 400: ErrorSerializer,
        403: OpenApiResponse(ErrorSerializer, description="`device_revoked`: the tablet was withdrawn"),
        404: ErrorSerializer})
    def post(self, request):
        try:
            return Response(sync_batch(actor=request.user, data=request.data))
        except BatchInvalid as exc:
            return error(exc.code, exc.message, 400, exc.fields)
        except DeviceRevoked:
            return revoked_response()


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the queue a booth tablet exported (format avr-booth-export-1)")


class SyncImport(APIView):
    """Apply a queue exported from a tablet (the way out when it cannot sync): by its caseworker or a supervisor."""

    @extend_schema(request={"multipart/form-data": ImportSerializer}, responses={
        200: SyncResponseSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def post(self, request):
        from sync.recovery import export_import

        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            return Response(export_import(importer=request.user, raw=data.validated_data["file"].read(),
                                          request=request._request))
        except BatchInvalid as exc:
            return error(exc.code, exc.message, 400, exc.fields)


# Conflicts


class ConflictCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = ConflictCaseSerializer()
    member = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    field_label = serializers.CharField()
    hidden = serializers.BooleanField(help_text="the values are withheld: the field policy does not let you read "
                                                "this field")
    base_value = serializers.JSONField(allow_null=True)
    server_value = serializers.JSONField(allow_null=True)
    device_value = serializers.JSONField(allow_null=True)
    device = serializers.CharField()
    captured_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=ConflictStatus.choices)
    resolution = serializers.CharField(allow_blank=True)
    resolved_by = serializers.CharField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


def conflict_shown(conflict, access) -> dict:
    shown = access is not None and values_readable(access, conflict)
    return {
        "id": conflict.pk, "case": {"id": conflict.case_id, "reference": conflict.case.reference},
        "member": conflict.member_id, "field": conflict.field, "field_label": field_label(conflict),
        "hidden": not shown,
        "base_value": conflict.base_value if shown else None,
        "server_value": conflict.server_value if shown else None,
        "device_value": conflict.device_value if shown else None,
        "device": conflict.operation.device.label, "captured_at": conflict.operation.captured_at,
        "created_at": conflict.created_at, "status": conflict.status, "resolution": conflict.resolution,
        "resolved_by": conflict.resolved_by.username if conflict.resolved_by else None,
        "resolved_at": conflict.resolved_at, "note": conflict.note,
    }


def conflicts_shown(user, conflicts, request=None) -> list[dict]:
    """Each conflict through the field policy; the page's cases are written to the audit log."""
    cases = {c.case_id: c.case for c in conflicts}
    access = case_access_batch(user, list(cases.values()))
    cases_listed_audit(user=user, cases=list(cases.values()), request=request)
    return [conflict_shown(c, access.get(c.case_id)) for c in conflicts]


class ConflictList(generics.ListAPIView):
    """Conflicts offline edits left, of the cases the user may see (open ones unless ?status=resolved)."""

    serializer_class = ConflictSerializer

    def get_queryset(self):
        wanted = self.request.query_params.get("status", ConflictStatus.OPEN)
        return conflicts_visible_to(self.request.user, status=wanted if wanted in ConflictStatus.values
                                    else ConflictStatus.OPEN)

    @extend_schema(parameters=[OpenApiParameter("status", enum=ConflictStatus.values, required=False)])
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(conflicts_shown(request.user, page, request=request._request))


class ResolveSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=ConflictChoice.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ConflictResolve(APIView):
    """Choose the server's value or the tablet's; the tablet's goes in through the same checks as an edit."""

    @extend_schema(request=ResolveSerializer, responses={
        200: ConflictSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
        409: OpenApiResponse(ErrorSerializer, description="`already_resolved`")})
    def post(self, request, pk: int):
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            conflict = conflict_resolve(actor=request.user, conflict_id=pk, **data.validated_data)
        except AlreadyResolved:
            return error("already_resolved", _("Someone already resolved this conflict."), 409)
        return Response(conflicts_shown(request.user, [conflict], request=request._request)[0])

