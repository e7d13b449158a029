from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, NotFound, Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    ApiTokenSerializer,
    OfficeSerializer,
    ProgrammeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from accounts.mfa import (
    code_refused_message,
    mfa_code_check,
    mfa_device,
    mfa_due,
    second_factor_failed,
)
from accounts.models import Office, Programme
from accounts.selectors import api_tokens_live, api_tokens_of
from accounts.services import api_token_create, api_token_revoke, api_tokens_revoke_all
from accounts.signin import (
    SignInThrottle,
    busy_message,
    sign_in_slot,
    throttled_message,
)
from accounts.views import lockout
from audit.models import AuditAction
from audit.services import audit_login_failed, audit_login_refused, audit_record
from avr.api import CodeCursorPagination, ErrorSerializer


class ByCodeMixin:
    """Reference data is addressed by its code; an unknown code is named in the error."""

    lookup_field = "code"
    not_found_message = gettext_lazy("Not found.")

    def get_object(self):
        code = self.kwargs["code"]
        obj = self.get_queryset().filter(code__iexact=code).first()
        if obj is None:
            raise NotFound(str(self.not_found_message) % {"code": code})
        return obj

    def filter_queryset(self, queryset):
        code = self.request.query_params.get("code")
        if code is None:
            return queryset
        matched = queryset.filter(code__iexact=code)
        if not matched.exists():
            raise ValidationError({"code": [str(self.not_found_message) % {"code": code}]})
        return matched


OFFICE_NOT_FOUND = gettext_lazy("No office has the code “%(code)s”.")
PROGRAMME_NOT_FOUND = gettext_lazy("No programme has the code “%(code)s”.")


@extend_schema(parameters=[OpenApiParameter("code", str, description="Only the office with this code")])
class OfficeList(ByCodeMixin, generics.ListAPIView):
    """Offices: registration booths, field offices, reception centres."""

    serializer_class, queryset, not_found_message = OfficeSerializer, Office.objects.all(), OFFICE_NOT_FOUND
    pagination_class = CodeCursorPagination


class OfficeDetail(ByCodeMixin, generics.RetrieveAPIView):
    serializer_class, queryset, not_found_message = OfficeSerializer, Office.objects.all(), OFFICE_NOT_FOUND


@extend_schema(parameters=[OpenApiParameter("code", str, description="Only the programme with this code")])
class ProgrammeList(ByCodeMixin, generics.ListAPIView):
    """Return programmes."""

    serializer_class, queryset, not_found_message = ProgrammeSerializer, Programme.objects.all(), PROGRAMME_NOT_FOUND
    pagination_class = CodeCursorPagination


class ProgrammeDetail(ByCodeMixin, generics.RetrieveAPIView):
    serializer_class, queryset, not_found_message = ProgrammeSerializer, Programme.objects.all(), PROGRAMME_NOT_FOUND


class SignInRefused(Throttled):
    default_code = "throttled"


