from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts.signin import lockout_retry_after
from avr.api import ErrorSerializer
from breakglass.models import BreakGlassGrant
from breakglass.services import AlreadyVisible, PasswordRefused, break_glass_grant
from breakglass.views import refusal_message


class BreakGlassRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000, trim_whitespace=False,
                                   help_text="why the case is needed now (at least 20 characters)")
    password = serializers.CharField(max_length=256, trim_whitespace=False, required=False, allow_blank=True,
                                     help_text="the caller's password, again; or send `otp` instead")
    otp = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                help_text="instead of `password`: a current code of the caller's authenticator app")

    def validate(self, attrs):
        if bool(attrs.get("password")) == bool(attrs.get("otp")):
            raise serializers.ValidationError(
                {"password": [_("Type your password, or a current code of your authenticator app (one of the two).")]})
        return attrs


class BreakGlassGrantSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="case.reference", read_only=True)

    class Meta:
        model = BreakGlassGrant
        fields = ["id", "case", "reference", "reason", "granted_at", "expires_at"]


class BreakGlassCreate(generics.GenericAPIView):
    """Emergency (break-the-glass) access to one case the caller does not see through their work: read-only, for
    AVR_BREAK_GLASS_HOURS, audited with the reason, told to the case's supervisors and the programme's
    data-protection focal point. Admins and supervisors only (anyone else, or a missing case, is a 404)."""

    serializer_class = BreakGlassRequestSerializer

    @extend_schema(request=BreakGlassRequestSerializer, responses={
        201: BreakGlassGrantSerializer,
        400: OpenApiResponse(ErrorSerializer, description="code `invalid` (a reason too short, on `reason`) or "
                                                           "`invalid_credentials` (a wrong password or code, counted "
                                                           "as a failed sign-in; neither or both: `invalid` on "
                                                           "`password`)"),
        409: OpenApiResponse(ErrorSerializer, description="code `already_visible`: the caller sees the case already"),
        429: OpenApiResponse(ErrorSerializer, description="code `locked_out`: too many failed sign-ins; or "
                                                           "`throttled`: wrong codes in a row, wait `Retry-After`"),
    })
    def post(self, request, pk: int):
        serializer = BreakGlassRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            grant = break_glass_grant(actor=request.user, case_id=pk, request=request._request,
                                      **serializer.validated_data)
        except PasswordRefused as exc:
            return _password_refused(exc, request)
        except AlreadyVisible as exc:
            return Response({"code": "already_visible", "detail": refusal_message(exc), "fields": {}},
                            status=status.HTTP_409_CONFLICT)
        return Response(BreakGlassGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


def _password_refused(exc: PasswordRefused, request) -> Response:
    detail = refusal_message(exc, request._request)
    if exc.locked:
        return Response({"code": "locked_out", "detail": detail, "fields": {}}, status=429,
                        headers={"Retry-After": str(lockout_retry_after())})
    if exc.wait:
        return Response({"code": "throttled", "detail": detail, "fields": {}}, status=429,
                        headers={"Retry-After": str(exc.wait)})
    field = "otp" if exc.code else "password"
    return Response({"code": "invalid_credentials", "detail": detail, "fields": {field: [detail]}},
                    status=status.HTTP_400_BAD_REQUEST)
