"""`POST /api/v1/cases/{id}/anonymise/` (`?dry_run=1` says what would go and writes nothing)."""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Role
from cases.models import Case
from cases.permissions import case_access, user_roles
from retention.services import AnonymisationRefused, case_anonymise

TRUE, FALSE = ("1", "true", "yes"), ("", "0", "false", "no")


class CertificateSerializer(serializers.Serializer):
    run_id = serializers.UUIDField()
    at = serializers.DateTimeField()
    by = serializers.CharField(source="actor_username")
    policy = serializers.CharField()


class AnonymisationSerializer(serializers.Serializer):
    """What was removed (or would be, in a dry run): rows and fields per model, files, audit keys destroyed."""

    dry_run = serializers.BooleanField()
    cases = serializers.ListField(child=serializers.CharField(), source="case_references")
    removed = serializers.DictField(help_text='e.g. {"cases.Member": {"rows": 3, "fields": ["given_names", ...]}, '
                                              '"files": 1, "audit_keys": 1}')
    certificate = CertificateSerializer(allow_null=True, help_text="null in a dry run")


class AnonymisationRefusedSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["case_not_closed", "legal_hold", "already_anonymised"])
    detail = serializers.CharField()
    fields = serializers.DictField()


def dry_run_param(request) -> bool:
    value = request.query_params.get("dry_run", "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValidationError({"dry_run": [_("Use dry_run=1 for a dry run, or leave it out.")]})


class CaseAnonymise(APIView):
    """Anonymise a closed case: names, documents, phones, notes, narratives, medical detail and scans overwritten,
    birth date to its year, place of origin to the country; the case's audit values made unreadable.

    For an admin or a supervisor of the case's programme. 409 `case_not_closed`, `legal_hold` or
    `already_anonymised` when it may not go now; nothing is changed then.
    """

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("dry_run", str, enum=["1", "0"],
                                     description="1: say what would be removed, change nothing")],
        responses={200: AnonymisationSerializer,
                   409: OpenApiResponse(AnonymisationRefusedSerializer,
                                        description="the case is not closed, is under a legal hold, or is done")})
    def post(self, request, pk: int):
        dry_run = dry_run_param(request)
        case = Case.objects.filter(pk=pk).first()
        if case is None or (Role.ADMIN not in user_roles(request.user) and case_access(request.user, case) is None):
            raise Http404
        try:
            summary = case_anonymise(case_id=case.pk, actor=request.user, dry_run=dry_run)
        except AnonymisationRefused as refused:
            return Response({"code": refused.code, "detail": refused.message, "fields": {}}, status=409)
        return Response(AnonymisationSerializer(summary).data)


urlpatterns = [path("cases/<int:pk>/anonymise/", CaseAnonymise.as_view(), name="api-case-anonymise")]
