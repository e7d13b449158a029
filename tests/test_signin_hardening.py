"""Sign-in hardening: a password spray from one address is locked out across usernames, refusals cost no password
hash, the token endpoint is throttled, password changes are audited, and personal answers are never stored."""

import json

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.utils import timezone

from accounts.models import ApiToken, User
from bench.signin_burst import burst_while_a_page_loads
from accounts.signin import SignInThrottle
from audit.models import AuditAction, AuditEvent
from tests.conftest import api_as
from tests.factories import PASSWORD
from tests.travel_steps import convoy
from travel import services as travel

pytestmark = pytest.mark.django_db

SPRAYER = "203.0.113.7"
LOCKED_EN = "Too many failed sign-in attempts."
ADDRESS_LOCKED_EN = "Too many failed sign-in attempts from this address, for any account."
ACCOUNT_LOCKED_EN = "Too many failed sign-in attempts. This account is locked for this device"


@pytest.fixture
def hashes(monkeypatch):
    """Counts password hashes: checking a password, or the decoy hash for an unknown username (both encode once)."""
    counted = {"n": 0}
    encode = MD5PasswordHasher.encode

    def counting_encode(self, *args, **kwargs):
        counted["n"] += 1
        return encode(self, *args, **kwargs)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting_encode)
    return counted


def page_login(client, username, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       HTTP_ACCEPT_LANGUAGE="en", **extra)


def token_request(api, username, password=PASSWORD, **extra):
    return api.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json",
                    HTTP_ACCEPT_LANGUAGE="en", **extra)


def refused(reason):
    return AuditEvent.objects.filter(action=AuditAction.LOGIN_REFUSED, reason=reason)


# A password spray from one address


def test_a_spray_across_thirty_usernames_is_locked_after_twenty_and_the_rest_cost_no_hash(client, caseworker, hashes):
    answers = [page_login(client, f"staff{i:02d}", "Verano2018!", REMOTE_ADDR=SPRAYER).status_code
               for i in range(20)]
    hashed_before_the_lock = hashes["n"]
    rest = [page_login(client, f"staff{i:02d}", "Verano2018!", REMOTE_ADDR=SPRAYER) for i in range(20, 30)]

    assert answers == [200] * 19 + [429]
    assert hashed_before_the_lock == 20
    assert [r.status_code for r in rest] == [429] * 10
    assert hashes["n"] == 20  # none of the ten refused attempts hashed a password
    assert ADDRESS_LOCKED_EN in rest[-1].content.decode()
    assert rest[-1]["Retry-After"] == str(30 * 60)
    assert "_auth_user_id" not in client.session
    assert refused("locked_out").count() == 11  # the attempt that reached the limit and the ten after it


def test_the_sprayed_address_is_refused_even_the_right_password_of_a_real_user(client, caseworker, hashes):
    for i in range(20):
        page_login(client, f"staff{i:02d}", "Verano2018!", REMOTE_ADDR=SPRAYER)
    hashes["n"] = 0

    response = page_login(client, "cw_tij", REMOTE_ADDR=SPRAYER)

    assert response.status_code == 429
    assert hashes["n"] == 0
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=caseworker).exists()


def test_the_user_signs_in_from_another_address_while_the_sprayed_one_is_locked(client, caseworker):
    for i in range(20):
        page_login(client, f"staff{i:02d}", "Verano2018!", REMOTE_ADDR=SPRAYER)

    response = page_login(client, "cw_tij", REMOTE_ADDR="198.51.100.20")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(caseworker.pk)


def test_signing_in_to_ones_own_account_does_not_wipe_the_addresss_count_across_usernames(client, caseworker):
    for i in range(19):
        page_login(client, f"staff{i:02d}", "Verano2018!", REMOTE_ADDR=SPRAYER)
    assert page_login(client, "cw_tij", REMOTE_ADDR=SPRAYER).status_code == 302
    client.logout()

    response = page_login(client, "staff19", "Verano2018!", REMOTE_ADDR=SPRAYER)

    assert response.status_code == 429
    assert AccessAttempt.objects.filter(ip_address=SPRAYER).count() == 20


