from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import ValidationError

from accounts.choices import Country
from accounts.models import Office, Programme
from cases.api.serializers import CaseSerializer
from cases.choices import CaseStatus
from cases.permissions import case_access_batch
from cases.selectors import case_get_for_user, case_list_for_user, cases_listed_audit


def case_filters_from(params) -> dict:
    """Read the list filters, refusing unknown codes with a message that names them."""
    filters, errors = {}, {}
    checks = {
        "status": lambda v: v in CaseStatus.values,
        "nationality": lambda v: v in Country.values,
        "office": lambda v: Office.objects.filter(code=v).exists(),
        "programme": lambda v: Programme.objects.filter(code=v).exists(),
    }
    messages = {
        "status": _("“%(value)s” is not a case status."),
        "nationality": _("“%(value)s” is not a known country code."),
        "office": _("No office has the code “%(value)s”."),
        "programme": _("No programme has the code “%(value)s”."),
    }
    for name, valid in checks.items():
        value = params.get(name)
        if value:
            if valid(value):
                filters[name] = value
            else:
                errors[name] = [messages[name] % {"value": value}]
    if errors:
        raise ValidationError(errors)
    return filters


@extend_schema_view(get=extend_schema(parameters=[
    OpenApiParameter("status", str), OpenApiParameter("office", str, description="office code"),
    OpenApiParameter("programme", str, description="programme code"),
    OpenApiParameter("nationality", str, description="principal's nationality, ISO code"),
]))
class CaseList(generics.ListAPIView):
    """Cases the caller may see, newest first; fields limited to the caller's role."""

    serializer_class = CaseSerializer

    def get_queryset(self):
        filters = case_filters_from(self.request.query_params)
        return case_list_for_user(user=self.request.user, filters=filters).prefetch_related("members")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        access = case_access_batch(request.user, page)
        cases_listed_audit(user=request.user, cases=page, request=request._request)
        serializer = self.get_serializer(page, many=True, context={**self.get_serializer_context(), "access": access})
        return self.get_paginated_response(serializer.data)


class CaseDetail(generics.RetrieveAPIView):
    """One case; 404 when the caller may not see it. Every read is audited."""

    serializer_class = CaseSerializer

    def get_object(self):
        case, access = case_get_for_user(user=self.request.user, case_id=self.kwargs["pk"], request=self.request._request)
        self.access = {case.pk: access}
        return case

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "access": getattr(self, "access", {})}
