"""API base: token, schema, reference data, structured errors."""

import pytest

from tests.conftest import api_as
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_a_token_from_username_and_password_opens_the_api(api, caseworker, tij):
    token = api.post("/api/v1/auth/token/", {"username": "cw_tij", "password": PASSWORD}, format="json").json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get("/api/v1/offices/")

    assert response.status_code == 200
    assert [o["code"] for o in response.json()["results"]] == ["TIJ"]


def test_a_wrong_password_gets_a_structured_400(api, caseworker):
    response = api.post("/api/v1/auth/token/", {"username": "cw_tij", "password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["fields"] == {}


def test_a_missing_password_names_the_field(api):
    response = api.post("/api/v1/auth/token/", {"username": "cw_tij"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"code", "detail", "fields"}
    assert "password" in response.json()["fields"]


def test_malformed_json_gets_a_structured_400_not_a_500(api):
    response = api.post("/api/v1/auth/token/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_an_unauthenticated_call_gets_401(api):
    response = api.get("/api/v1/programmes/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_offices_and_programmes_are_listed_with_their_codes(caseworker, tij, sps, caravan, nicaragua):
    client = api_as(caseworker)

    offices = client.get("/api/v1/offices/").json()
    programmes = client.get("/api/v1/programmes/").json()

    assert [o["code"] for o in offices["results"]] == ["HN-SPS", "TIJ"]
    assert [p["code"] for p in programmes["results"]] == ["CARAVAN-2018", "NIC-2019"]
    assert programmes["results"][0]["donor"] == "PRM"
    assert "next" in offices and "count" not in offices  # cursor pagination, no COUNT(*)


def test_an_unknown_office_code_is_named_in_the_error(caseworker, tij):
    client = api_as(caseworker)

    detail = client.get("/api/v1/offices/NOPE/")
    filtered = client.get("/api/v1/offices/?code=NOPE")
    cases = client.get("/api/v1/cases/?office=NOPE")

    assert detail.status_code == 404 and "NOPE" in detail.json()["detail"]
    assert filtered.status_code == 400 and "NOPE" in filtered.json()["fields"]["code"][0]
    assert cases.status_code == 400 and "NOPE" in cases.json()["fields"]["office"][0]


def test_errors_follow_the_callers_language(caseworker, tij):
    client = api_as(caseworker)

    spanish = client.get("/api/v1/offices/NOPE/", HTTP_ACCEPT_LANGUAGE="es")
    english = client.get("/api/v1/offices/NOPE/", HTTP_ACCEPT_LANGUAGE="en")

    assert spanish.json()["detail"] == "Ninguna oficina tiene el código “NOPE”."
    assert english.json()["detail"] == "No office has the code “NOPE”."


def test_an_unknown_api_path_is_json_not_html(api):
    response = api.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.smoke
def test_the_openapi_schema_describes_the_contract(api, caseworker):
    response = api_as(caseworker).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/auth/token/", "/api/v1/offices/", "/api/v1/programmes/", "/api/v1/cases/",
                 "/api/v1/cases/{id}/"]:
        assert path in paths


def test_the_interactive_docs_are_served_without_a_cdn(client, caseworker):
    client.force_login(caseworker)

    page = client.get("/api/v1/docs/").content.decode()

    assert "swagger" in page.lower()
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_an_unexpected_error_in_the_api_is_json(caseworker, monkeypatch):
    from cases.api import views

    def boom(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "case_list_page", boom)
    client = api_as(caseworker)
    client.raise_request_exception = False

    response = client.get("/api/v1/cases/")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
