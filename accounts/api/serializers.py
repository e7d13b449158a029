from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Office, Programme


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


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