def test_the_per_username_limit_still_locks_at_five_below_the_address_limit(client, caseworker, outsider, hashes):
    for _ in range(5):
        page_login(client, "cw_tij", "wrong", REMOTE_ADDR=SPRAYER)
    hashes["n"] = 0

    locked = page_login(client, "cw_tij", REMOTE_ADDR=SPRAYER)
    other_user = page_login(client, "cw_tap", REMOTE_ADDR=SPRAYER)

    assert locked.status_code == 429
    assert ACCOUNT_LOCKED_EN in locked.content.decode()
    assert other_user.status_code == 302
    assert hashes["n"] == 1  # only cw_tap's password was checked


def test_the_address_limit_comes_from_the_setting(client, caseworker, settings):
    settings.AXES_IP_FAILURE_LIMIT = 3
    answers = [page_login(client, f"staff{i}", "x", REMOTE_ADDR=SPRAYER).status_code for i in range(4)]

    assert answers == [200, 200, 429, 429]


# The API token endpoint


def test_a_token_spray_is_locked_after_twenty_with_retry_after_and_a_translated_body(api, caseworker, hashes):
    for i in range(20):
        token_request(api, f"staff{i:02d}", "Verano2018!", REMOTE_ADDR=SPRAYER)
    hashes["n"] = 0

    response = token_request(api, "cw_tij", REMOTE_ADDR=SPRAYER)
    spanish = api.post("/api/v1/auth/token/", {"username": "staff25", "password": "x"}, format="json",
                       HTTP_ACCEPT_LANGUAGE="es", REMOTE_ADDR=SPRAYER)

    assert response.status_code == 429
    assert response["Retry-After"] == str(30 * 60)
    assert response.json() == {"code": "locked_out", "detail": response.json()["detail"], "fields": {}}
    assert response.json()["detail"].startswith(ADDRESS_LOCKED_EN)
    assert spanish.status_code == 429 and spanish.json()["detail"].startswith("Demasiados intentos")
    assert hashes["n"] == 0
    assert not ApiToken.objects.exists()


def test_the_token_endpoint_throttles_an_address_before_any_password_is_checked(api, caseworker, hashes,
                                                                                monkeypatch):
    monkeypatch.setattr(SignInThrottle, "THROTTLE_RATES", {"sign_in": "3/minute"})
    for _ in range(3):
        assert token_request(api, "cw_tij", "wrong", REMOTE_ADDR=SPRAYER).status_code == 400
    hashes["n"] = 0
    failures = AccessAttempt.objects.get(username="cw_tij").failures_since_start

    response = token_request(api, "cw_tij", REMOTE_ADDR=SPRAYER)
    other_address = token_request(api, "cw_tij", REMOTE_ADDR="198.51.100.20")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert response.json()["detail"].startswith("Too many sign-in attempts from this address.")
    assert 0 < int(response["Retry-After"]) <= 60
    assert hashes["n"] == 1  # the other address's request only
    assert AccessAttempt.objects.get(username="cw_tij", ip_address=SPRAYER).failures_since_start == failures
    assert other_address.status_code == 200
    assert ApiToken.objects.filter(user=caseworker).count() == 1  # the other address's token, none for the sprayer
    assert refused("throttled").get().actor_username == "cw_tij"


def test_the_token_throttle_is_answered_in_spanish_too(api, caseworker, monkeypatch):
    monkeypatch.setattr(SignInThrottle, "THROTTLE_RATES", {"sign_in": "1/minute"})
    token_request(api, "cw_tij", "wrong", REMOTE_ADDR=SPRAYER)

    response = api.post("/api/v1/auth/token/", {"username": "cw_tij", "password": PASSWORD}, format="json",
                        HTTP_ACCEPT_LANGUAGE="es", REMOTE_ADDR=SPRAYER)

    assert response.status_code == 429
    assert response.json()["detail"].startswith("Demasiados intentos de inicio de sesión desde esta dirección.")
    assert not ApiToken.objects.exists()


