from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiToken, Office, Programme
from accounts.selectors import api_token_idle_expires_at


class OfficeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Office
        fields = ["code", "name", "kind", "country", "is_active"]


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = ["code", "name", "donor", "registration_countries", "return_countries", "start_date", "end_date"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("username"), max_length=150)
    password = serializers.CharField(label=_("password"), style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        label=_("code"), required=False, allow_blank=True, max_length=32,
        help_text="the current 6-digit code of the user's authenticator app, or one of their recovery codes (used up "
                  "by this); needed by users who set up two-factor sign-in and by those who must use it "
                  "(supervisors, admins, protection- or medical-cleared staff)")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="send as `Authorization: Token <token>`; shown only once")
    expires_at = serializers.DateTimeField(read_only=True, help_text="when it stops working whatever its use")


class ApiTokenSerializer(serializers.ModelSerializer):
    """One of the caller's tokens, never its key."""

    id = serializers.CharField(source="public_id", read_only=True)
    idle_expires_at = serializers.SerializerMethodField(
        help_text="when it stops working if not used before (`API_TOKEN_IDLE_HOURS` after its last use)")
    current = serializers.SerializerMethodField(help_text="the token this request was made with")

    class Meta:
        model = ApiToken
        fields = ["id", "label", "created_at", "last_used_at", "expires_at", "idle_expires_at", "current"]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField())
    def get_idle_expires_at(self, token):
        return serializers.DateTimeField().to_representation(api_token_idle_expires_at(token))

    @extend_schema_field(serializers.BooleanField())
    def get_current(self, token) -> bool:
        in_use = getattr(self.context.get("request"), "auth", None)
        return isinstance(in_use, ApiToken) and in_use.pk == token.pk
