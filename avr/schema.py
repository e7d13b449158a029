"""The OpenAPI document: every operation's errors documented in the project's shape (avr.api.ErrorSerializer)."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from avr.api import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "invalid input (`fields` names each field and what is wrong with it), or a request refused at the edge "
           "(control characters in the path, the query or a header)",
    "401": "no credentials (`not_authenticated`), or a token that is not valid (`authentication_failed`: unknown, or "
           "its user deactivated), has expired (`token_expired`: unused for `API_TOKEN_IDLE_HOURS`, or "
           "`API_TOKEN_MAX_DAYS` old) or was revoked (`token_revoked`): sign in again",
    "403": "the caller may see the record but not do this",
    "404": "no such record for the caller (one the caller may not see answers the same), or an invalid cursor",
    "413": "the request body is too large",
    "415": "the request body's content type is not accepted",
    "422": "the Idempotency-Key was already used with a different body",
    "429": "too many requests: try again later",
}


class AutoSchema(openapi.AutoSchema):
    """Documents the errors every operation can answer, in the project's error shape, next to those it declares."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses or "content" not in responses[code]:
                documented = responses.get(code, {}).get("description") or ERROR_DESCRIPTIONS[code]
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=documented), code, direction=direction)
        for code, response in responses.items():
            if code >= "400" and "content" not in response:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=response.get("description", "")), code,
                    direction=direction)
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        parameters = self._get_parameters()
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        codes = ["400"]  # any request may be refused at the edge, whatever the operation reads
        if self.view.get_authenticators() and not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        if any(p["in"] == "path" for p in parameters) or self._get_paginator():
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters):
            codes.append("422")
        if self.view.get_throttles():
            codes.append("429")
        return codes


class FieldPolicySerializerExtension(OpenApiSerializerExtension):
    """A field the field policy may leave out for some readers is documented, but not as required."""

    target_class = "cases.fields.FieldPolicyMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "response" and "required" in schema:
            serializer = force_instance(self.target)
            schema["required"] = [name for name in schema["required"] if not self._policed(serializer, name)]
            if not schema["required"]:
                del schema["required"]
        return schema

    @staticmethod
    def _policed(serializer, name: str) -> bool:
        try:
            return serializer.policy_key(name) is not None
        except Exception:  # a field the policy does not know is never left out
            return False
