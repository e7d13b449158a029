"""Two-factor sign-in: who must use it, the page and the token endpoint, the lockout, sessions from before,
the two-admin reset and break-the-glass with a code."""

import re
from base64 import b32decode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.mfa import MFA_STATE, NOT_REQUIRED, mfa_required
from accounts.models import ApiToken, MfaReset
from accounts.services import mfa_reset_approve, mfa_reset_request
from audit.models import AuditAction, AuditEvent
from breakglass.models import BreakGlassGrant
from tests.conftest import api_token_key
from tests.factories import PASSWORD, household, staff
from tests.mfa_steps import current_code, enrolled

pytestmark = pytest.mark.django_db

KINDS = ["supervisor", "admin", "protection_cleared", "medical_cleared", "is_staff"]


@pytest.fixture(autouse=True)
def english(client):
    """The messages are asserted in English; before sign-in the page follows the browser's language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def privileged(request, caravan, tij):
    """One user of each kind that must use a second factor."""
    kind = request.param
    if kind == "supervisor":
        return staff("sup_x", Role.SUPERVISOR, programme=caravan)
    if kind == "admin":
        return staff("adm_x", Role.ADMIN)
    user = staff(f"cw_{kind}", Role.CASEWORKER, office=tij)
    setattr(user, {"protection_cleared": "is_protection_cleared", "medical_cleared": "is_medical_cleared",
                   "is_staff": "is_staff"}[kind], True)
    user.save()
    return user


def sign_in(client, user, password=PASSWORD):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


def enter(client, code):
    return client.post("/accounts/login/code/", {"code": code})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def token(username, password=PASSWORD, **extra):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password, **extra},
                            format="json", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("privileged", KINDS, indirect=True)
def test_each_privileged_kind_must_set_up_a_second_factor_at_sign_in(client, privileged):
    assert mfa_required(privileged)

    response = sign_in(client, privileged)

    assert response.status_code == 302 and response["Location"] == "/accounts/mfa/enrol/"
    assert signed_in_as(client) is None
    assert client.get("/")["Location"].startswith("/accounts/login/")
    enrol = client.get("/accounts/mfa/enrol/")
    assert "no-store" in enrol["Cache-Control"]  # the secret is on it, before anyone is signed in
    page = enrol.content.decode()
    secret = re.search(r'data-testid="mfa-secret">([A-Z2-7]+)<', page).group(1)
    assert "<svg" in page
    code = TOTP(b32decode(secret + "=" * (-len(secret) % 8))).token()
    done = client.post("/accounts/mfa/enrol/", {"code": f"{code:06d}"})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.content.decode())
    assert len(codes) == 10
    assert signed_in_as(client) == str(privileged.pk)
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.get(user=privileged).confirmed
    # only digests of the recovery codes are kept
    assert not StaticToken.objects.filter(token__in=codes).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MFA_ENROLLED, object_id=str(privileged.pk)).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=privileged).exists()


@pytest.mark.parametrize("privileged", KINDS, indirect=True)
def test_with_an_authenticator_the_password_alone_does_not_sign_in_and_the_code_does(client, privileged):
    enrolled(privileged)

    response = sign_in(client, privileged)

    assert response["Location"] == "/accounts/login/code/"
    assert signed_in_as(client) is None
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=privileged).exists()
    signed = enter(client, current_code(privileged))
    assert signed.status_code == 302 and signed["Location"] == "/"
    assert signed_in_as(client) == str(privileged.pk)
    assert client.get("/").status_code == 200


def test_a_recovery_code_signs_in_once_only_and_its_use_is_audited(client, supervisor):
    codes = enrolled(supervisor)
    sign_in(client, supervisor)

    assert enter(client, codes[0].upper())["Location"] == "/"
    assert AuditEvent.objects.filter(action=AuditAction.MFA_RECOVERY_USED, actor=supervisor).count() == 1
    client.post("/accounts/logout/")
    sign_in(client, supervisor)
    again = enter(client, codes[0])
    assert again.status_code == 400
    assert "That code is not right" in again.content.decode()
    assert signed_in_as(client) is None


def test_a_wrong_code_says_so_and_counts_as_a_failed_sign_in(client, supervisor):
    enrolled(supervisor)
    sign_in(client, supervisor)

    response = enter(client, wrong(current_code(supervisor)))

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert signed_in_as(client) is None
    assert AccessAttempt.objects.get(username="sup_mx").failures_since_start == 1
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_username="sup_mx").count() == 1


def test_a_code_too_soon_after_a_wrong_one_is_refused_with_the_wait(client, supervisor):
    enrolled(supervisor)
    sign_in(client, supervisor)
    enter(client, wrong(current_code(supervisor)))

    response = enter(client, current_code(supervisor))

    assert response.status_code == 400
    assert re.search(r"Too many wrong codes. Wait \d+ seconds? and try again.", response.content.decode())
    assert signed_in_as(client) is None


def test_five_wrong_codes_lock_the_account_even_with_the_password_typed_again_between(client, supervisor):
    enrolled(supervisor)
    for _ in range(5):
        assert sign_in(client, supervisor)["Location"] == "/accounts/login/code/"
        enter(client, wrong(current_code(supervisor)))

    locked = sign_in(client, supervisor)

    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    assert signed_in_as(client) is None
    # the five codes, and the refused password (axes counts an attempt during a lockout and starts it again)
    assert AccessAttempt.objects.get(username="sup_mx").failures_since_start == 6


def test_a_locked_out_user_gets_the_lockout_page_before_the_code_is_checked(client, supervisor, settings):
    enrolled(supervisor)
    sign_in(client, supervisor)
    settings.AXES_FAILURE_LIMIT = 1
    enter(client, wrong(current_code(supervisor)))
    device = TOTPDevice.objects.get(user=supervisor)
    device.throttling_failure_count = 0
    device.save()

    response = enter(client, current_code(supervisor))

    assert response.status_code == 429 and 'data-testid="locked-out"' in response.content.decode()
    assert signed_in_as(client) is None
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_REFUSED, actor_username="sup_mx").exists()


def test_a_caseworker_without_an_authenticator_signs_in_as_before(client, caseworker):
    response = sign_in(client, caseworker)

    assert response["Location"] == "/"
    assert signed_in_as(client) == str(caseworker.pk)
    assert client.session[MFA_STATE] == NOT_REQUIRED
    assert token("cw_tij").status_code == 200


def test_a_caseworker_may_set_up_a_second_factor_and_then_it_is_asked_and_may_turn_it_off(client, caseworker):
    client.force_login(caseworker)
    assert client.get("/accounts/mfa/").status_code == 200
    assert 'data-testid="mfa-secret"' in client.get("/accounts/mfa/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=caseworker, confirmed=False)
    from tests.mfa_steps import code_for
    assert client.post("/accounts/mfa/enrol/", {"code": code_for(device)}).status_code == 200
    client.post("/accounts/logout/")

    assert sign_in(client, caseworker)["Location"] == "/accounts/login/code/"
    enter(client, current_code(caseworker))
    off = client.post("/accounts/mfa/", {"action": "disable", "code": current_code(caseworker)})

    assert off.status_code == 302
    assert not TOTPDevice.objects.filter(user=caseworker).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MFA_DISABLED, actor=caseworker).exists()


def test_a_supervisor_may_not_turn_it_off_but_may_make_new_recovery_codes(client, supervisor):
    old = enrolled(supervisor)
    client.force_login(supervisor)

    refused = client.post("/accounts/mfa/", {"action": "disable", "code": current_code(supervisor)})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=supervisor).exists()
    fresh = client.post("/accounts/mfa/", {"action": "recovery", "code": current_code(supervisor)})

    new = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", fresh.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(action=AuditAction.MFA_CODES, actor=supervisor).exists()
    client.post("/accounts/logout/")
    sign_in(client, supervisor)
    assert enter(client, old[1]).status_code == 400


@pytest.mark.parametrize("privileged", KINDS, indirect=True)
def test_the_token_endpoint_asks_for_the_code(privileged):
    not_yet = token(privileged.username)
    assert not_yet.status_code == 401 and not_yet.json()["code"] == "mfa_required"
    assert "browser" in not_yet.json()["detail"]
    codes = enrolled(privileged)

    missing = token(privileged.username)
    right = token(privileged.username, otp=current_code(privileged))
    recovery = token(privileged.username, otp=codes[3])
    reused = token(privileged.username, otp=codes[3])
    wrong_code = token(privileged.username, otp=wrong(current_code(privileged)))

    assert (missing.status_code, missing.json()["code"]) == (401, "mfa_required")
    assert right.status_code == 200 and right.json()["token"]
    assert recovery.status_code == 200
    assert (reused.status_code, reused.json()["code"]) == (401, "mfa_invalid")
    assert (wrong_code.status_code, wrong_code.json()["code"]) == (401, "mfa_invalid")
    assert "otp" in wrong_code.json()["fields"]
    assert ApiToken.objects.filter(user=privileged).count() == 2
    assert AccessAttempt.objects.get(username=privileged.username).failures_since_start == 2


def test_wrong_codes_on_the_token_endpoint_lock_the_account_out(supervisor, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the lockout alone, without django-otp's wait
    enrolled(supervisor)
    answers = [token("sup_mx", otp=wrong(current_code(supervisor))).status_code for _ in range(5)]

    locked = token("sup_mx", otp=current_code(supervisor))

    assert answers == [401, 401, 401, 401, 429]
    assert (locked.status_code, locked.json()["code"]) == (429, "locked_out")
    assert "Retry-After" in locked


def test_a_code_too_soon_on_the_token_endpoint_is_throttled_with_retry_after(supervisor):
    enrolled(supervisor)
    token("sup_mx", otp=wrong(current_code(supervisor)))

    response = token("sup_mx", otp=current_code(supervisor))

    assert (response.status_code, response.json()["code"]) == (429, "throttled")
    assert int(response["Retry-After"]) >= 1


def test_a_session_from_before_two_factor_sign_in_ends_for_a_supervisor(client, supervisor):
    client.force_login(supervisor)
    session = client.session
    del session[MFA_STATE]
    session.save()

    response = client.get("/")

    assert response["Location"].startswith("/accounts/login/")
    assert signed_in_as(client) is None


def test_a_session_from_before_answers_the_api_with_mfa_required(client, supervisor):
    client.force_login(supervisor)
    session = client.session
    del session[MFA_STATE]
    session.save()

    response = client.get("/api/v1/cases/")

    assert response.status_code == 401 and response.json()["code"] == "mfa_required"


def test_a_caseworkers_session_from_before_goes_on_and_is_checked_once(client, caseworker):
    client.force_login(caseworker)
    session = client.session
    del session[MFA_STATE]
    session.save()

    assert client.get("/").status_code == 200
    assert client.session[MFA_STATE] == NOT_REQUIRED
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries.captured_queries if "otp_" in q["sql"]]


@pytest.fixture
def second_admin(db):
    return staff("hq_admin2", Role.ADMIN)


def test_a_reset_needs_a_second_admin_and_removes_the_factor_tokens_and_sessions(
        client, admin_user, second_admin, supervisor):
    enrolled(supervisor)
    api_token_key(supervisor)
    client.force_login(supervisor)
    reset = mfa_reset_request(user=supervisor, reason="Lost her phone; identity checked by video call.",
                              actor=admin_user)

    with pytest.raises(PermissionDenied):
        mfa_reset_approve(reset_id=reset.pk, actor=admin_user)
    assert TOTPDevice.objects.filter(user=supervisor).exists()
    mfa_reset_approve(reset_id=reset.pk, actor=second_admin)

    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert not StaticDevice.objects.filter(user=supervisor).exists()
    assert not ApiToken.objects.filter(user=supervisor, revoked_at__isnull=True).exists()
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert MfaReset.objects.get(pk=reset.pk).approved_by == second_admin
    assert AuditEvent.objects.filter(action=AuditAction.MFA_RESET_ASKED, actor=admin_user).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MFA_RESET, actor=second_admin,
                                     object_id=str(supervisor.pk)).exists()
    assert sign_in(client, supervisor)["Location"] == "/accounts/mfa/enrol/"


def test_the_user_may_not_approve_their_own_reset(admin_user, second_admin):
    enrolled(second_admin)
    reset = mfa_reset_request(user=second_admin, reason="Lost his phone; identity checked in person.",
                              actor=admin_user)

    with pytest.raises(PermissionDenied):
        mfa_reset_approve(reset_id=reset.pk, actor=second_admin)
    assert TOTPDevice.objects.filter(user=second_admin).exists()


def test_a_reset_is_filed_and_approved_through_the_admin_by_two_admins(client, admin_user, second_admin, supervisor):
    enrolled(supervisor)
    client.force_login(admin_user)
    added = client.post("/admin/accounts/mfareset/add/", {"user": supervisor.pk, "reason": "Phone stolen, "
                                                                                          "checked by phone."})
    assert added.status_code == 302, added.content.decode()[:2000]
    reset = MfaReset.objects.get()
    assert reset.requested_by == admin_user

    own = client.post("/admin/accounts/mfareset/", {"action": "approve", "_selected_action": [reset.pk]},
                      follow=True)
    assert "needs a second administrator" in own.content.decode()
    assert TOTPDevice.objects.filter(user=supervisor).exists()
    client.force_login(second_admin)
    client.post("/admin/accounts/mfareset/", {"action": "approve", "_selected_action": [reset.pk]})

    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert MfaReset.objects.get().approved_by == second_admin


def test_the_admin_refuses_a_reset_without_a_reason_and_shows_no_device_pages(client, admin_user, supervisor):
    client.force_login(admin_user)

    response = client.post("/admin/accounts/mfareset/add/", {"user": supervisor.pk, "reason": "x"})

    assert response.status_code == 200 and not MfaReset.objects.exists()
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert Permission.objects.filter(codename="approve_mfareset").exists()


@pytest.fixture
def case(caseworker, caravan, tij):
    return household(actor=caseworker, programme=caravan, office=tij)


def ask(user, case, **secret):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client.post(reverse("api-case-break-glass", args=[case.pk]),
                       {"reason": "Urgent: the family called from the shelter, nobody answers.", **secret},
                       format="json")


def test_break_the_glass_takes_a_code_instead_of_the_password(other_supervisor, case):
    enrolled(other_supervisor)

    wrong_code = ask(other_supervisor, case, otp=wrong(current_code(other_supervisor)))
    both = ask(other_supervisor, case, otp="123456", password=PASSWORD)
    TOTPDevice.objects.filter(user=other_supervisor).update(throttling_failure_count=0)
    granted = ask(other_supervisor, case, otp=current_code(other_supervisor))

    assert (wrong_code.status_code, wrong_code.json()["code"]) == (400, "invalid_credentials")
    assert wrong_code.json()["detail"] == "Wrong code. Nothing was granted."
    assert both.status_code == 400 and "password" in both.json()["fields"]
    assert granted.status_code == 201
    assert AccessAttempt.objects.get(username="sup_nic").failures_since_start == 1


def test_the_break_the_glass_page_takes_a_code_in_the_password_field(client, other_supervisor, case):
    enrolled(other_supervisor)
    client.force_login(other_supervisor)

    response = client.post(reverse("break_glass_request"), {
        "reference": case.reference, "reason": "Urgent: the family called from the shelter, nobody answers.",
        "password": current_code(other_supervisor)})

    assert response.status_code == 302
    assert BreakGlassGrant.objects.filter(user=other_supervisor, case=case).exists()
