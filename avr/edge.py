"""Hostile input refused at the edge: control characters, oversized bodies, too many fields, bad header keys."""

import re
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError
from django.http import HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

MB = 1024 * 1024
# None at all in a path, a query string or a key sent in a header; tab, CR and LF may sit in a body's text.
CONTROL_ANYWHERE = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Any header (a token, a cookie) reaches the database as a lookup key; only tab may sit in a header value.
CONTROL_IN_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
KEY_HEADERS = ("Idempotency-Key", "If-Match")
IDEMPOTENCY_KEY_MAX_LENGTH = 255
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def body_limit(request) -> int:
    """Bytes a body may have: a multipart body carries a scan up to the upload limit besides its fields."""
    limit = settings.AVR_REQUEST_MAX_MB * MB
    if request.content_type == "multipart/form-data":
        limit += settings.AVR_UPLOAD_MAX_MB * MB
    return limit


def refuse(request, status: int, code: str, message: str) -> HttpResponse:
    """The API's structured error, or a plain translated page (no database, no session: nothing is trusted yet)."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": code, "detail": message, "fields": {}}, status=status)
    html = render_to_string("edge_error.html", {"status": status, "message": message,
                                              "LANGUAGE_CODE": get_language()})
    return HttpResponse(html, status=status)


def control_characters_message() -> str:
    return _("The request contains control characters (such as a NUL byte), which are never valid here.")


def too_large_message(limit_mb: int | None = None) -> str:
    return _("The request is too large: at most %(mb)s MB.") % {"mb": limit_mb or settings.AVR_REQUEST_MAX_MB}


def too_many_fields_message() -> str:
    return _("The request has too many fields: at most %(count)s.") % {
        "count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _header_problem(request) -> tuple[str, str] | None:
    if any(CONTROL_IN_HEADER.search(value) for name, value in request.META.items()
           if name.startswith("HTTP_") and isinstance(value, str)) or any(
            CONTROL_ANYWHERE.search(request.headers.get(name, "")) for name in KEY_HEADERS):
        return "control_characters", control_characters_message()
    if len(request.headers.get("Idempotency-Key", "")) > IDEMPOTENCY_KEY_MAX_LENGTH:
        return "invalid_header", _("An Idempotency-Key has at most %(count)s characters.") % {
            "count": IDEMPOTENCY_KEY_MAX_LENGTH}
    return None


def _form_has_control_characters(request) -> bool:
    # Django parses a form only for POST; a PUT or PATCH form is read here the way DRF's FormParser will read it.
    form = request.POST if request.method == "POST" or request.content_type != FORM_TYPES[0] else QueryDict(
        request.body)
    return any(CONTROL_IN_TEXT.search(key) or any(CONTROL_IN_TEXT.search(v) for v in values)
               for key, values in form.lists())


class HostileInputMiddleware:
    """Answer 400 / 413 before any view runs, so no hostile request reaches the database as a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if CONTROL_ANYWHERE.search(request.path_info) or CONTROL_ANYWHERE.search(
                unquote_plus(request.META.get("QUERY_STRING", ""), errors="replace")):
            return refuse(request, 400, "control_characters", control_characters_message())
        if problem := _header_problem(request):
            return refuse(request, 400, *problem)
        if _content_length(request) > (limit := body_limit(request)):
            return refuse(request, 413, "too_large", too_large_message(limit // MB))
        if request.method in ("POST", "PUT", "PATCH") and request.content_type in FORM_TYPES:
            try:
                if _form_has_control_characters(request):
                    return refuse(request, 400, "control_characters", control_characters_message())
            except RequestDataTooBig:
                return refuse(request, 413, "too_large", too_large_message())
            except (TooManyFieldsSent, TooManyFilesSent):
                return refuse(request, 400, "too_many_fields", too_many_fields_message())
            except MultiPartParserError:
                return refuse(request, 400, "bad_request", _("The request could not be understood."))
        return self.get_response(request)
