"""Two-factor sign-in in a real browser: forced enrolment of a privileged user, and signing in with a code."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import DEMO_PASSWORD, sign_in
from tests.mfa_steps import current_code

pytestmark = pytest.mark.browser


def type_password(page, username):
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form:has(input[name=username]) button[type=submit]").click()
    page.wait_for_load_state()


def test_a_newly_cleared_caseworker_sets_up_an_authenticator_at_sign_in_and_lands_home(page):
    User.objects.filter(username="caseworker_tap").update(is_protection_cleared=True)

    type_password(page, "caseworker_tap")

    expect(page).to_have_url("/accounts/mfa/enrol/")
    expect(page.get_by_test_id("mfa-forced")).to_be_visible()
    expect(page.get_by_test_id("mfa-qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("mfa-secret").inner_text()
    code = TOTP(b32decode(secret + "=" * (-len(secret) % 8))).token()
    page.locator("input[name=code]").fill(f"{code:06d}")
    page.locator("[data-testid=code-form] button[type=submit]").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_test_id("codes-saved").click()
    expect(page).to_have_url("/")
    expect(page.get_by_test_id("home-caseworker")).to_be_visible()


def test_the_demo_supervisor_signs_in_with_a_code_after_a_wrong_one(page, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a person retypes slower than this test
    type_password(page, "supervisor_mx")

    expect(page).to_have_url("/accounts/login/code/")
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")  # the password alone signed nobody in
    type_password(page, "supervisor_mx")
    page.locator("input[name=code]").fill("000000" if current_code(User.objects.get(username="supervisor_mx"))
                                          != "000000" else "111111")
    page.locator("[data-testid=code-form] button[type=submit]").click()
    expect(page.get_by_test_id("code-error")).to_be_visible()
    page.locator("input[name=code]").fill(current_code(User.objects.get(username="supervisor_mx")))
    page.locator("[data-testid=code-form] button[type=submit]").click()
    expect(page).to_have_url("/")
    expect(page.get_by_test_id("home-supervisor")).to_be_visible()


def test_the_sign_in_helper_types_the_code_for_the_demo_admin(page):
    sign_in(page, "admin")

    expect(page.get_by_test_id("home-admin")).to_be_visible()
