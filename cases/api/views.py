from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.exceptions import ValidationError

from accounts.choices import Country
from accounts.models import Office, Programme
from cases.api.serializers import CaseEventSerializer, CaseSerializer, TransitionSerializer
from cases.choices import CaseStatus
from cases.permissions import case_access_batch
from cases.selectors import case_get_for_user, case_list_for_user, cases_listed_audit
from cases.services import InvalidTransition, case_transition


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


def invalid_transition_response(exc: InvalidTransition) -> Response:
    labels = dict(CaseStatus.choices)
    detail = _("A case cannot move from “%(from)s” to “%(to)s”.") % {
        "from": labels[exc.from_status], "to": labels.get(exc.to_status, exc.to_status)}
    return Response({"code": "invalid_transition", "detail": detail, "fields": {},
                     "from": exc.from_status, "to": exc.to_status}, status=status.HTTP_409_CONFLICT)


class CaseTransitionCreate(generics.GenericAPIView):
    """Move a case along its lifecycle; 409 names both statuses when the move is not allowed."""

    serializer_class = TransitionSerializer

    @extend_schema(request=TransitionSerializer, responses={200: CaseSerializer})
    def post(self, request, pk: int):
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            case_transition(case_id=pk, actor=request.user, **serializer.validated_data)
        except InvalidTransition as exc:
            return invalid_transition_response(exc)
        case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
        return Response(CaseSerializer(case, context={"access": {case.pk: access}, "request": request}).data)


class CaseEventList(generics.ListAPIView):
    """The case's timeline: who, when, from, to, why."""

    serializer_class = CaseEventSerializer
    pagination_class = None

    def get_queryset(self):
        case, _access = case_get_for_user(user=self.request.user, case_id=self.kwargs["pk"],
                                          request=self.request._request)
        return case.events.select_related("actor").order_by("at", "id")