# Concurrent attempts from one address


def hold_slots(address, count):
    cache.set(f"signin-in-flight:{address}", count, timeout=30)


def test_a_third_concurrent_page_sign_in_from_one_address_is_refused_without_hashing(client, caseworker, hashes):
    hold_slots(SPRAYER, 2)  # two password checks from this address are running

    response = page_login(client, "cw_tij", REMOTE_ADDR=SPRAYER)

    assert response.status_code == 429
    assert 'data-testid="login-refused"' in response.content.decode()
    assert "at the same time" in response.content.decode()
    assert hashes["n"] == 0
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.exists()
    assert refused("busy").get().actor_username == "cw_tij"


def test_a_password_change_while_two_checks_run_from_the_address_is_refused_and_changes_nothing(client, caseworker,
                                                                                                hashes):
    client.force_login(caseworker)
    hold_slots("127.0.0.1", 2)

    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "una-clave-nueva-larga", "new_password2": "una-clave-nueva-larga"})

    assert response.status_code == 429
    assert "al mismo tiempo" in response.content.decode()  # a booth in Mexico: Spanish
    assert hashes["n"] == 0
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE).exists()


def test_a_third_concurrent_token_request_from_one_address_is_refused_without_hashing(api, caseworker, hashes):
    hold_slots(SPRAYER, 2)

    response = token_request(api, "cw_tij", REMOTE_ADDR=SPRAYER)
    elsewhere = token_request(api, "cw_tij", REMOTE_ADDR="198.51.100.20")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "at the same time" in response.json()["detail"]
    assert response["Retry-After"] == "1"
    assert elsewhere.status_code == 200
    assert hashes["n"] == 1
    assert cache.get(f"signin-in-flight:{SPRAYER}") == 2  # the refused request gave its slot back


def test_with_redis_unreachable_sign_in_still_works_and_the_lockout_still_holds(client, api, caseworker, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {"socket_connect_timeout": 0.2}}}

    page = page_login(client, "cw_tij")
    token = token_request(api, "cw_tij")
    for _ in range(5):
        token_request(api, "cw_tij", "wrong", REMOTE_ADDR=SPRAYER)
    locked = token_request(api, "cw_tij", REMOTE_ADDR=SPRAYER)

    assert (page.status_code, token.status_code) == (302, 200)
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    assert ApiToken.objects.filter(user=caseworker).count() == 1


# Password changes audited, never their value


def test_changing_ones_own_password_writes_an_audit_row_without_the_password(client, caseworker):
    client.force_login(caseworker)

    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "una-clave-nueva-larga", "new_password2": "una-clave-nueva-larga"})

    assert response.status_code == 302
    row = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGE)
    assert (row.actor, row.object_type, row.object_id, row.reason) == (
        caseworker, "accounts.user", str(caseworker.pk), "own")
    assert row.changes is None
    assert_no_password_in_the_log("una-clave-nueva-larga")


def test_a_refused_password_change_writes_no_audit_row_and_keeps_the_password(client, caseworker):
    client.force_login(caseworker)

    response = client.post("/accounts/password/", {
        "old_password": "not-it", "new_password1": "una-clave-nueva-larga", "new_password2": "una-clave-nueva-larga"})

    assert response.status_code == 200
    assert "Su contraseña antigua es incorrecta" in response.content.decode()  # a booth in Mexico: Spanish
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE).exists()
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)


def test_a_password_set_with_manage_py_changepassword_is_in_the_log_without_its_value(caseworker, monkeypatch):
    from django.contrib.auth.management.commands import changepassword
    from django.core.management import call_command

    monkeypatch.setattr(changepassword.getpass, "getpass", lambda prompt="": "clave-desde-la-consola")
    call_command("changepassword", "cw_tij")

    caseworker.refresh_from_db()
    assert caseworker.check_password("clave-desde-la-consola")
    row = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="accounts_user",
                                    object_id=str(caseworker.pk)).latest("id")
    assert "password" in row.changes["columns"]
    assert_no_password_in_the_log("clave-desde-la-consola")


