"""Error pages: translated HTML in the browser, structured JSON under /api/."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from avr.api import json_error


def _respond(request, status: int, code: str, message: str):
    if request.path.startswith("/api/"):
        return json_error(request, status, code, message)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _respond(request, 400, "bad_request", _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _respond(request, 403, "permission_denied", _("You do not have permission to do this."))


def page_not_found(request, exception=None):
    return _respond(request, 404, "not_found", _("Not found."))


def server_error(request):
    return _respond(request, 500, "server_error", _("Something went wrong on our side. Nothing was saved."))
