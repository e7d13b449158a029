"""Sign-in, lockout, sessions, languages and demo data."""

import time

import pytest
from django.core.management import call_command

from accounts.choices import Role
from accounts.middleware import LOGIN_AT
from accounts.models import Assignment, Office, Programme, User
from audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.mfa_steps import current_code, enrolled

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_a_wrong_password_shows_a_clear_message_and_no_session(client, caseworker):
    response = login(client, "cw_tij", "not-the-password")

    assert response.status_code == 200
    assert 'data-testid="login-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_username_from_that_address_even_with_the_right_password(client, caseworker):
    for _ in range(5):
        login(client, "cw_tij", "wrong")

    response = login(client, "cw_tij")

    assert response.status_code == 429
    assert 'data-testid="locked-out"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_per_username_and_address_not_for_the_whole_booth(client, caseworker, outsider):
    for _ in range(5):
        login(client, "cw_tij", "wrong")

    assert login(client, "cw_tap").status_code == 302
    other_device = client.__class__(REMOTE_ADDR="10.1.2.3")
    assert login(other_device, "cw_tij").status_code == 302


def test_the_api_token_endpoint_is_locked_out_too(api, caseworker):
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": "cw_tij", "password": "wrong"}, format="json")

    response = api.post("/api/v1/auth/token/", {"username": "cw_tij", "password": PASSWORD}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_a_session_ends_at_the_absolute_limit_however_active(client, caseworker, settings):
    login(client, "cw_tij")
    session = client.session
    session[LOGIN_AT] = time.time() - settings.SESSION_ABSOLUTE_LIMIT_SECONDS - 1
    session.save()

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_idle_expiry_slides_with_activity_at_most_once_a_minute(client, caseworker, settings):
    from accounts.middleware import SEEN_AT

    login(client, "cw_tij")
    client.get("/")
    first_expiry = client.session.get_expiry_date()

    assert client.get("/").cookies.get(settings.SESSION_COOKIE_NAME) is None  # within the minute: no rewrite
    session = client.session
    session[SEEN_AT] = time.time() - 61
    session.save()
    response = client.get("/")

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60
    assert client.session.get_expiry_date() >= first_expiry


def test_a_user_can_change_their_password(client, caseworker):
    client.force_login(caseworker)

    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "una-clave-nueva-larga", "new_password2": "una-clave-nueva-larga"})

    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.check_password("una-clave-nueva-larga")


def test_logout_is_audited_and_ends_the_session(client, caseworker):
    login(client, "cw_tij")

    client.post("/accounts/logout/")

    assert AuditEvent.objects.filter(action="logout", actor=caseworker).exists()
    assert client.get("/").status_code == 302


def test_staff_of_a_mexican_booth_see_spanish_by_default(client, caseworker):
    login(client, "cw_tij")

    page = client.get("/")

    assert page["Content-Language"] == "es"
    assert '<html lang="es">' in page.content.decode()


def test_headquarters_staff_see_english_by_default(client, admin_user):
    enrolled(admin_user)
    login(client, "hq_admin")
    client.post("/accounts/login/code/", {"code": current_code(admin_user)})

    assert client.get("/")["Content-Language"] == "en"


def test_switching_language_is_remembered_for_the_user(client, caseworker):
    login(client, "cw_tij")

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/accounts/logout/")
    login(client, "cw_tij")

    caseworker.refresh_from_db()
    assert caseworker.language == "en"
    assert client.get("/")["Content-Language"] == "en"


def test_an_unknown_language_is_refused_politely(client, caseworker):
    login(client, "cw_tij")

    response = client.post("/i18n/setlang/", {"language": "xx", "next": "https://evil.example.org/"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == "/"
    caseworker.refresh_from_db()
    assert caseworker.language == ""


def test_the_spanish_catalogue_is_used_for_interface_strings(client, caseworker):
    login(client, "cw_tij")

    page = client.get("/").content.decode()

    assert "Cerrar sesión" in page
    assert "Sign out" not in page


@pytest.mark.smoke
def test_seed_demo_creates_the_reference_data_and_changes_nothing_the_second_time():
    call_command("seed_demo")
    counts = {m: m.objects.count() for m in (Office, Programme, User, Assignment, AuditEvent)}
    hashes = dict(User.objects.values_list("username", "password"))

    call_command("seed_demo")

    assert {m: m.objects.count() for m in (Office, Programme, User, Assignment, AuditEvent)} == counts
    assert dict(User.objects.values_list("username", "password")) == hashes
    assert set(Office.objects.values_list("code", flat=True)) >= {
        "TUM", "TAP", "CDMX", "TIJ", "SJO", "HN-SPS", "HN-OMO", "SV-SS", "GT-GUA", "NI-MGA"}
    assert Office.objects.filter(code="SJO", country="CR", kind="registration_booth").exists()
    assert Office.objects.filter(code="NI-MGA", country="NI", kind="reception_centre").exists()
    nicaragua = Programme.objects.get(code="NIC-2019")
    assert "CR" in nicaragua.registration_countries and nicaragua.return_countries == ["NI"]
    assert set(Programme.objects.values_list("code", flat=True)) == {"CARAVAN-2018", "NIC-2019"}
    assert Programme.objects.get(code="CARAVAN-2018").donor == "PRM"
    assert set(Programme.objects.values_list("data_protection_focal_point__username", flat=True)) == {"admin"}


def test_every_demo_user_can_sign_in_with_the_demo_password(client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-for-test")
    call_command("seed_demo")

    for username in ["admin", "caseworker_tij", "caseworker_tap", "supervisor_mx", "movement_mx",
                     "reception_hn", "reception_sv", "reception_gt", "caseworker_sjo", "supervisor_nic",
                     "movement_cr", "reception_ni"]:
        response = login(client, username, "demo-pass-for-test")
        assert response.status_code == 302, username
        client.post("/accounts/logout/")
    assert Assignment.objects.get(user__username="reception_hn").office.code == "HN-SPS"


def test_an_assignment_must_name_the_scope_of_its_role(tij, sps):
    from django.core.exceptions import ValidationError

    user = User.objects.create(username="new")
    with pytest.raises(ValidationError):
        Assignment(user=user, role=Role.RECEPTION_STAFF, office=tij).full_clean()
    with pytest.raises(ValidationError):
        Assignment(user=user, role=Role.MOVEMENT_OFFICER).full_clean()
    Assignment(user=user, role=Role.RECEPTION_STAFF, office=sps).full_clean()


def test_an_admin_can_manage_offices_and_users_in_the_admin(client, admin_user, tij):
    client.force_login(admin_user)

    assert client.get("/admin/accounts/office/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    response = client.post("/admin/accounts/office/add/", {
        "code": "MTY", "name": "Monterrey", "kind": "field_office", "country": "MX", "is_active": "on"})
    assert response.status_code == 302
    assert Office.objects.filter(code="MTY").exists()


def test_a_caseworker_cannot_enter_the_admin(client, caseworker):
    client.force_login(caseworker)

    response = client.get("/admin/accounts/office/")

    assert response.status_code == 302


def test_roles_sync_puts_admins_in_the_admin_and_nobody_else(caseworker, admin_user):
    assert admin_user.is_staff is True
    assert caseworker.is_staff is False
    assert set(caseworker.groups.values_list("name", flat=True)) == {"role:caseworker"}