def admin_client(client, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def test_an_administrator_setting_a_users_password_is_audited_without_the_password(client, admin_user, caseworker):
    url = f"/admin/accounts/user/{caseworker.pk}/password/"

    response = admin_client(client, admin_user).post(url, {
        "password1": "otra-clave-bien-larga", "password2": "otra-clave-bien-larga", "usable_password": "true",
        "set-password": "1"})

    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.check_password("otra-clave-bien-larga")
    row = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGE)
    assert (row.actor, row.object_id, row.reason) == (admin_user, str(caseworker.pk), "admin")
    assert_no_password_in_the_log("otra-clave-bien-larga")


def test_an_administrators_mismatched_passwords_change_nothing_and_write_no_row(client, admin_user, caseworker):
    url = f"/admin/accounts/user/{caseworker.pk}/password/"

    response = admin_client(client, admin_user).post(url, {
        "password1": "otra-clave-bien-larga", "password2": "otra-clave-distinta", "usable_password": "true",
        "set-password": "1"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "didn’t match" in response.content.decode()
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE).exists()


def assert_no_password_in_the_log(password):
    for row in AuditEvent.objects.all():
        assert password not in json.dumps([row.reason, row.changes, row.path], default=str)
    hashed = User.objects.filter(password__contains="$").values_list("password", flat=True)
    for value in hashed:
        for row in AuditEvent.objects.exclude(changes=None):
            assert value not in json.dumps(row.changes, default=str)


# Cache-Control: no-store on personal answers


def assert_no_store(response):
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_a_case_page_and_its_api_detail_are_never_stored(client, caseworker, ready_family):
    client.force_login(caseworker)

    page = client.get(f"/cases/{ready_family.pk}/")
    detail = api_as(caseworker).get(f"/api/v1/cases/{ready_family.pk}/")

    assert (page.status_code, detail.status_code) == (200, 200)
    assert_no_store(page)
    assert_no_store(detail)


def test_a_manifest_download_is_never_stored(movement_officer, ready_family, tij, sps):
    bus = convoy(movement_officer, tij, sps)
    travel.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía Gómez", "kind": "child"})
    travel.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready_family.pk)

    response = api_as(movement_officer).get(f"/api/v1/movements/{bus.pk}/manifest.csv")

    assert response.status_code == 200
    assert_no_store(response)


def test_a_report_download_is_never_stored(admin_user, caravan, django_capture_on_commit_callbacks, settings,
                                           tmp_path):
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        report = api_as(admin_user).post("/api/v1/reports/", {
            "kind": "donor", "programme": "CARAVAN-2018", "format": "csv", "period_start": "2018-01-01",
            "period_end": today}, format="json")

    response = api_as(admin_user).get(f"/api/v1/reports/{report.data['id']}/download/")

    assert response.status_code == 200
    assert_no_store(response)


def test_the_token_answer_and_api_errors_are_never_stored_but_health_and_the_schema_may_be(client, api, caseworker):
    token = token_request(api, "cw_tij")
    anonymous_api = api.get("/api/v1/cases/")

    assert token.status_code == 200
    assert_no_store(token)
    assert anonymous_api.status_code == 401
    assert_no_store(anonymous_api)
    assert "no-store" not in client.get("/health/").get("Cache-Control", "")
    assert "no-store" not in client.get("/api/v1/schema/").get("Cache-Control", "")


# Measured against a live server with real password hashing


def test_sixteen_concurrent_bad_logins_do_not_hold_another_users_page(live_server, client, caseworker, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the real cost
    client.force_login(caseworker)

    figures = burst_while_a_page_loads(live_server.url, {"sessionid": client.cookies["sessionid"].value})

    print("signin-measure", figures)
    assert figures["checked"] <= settings.SIGNIN_CONCURRENT_PER_IP + 2  # a slot freed meanwhile may take one more
    assert figures["refused"] + figures["checked"] == 16
    assert figures["page_during"] < 2.0
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
