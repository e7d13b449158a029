"""The booth's shell page, service worker and manifest: caseworkers only, no inline script, nothing cached."""

import json

import pytest
from django.urls import reverse

from accounts.choices import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_a_caseworker_gets_the_shell_with_its_strings_as_json_and_no_inline_script(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/booth/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    html = response.content.decode()
    assert '<script id="booth-config" type="application/json">' in html
    assert '/static/booth/booth.js' in html and 'rel="manifest"' in html
    config = json.loads(html.split('<script id="booth-config" type="application/json">')[1].split("</script>")[0])
    assert config["user"]["username"] == caseworker.username
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_shell_speaks_the_users_language(client, caseworker):
    client.force_login(caseworker)
    client.cookies["django_language"] = "es"
    response = client.get("/booth/", HTTP_ACCEPT_LANGUAGE="es")
    html = response.content.decode()
    config = json.loads(html.split('<script id="booth-config" type="application/json">')[1].split("</script>")[0])
    assert config["strings"]["queued (%(n)s)"] == "en la cola (%(n)s)"
    assert config["strings"]["field.given_names"] == "Nombres"


def test_the_shell_is_for_caseworkers_only(client, supervisor, tij):
    assert client.get("/booth/").status_code == 302
    client.force_login(supervisor)
    assert client.get("/booth/").status_code == 403
    assert client.get("/booth/sw.js").status_code == 403


def test_the_service_worker_names_the_precached_assets_and_imports_the_bundle_from_this_host(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/booth/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/booth/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    prelude = json.loads(body.split("self.__BOOTH = ", 1)[1].split(";\n", 1)[0])
    assert "/static/booth/booth.js" in prelude["assets"]
    assert "/static/vendor/bootstrap/bootstrap.min.css" in prelude["assets"]
    assert prelude["shell"] == "/booth/" and len(prelude["version"]) == 16
    assert 'importScripts("/static/booth/booth-sw.js")' in body


def test_the_manifest_makes_the_booth_installable_in_its_own_scope(client):
    response = client.get(reverse("booth_manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/booth/" and manifest["scope"] == "/booth/"
    assert manifest["display"] == "standalone"
    assert {icon["src"] for icon in manifest["icons"]} == {"/static/booth/icon.svg", "/static/booth/icon-192.png"}


def test_caseworkers_find_the_booth_in_the_menu_and_others_do_not(client, caseworker, tij):
    client.force_login(caseworker)
    assert 'data-nav="booth"' in client.get("/").content.decode()
    client.force_login(staff("mov_x", Role.MOVEMENT_OFFICER, country="MX"))
    assert 'data-nav="booth"' not in client.get("/").content.decode()


def test_every_signed_in_page_carries_the_sign_out_guard(client, caseworker):
    client.force_login(caseworker)
    html = client.get("/").content.decode()
    assert "/static/js/booth-guard.js" in html and 'data-booth-url="/booth/"' in html
