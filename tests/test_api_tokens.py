"""API tokens: one per client, expiring when idle or old, listed and revoked by their owner, never shown again."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.selectors import api_token_digest
from accounts.tasks import api_tokens_purge
from audit.models import AuditAction, AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

USER_AGENT = "AVR-Tablet/2.1 (Android 13)"


def signed_in(username: str = "cw_tij", **extra) -> tuple[APIClient, str]:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json",
                           HTTP_USER_AGENT=USER_AGENT, REMOTE_ADDR="198.51.100.7", **extra)
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, key


def token_of(key: str) -> ApiToken:
    return ApiToken.objects.get(key_digest=api_token_digest(key))


def aged(key: str, **stored) -> None:
    """Time passes for this token: its stored timestamps move back."""
    ApiToken.objects.filter(key_digest=api_token_digest(key)).update(**stored)


def test_each_sign_in_makes_a_new_token_kept_only_as_a_digest_and_audited(caseworker):
    _phone, first = signed_in()
    _laptop, second = signed_in()

    tokens = ApiToken.objects.filter(user=caseworker)
    assert first != second and tokens.count() == 2
    token = token_of(first)
    assert first not in str(list(ApiToken.objects.values())) + str(list(AuditEvent.objects.values()))
    assert (token.label, token.created_ip) == (USER_AGENT, "198.51.100.7")
    assert token.expires_at - token.created_at == timedelta(days=7)
    logins = AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=caseworker, object_type="accounts.apitoken")
    assert sorted(logins.values_list("object_id", flat=True)) == sorted(str(pk) for pk in tokens.values_list("pk", flat=True))


def test_the_token_response_says_when_it_expires(caseworker):
    response = APIClient().post("/api/v1/auth/token/", {"username": "cw_tij", "password": PASSWORD}, format="json")

    assert set(response.json()) == {"token", "expires_at"}
    assert datetime.fromisoformat(response.json()["expires_at"]) == token_of(response.json()["token"]).expires_at


def test_a_token_unused_longer_than_the_idle_limit_is_refused_as_expired(caseworker, settings):
    client, key = signed_in()
    aged(key, last_used_at=timezone.now() - timedelta(hours=8, seconds=1))

    response = client.get("/api/v1/offices/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 401
    assert response.json() == {"code": "token_expired", "fields": {},
                               "detail": "This token has expired. Sign in again for a new one."}
    assert token_of(key).last_used_at < timezone.now() - timedelta(hours=8)  # a refusal is no use


def test_a_token_used_within_the_idle_limit_still_works(caseworker):
    client, key = signed_in()
    aged(key, last_used_at=timezone.now() - timedelta(hours=7, minutes=59))

    assert client.get("/api/v1/offices/").status_code == 200


def test_the_idle_limit_follows_the_setting(caseworker, settings):
    settings.API_TOKEN_IDLE_HOURS = 1
    client, key = signed_in()
    aged(key, last_used_at=timezone.now() - timedelta(minutes=61))

    assert client.get("/api/v1/offices/").json()["code"] == "token_expired"


def test_a_token_past_its_absolute_expiry_is_refused_however_recently_used(caseworker):
    client, key = signed_in()
    week_ago = timezone.now() - timedelta(days=7, seconds=1)
    aged(key, created_at=week_ago, expires_at=week_ago + timedelta(days=7))

    response = client.get("/api/v1/offices/")

    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_a_shorter_maximum_age_applies_to_tokens_already_made(caseworker, settings):
    client, key = signed_in()
    aged(key, created_at=timezone.now() - timedelta(days=2))
    settings.API_TOKEN_MAX_DAYS = 1

    assert client.get("/api/v1/offices/").json()["code"] == "token_expired"


def test_the_refusals_are_in_spanish_for_a_spanish_client(caseworker):
    client, key = signed_in()
    aged(key, last_used_at=timezone.now() - timedelta(days=1))
    revoked_client, revoked_key = signed_in()
    aged(revoked_key, revoked_at=timezone.now())

    expired = client.get("/api/v1/offices/", HTTP_ACCEPT_LANGUAGE="es")
    revoked = revoked_client.get("/api/v1/offices/", HTTP_ACCEPT_LANGUAGE="es")
    unknown = APIClient().get("/api/v1/offices/", HTTP_AUTHORIZATION="Token not-a-key", HTTP_ACCEPT_LANGUAGE="es")

    assert (expired.status_code, revoked.status_code, unknown.status_code) == (401, 401, 401)
    assert expired.json()["detail"] == "Este token ha caducado. Inicie sesión de nuevo para obtener otro."
    assert revoked.json()["detail"] == "Este token fue revocado. Inicie sesión de nuevo para obtener otro."
    assert unknown.json() == {"code": "authentication_failed", "fields": {},
                              "detail": "Este token no es válido. Inicie sesión de nuevo para obtener otro."}


def test_the_use_of_a_token_is_written_at_most_once_a_minute(caseworker):
    client, key = signed_in()
    assert client.get("/api/v1/offices/").status_code == 200
    noted = token_of(key).last_used_at

    with CaptureQueriesContext(connection) as fresh:
        client.get("/api/v1/offices/")
    aged(key, last_used_at=noted - timedelta(seconds=61))
    with CaptureQueriesContext(connection) as stale:
        client.get("/api/v1/offices/")

    assert not [q for q in fresh.captured_queries if q["sql"].startswith("UPDATE")]
    assert len([q for q in stale.captured_queries if 'UPDATE "accounts_apitoken"' in q["sql"]]) == 1
    assert token_of(key).last_used_at > noted


def test_the_owner_lists_their_working_tokens_without_keys_and_the_current_one_marked(caseworker, outsider):
    phone, phone_key = signed_in()
    _laptop, laptop_key = signed_in()
    _old, old_key = signed_in()
    aged(old_key, last_used_at=timezone.now() - timedelta(days=1))
    signed_in("cw_tap")

    response = phone.get("/api/v1/auth/tokens/")

    assert response.status_code == 200
    listed = response.json()["results"]
    assert [t["id"] for t in listed] == [token_of(laptop_key).public_id, token_of(phone_key).public_id]
    assert [t["current"] for t in listed] == [False, True]
    assert set(listed[0]) == {"id", "label", "created_at", "last_used_at", "expires_at", "idle_expires_at", "current"}
    assert listed[0]["label"] == USER_AGENT
    assert phone_key not in response.content.decode() and laptop_key not in response.content.decode()


def test_revoking_one_token_stops_it_and_leaves_the_others(caseworker):
    phone, phone_key = signed_in()
    laptop, laptop_key = signed_in()

    response = phone.delete(f"/api/v1/auth/tokens/{token_of(laptop_key).public_id}/")

    assert response.status_code == 204
    assert laptop.get("/api/v1/offices/").json()["code"] == "token_revoked"
    assert laptop.get("/api/v1/offices/").status_code == 401
    assert phone.get("/api/v1/offices/").status_code == 200
    revoked = AuditEvent.objects.get(action=AuditAction.LOGOUT, actor=caseworker)
    assert (revoked.object_type, revoked.object_id) == ("accounts.apitoken", str(token_of(laptop_key).pk))


def test_revoking_all_tokens_stops_every_one_the_current_included(caseworker, outsider):
    phone, phone_key = signed_in()
    laptop, _laptop_key = signed_in()
    theirs, _their_key = signed_in("cw_tap")

    response = phone.delete("/api/v1/auth/tokens/")

    assert response.status_code == 204
    assert phone.get("/api/v1/offices/").json()["code"] == "token_revoked"
    assert laptop.get("/api/v1/offices/").json()["code"] == "token_revoked"
    assert theirs.get("/api/v1/offices/").status_code == 200
    assert not ApiToken.objects.filter(user=caseworker, revoked_at__isnull=True).exists()
    revoked = AuditEvent.objects.get(action=AuditAction.LOGOUT, actor=caseworker)
    assert sorted(revoked.object_ids) == sorted(ApiToken.objects.filter(user=caseworker).values_list("pk", flat=True))


def test_another_users_token_is_not_found_and_keeps_working(caseworker, outsider):
    mine, _key = signed_in()
    theirs, their_key = signed_in("cw_tap")

    response = mine.delete(f"/api/v1/auth/tokens/{token_of(their_key).public_id}/", HTTP_ACCEPT_LANGUAGE="en")
    unknown = mine.delete("/api/v1/auth/tokens/abcdef123456/", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No token of yours has this id.", "fields": {}}
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Ningún token suyo tiene este identificador."
    assert token_of(their_key).revoked_at is None
    assert theirs.get("/api/v1/offices/").status_code == 200
    assert not AuditEvent.objects.filter(action=AuditAction.LOGOUT).exists()


def test_the_token_list_needs_a_signed_in_caller():
    response = APIClient().get("/api/v1/auth/tokens/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_deactivated_users_tokens_stop_working(caseworker):
    client, key = signed_in()
    caseworker.is_active = False
    caseworker.save()

    response = client.get("/api/v1/offices/", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "fields": {},
                               "detail": "Esta cuenta está desactivada."}
    assert token_of(key).revoked_at is None and token_of(key).last_used_at < timezone.now()


def test_tokens_dead_for_a_month_are_forgotten_and_the_others_kept(caseworker):
    now = timezone.now()
    _live, live_key = signed_in()
    _lately, lately_revoked = signed_in()
    for key in [signed_in()[1] for _ in range(3)]:
        aged(key, revoked_at=now - timedelta(days=31))
    _idle, long_idle = signed_in()
    aged(long_idle, last_used_at=now - timedelta(days=32))
    aged(lately_revoked, revoked_at=now - timedelta(days=29))

    api_tokens_purge()

    kept = set(ApiToken.objects.values_list("key_digest", flat=True))
    assert kept == {api_token_digest(live_key), api_token_digest(lately_revoked)}


def test_a_new_password_revokes_every_token_of_the_old_one(client, caseworker):
    api, key = signed_in()
    client.force_login(caseworker)

    client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "una-clave-nueva-larga",
                                        "new_password2": "una-clave-nueva-larga"})

    assert api.get("/api/v1/auth/tokens/").status_code == 401
    assert token_of(key).revoked_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE, actor=caseworker).exists()


def test_a_password_set_in_the_admin_revokes_the_users_tokens(client, caseworker, admin_user):
    api, key = signed_in()
    client.force_login(admin_user)

    client.post(f"/admin/accounts/user/{caseworker.pk}/password/",
                {"password1": "otra-clave-nueva-larga", "password2": "otra-clave-nueva-larga",
                 "usable_password": "true"})

    assert token_of(key).revoked_at is not None
    assert api.get("/api/v1/auth/tokens/").status_code == 401
