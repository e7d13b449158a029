"""The booth app's shell: the page the service worker keeps for offline use, the worker itself and the manifest.

The app is a static bundle (frontend/ -> static/booth/); these views only hand it its strings, its URLs and its
version. Nothing here carries a migrant's data: that stays in the booth's encrypted IndexedDB and in the API.
"""

import hashlib
import json
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cases.forms import caseworker_offices
from sync.booth_strings import booth_strings

# What the shell needs offline, precached by the service worker (base.html's styles and scripts included).
ASSETS = (
    "booth/booth.js",
    "booth/booth.css",
    "booth/icon.svg",
    "vendor/bootstrap/bootstrap.min.css",
    "css/app.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/confirm.js",
    "js/booth-guard.js",
)


@lru_cache(maxsize=1)
def assets_version() -> str:
    """A digest of every precached file: a new bundle gives a new worker, which refreshes the cache."""
    digest = hashlib.sha256()
    for name in (*ASSETS, "booth/booth-sw.js"):
        path = finders.find(name)
        digest.update(name.encode() + b"\0")
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


def _caseworker_only(request) -> None:
    if not caseworker_offices(request.user):
        raise PermissionDenied


@never_cache
@login_required
def booth_shell(request):
    """The booth app's page: an empty shell that the bundle fills from the cached definitions."""
    _caseworker_only(request)
    config = {
        "user": {"id": request.user.pk, "username": request.user.get_username(),
                 "name": request.user.get_full_name() or request.user.get_username()},
        "urls": {
            "definitions": "/api/v1/sync/definitions/", "devices": "/api/v1/devices/", "sync": "/api/v1/sync/",
            "conflicts": reverse("sync_conflicts"), "conflicts_api": "/api/v1/sync/conflicts/", "cases_api": "/api/v1/cases/",
            "sw": reverse("booth_sw"), "scope": reverse("booth"),
        },
        "strings": booth_strings(),
    }
    return render(request, "sync/booth.html", {"booth_config": config})


@never_cache
@login_required
def booth_service_worker(request):
    """The worker's entry: the assets and version of this deployment, then the bundled Workbox code."""
    _caseworker_only(request)
    prelude = {"assets": [static(name) for name in ASSETS], "shell": reverse("booth"), "version": assets_version()}
    body = f"self.__BOOTH = {json.dumps(prelude)};\nimportScripts({json.dumps(static('booth/booth-sw.js'))});\n"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("booth")
    return response


def booth_manifest(request):
    """The web app manifest that makes the booth installable (no personal data; public like the icons)."""
    scope = reverse("booth")
    manifest = {
        "name": _("AVR booth (offline)"), "short_name": _("AVR booth"), "start_url": scope, "scope": scope,
        "display": "standalone", "background_color": "#ffffff", "theme_color": "#0d6efd",
        "icons": [{"src": static("booth/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
                  {"src": static("booth/icon-192.png"), "sizes": "192x192", "type": "image/png"}],
    }
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