class TokenCreate(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`).

    Refusals (429, with Retry-After) come before any password is checked: too many attempts from the address
    (`throttled`), too many at the same time (`throttled`), or a lockout (`locked_out`).

    Two-factor sign-in: a user who set it up, or who must use it, also sends `otp`. Without it the answer is 401
    `mfa_required` (for one who has not set it up yet: set it up in the browser first); a wrong code is 401
    `mfa_invalid` and counts towards the lockout like a wrong password; wrong codes in a row make the next ones
    wait (429 `throttled`, `Retry-After`).
    """

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [SignInThrottle]
    throttle_scope = "sign_in"

    def throttled(self, request, wait):
        audit_login_refused(username=_posted_username(request), request=request._request, reason="throttled")
        raise SignInRefused(wait=wait, detail=throttled_message())

    @extend_schema(request=TokenRequestSerializer, responses={
        200: TokenSerializer,
        400: OpenApiResponse(ErrorSerializer, description="code `invalid` or `invalid_credentials`"),
        401: OpenApiResponse(ErrorSerializer, description="code `mfa_required` (the user needs two-factor sign-in: "
                                                             "send `otp`, or set it up in the browser first) or "
                                                             "`mfa_invalid` (a wrong code, counted towards the "
                                                             "lockout)"),
        429: OpenApiResponse(ErrorSerializer, description="code `throttled` or `locked_out`, before any password "
                                                             "is checked, or `throttled` after wrong codes in a row; "
                                                             "`Retry-After` says in how many seconds"),
    })
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        with sign_in_slot(request._request) as allowed:
            if not allowed:
                audit_login_refused(username=username, request=request._request, reason="busy")
                raise SignInRefused(wait=1, detail=busy_message())
            user = authenticate(request._request, username=username,
                                password=serializer.validated_data["password"])
        if getattr(request._request, "axes_locked_out", False):
            audit_login_refused(username=username, request=request._request, reason="locked_out")
            return lockout(request._request)
        if user is None or not user.is_active:
            audit_login_failed(username=username, request=request._request)
            return Response({"code": "invalid_credentials", "detail": _("Wrong username or password."),
                             "fields": {}}, status=status.HTTP_400_BAD_REQUEST)
        refused = _second_factor_refusal(request._request, user, serializer.validated_data.get("otp") or "")
        if refused is not None:
            return refused
        token, key = api_token_create(user=user, request=request._request)
        return Response({"token": key, "expires_at": TokenSerializer().fields["expires_at"].to_representation(
            token.expires_at)})


def _second_factor_refusal(request, user, otp: str) -> Response | None:
    """None if the user needs no code or sent a right one; else the refusal (a wrong code counts as a failure)."""
    if not mfa_due(user):
        return None
    if mfa_device(user) is None:
        return _mfa_error("mfa_required", _("This account needs two-factor sign-in, which is not set up yet. Sign "
                                            "in once in the browser to set it up, then ask for a token again."))
    if not otp:
        return _mfa_error("mfa_required", _("This account uses two-factor sign-in: send the current code of your "
                                            "authenticator app (or a recovery code) as `otp`."))
    check = mfa_code_check(user=user, code=otp)
    if check.ok:
        if check.recovery:
            audit_record(actor=user, action=AuditAction.MFA_RECOVERY_USED, request=request, obj=user)
        return None
    second_factor_failed(request, user)
    if getattr(request, "axes_locked_out", False):
        return lockout(request)
    if check.throttled:
        return Response({"code": "throttled", "detail": code_refused_message(check), "fields": {}},
                        status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(check.wait)})
    return _mfa_error("mfa_invalid", code_refused_message(check), field="otp")


def _mfa_error(code: str, detail: str, field: str = "") -> Response:
    return Response({"code": code, "detail": detail, "fields": {field: [detail]} if field else {}},
                    status=status.HTTP_401_UNAUTHORIZED)


class ApiTokenList(generics.ListAPIView):
    """The caller's tokens that still work, one per client that signed in, newest first; never their keys.

    DELETE revokes them all, the one in use too: every client, this one included, signs in again.
    """

    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        return api_tokens_live(self.request.user).order_by("-id")

    @extend_schema(operation_id="auth_tokens_revoke_all", request=None, responses={204: None})
    def delete(self, request):
        api_tokens_revoke_all(user=request.user, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenDetail(APIView):
    """Revoke one of the caller's tokens (it may be the one in use); a token of anyone else is not found."""

    serializer_class = None

    @extend_schema(operation_id="auth_tokens_revoke", request=None, responses={204: None}, parameters=[
        OpenApiParameter("public_id", str, OpenApiParameter.PATH, description="the token's `id` from the list")])
    def delete(self, request, public_id: str):
        token = api_tokens_of(request.user).filter(public_id=public_id).first()
        if token is None:
            raise NotFound(_("No token of yours has this id."))
        api_token_revoke(token=token, actor=request.user, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _posted_username(request) -> str:
    try:
        username = request.data.get("username", "")
    except APIException:  # an unreadable body is refused here all the same; the username is only for the log
        return ""
    return username if isinstance(username, str) else ""
