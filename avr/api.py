"""API conventions: errors as {code, detail, fields}; cursor pagination."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from avr.edge import too_large_message, too_many_fields_message
from avr.idempotency import IdempotencyKeyReused

logger = logging.getLogger(__name__)


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: constant cost at any depth, no COUNT(*)."""

    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_paginated_response_schema(self, schema):
        """Every page has both links (null at either end); there is no count."""
        page = super().get_paginated_response_schema(schema)
        page["required"] = ["next", "previous", "results"]
        return page


def _split_fields(data) -> tuple[str, dict]:
    """A serializer's error dict becomes a headline plus per-field messages."""
    if isinstance(data, dict):
        fields = {k: v for k, v in data.items() if k not in ("non_field_errors", "detail")}
        general = data.get("non_field_errors") or data.get("detail")
        detail = general[0] if isinstance(general, list) and general else general
        return str(detail or _("Some fields are not valid.")), fields
    if isinstance(data, list) and data:
        return str(data[0]), {}
    return str(data), {}


def _django_errors(exc: DjangoValidationError) -> dict:
    """A service's refusal as the serializer shape: "__all__" (the model's non-field key) is the headline."""
    if not hasattr(exc, "error_dict"):
        return {"detail": exc.messages}
    errors = dict(exc.message_dict)
    if "__all__" in errors:
        errors["non_field_errors"] = errors.pop("__all__")
    return errors


def exception_handler(exc, context):
    """Every API error is structured JSON: {"code", "detail", "fields"}."""
    if isinstance(exc, IdempotencyKeyReused):
        return Response({"code": "idempotency_key_reused", "detail": exc.messages[0], "fields": {}}, status=422)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(_("You do not have permission to do this."))
    if isinstance(exc, RequestDataTooBig):
        return Response({"code": "too_large", "detail": too_large_message(), "fields": {}}, status=413)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response({"code": "too_many_fields", "detail": too_many_fields_message(), "fields": {}}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response({"code": "server_error", "detail": _("Something went wrong on our side. Nothing was saved."),
                         "fields": {}}, status=500)
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        detail, fields = _split_fields(response.data)
        code = "invalid"
    else:
        detail, fields = _split_fields(response.data)
        detail_obj = getattr(exc, "detail", None)
        code = getattr(detail_obj, "code", None) or code
    response.data = {"code": code, "detail": detail, "fields": fields}
    return response


def json_error(request, status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail, "fields": {}}, status=status)


class CodeCursorPagination(CursorPagination):
    """Reference data, in code order."""

    ordering = "code"


class ErrorSerializer(serializers.Serializer):
    """The shape of every API error (see exception_handler)."""

    code = serializers.CharField(help_text="stable, e.g. invalid, not_found, not_authenticated, permission_denied")
    detail = serializers.CharField(help_text="what went wrong, in the caller's language")
    fields = serializers.DictField(help_text="per-field messages: a list of messages, or nested as the request was")
