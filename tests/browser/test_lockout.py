"""Lockout: five failed sign-ins for one username from one computer lock that username there."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, sign_in

FAILURE_LIMIT = 5  # AXES_FAILURE_LIMIT's default


@pytest.mark.browser
def test_after_five_wrong_passwords_even_the_right_one_shows_the_locked_out_page(page):
    # given a caseworker who types a wrong password five times
    for attempt in range(1, FAILURE_LIMIT + 1):
        response = sign_in(page, "caseworker_tap", f"wrong-password-{attempt}")
        if attempt < FAILURE_LIMIT:
            assert response.status == 200, f"attempt {attempt} answered {response.status}"
            expect(page.get_by_test_id("login-error")).to_be_visible()

    # when the sixth attempt has the right password
    response = sign_in(page, "caseworker_tap", DEMO_PASSWORD)

    # then the locked-out page answers 429, and they are still not signed in
    assert response.status == 429
    expect(page.get_by_test_id("locked-out")).to_be_visible()
    expect(page.get_by_test_id("home-caseworker")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


@pytest.mark.browser
def test_a_locked_out_username_does_not_lock_out_a_colleague_on_the_same_computer(page):
    # given a username locked out on this computer
    for attempt in range(1, FAILURE_LIMIT + 1):
        sign_in(page, "caseworker_tap", f"wrong-password-{attempt}")
    assert sign_in(page, "caseworker_tap", DEMO_PASSWORD).status == 429

    # when a colleague signs in from the same computer
    response = sign_in(page, "caseworker_tij", DEMO_PASSWORD)

    # then they reach their home page
    assert response.status == 302
    expect(page.get_by_test_id("home-caseworker")).to_be_visible()


@pytest.mark.browser
def test_one_password_tried_against_twenty_usernames_locks_the_computer_for_everyone(page):
    # given one password tried against twenty usernames from this computer (a password spray)
    for index in range(20):
        sign_in(page, f"staff{index:02d}", "Verano2018!")

    # when a real caseworker then signs in from it with the right password
    response = sign_in(page, "caseworker_tij", DEMO_PASSWORD)

    # then the computer is locked for every account, and they are told so
    assert response.status == 429
    expect(page.get_by_test_id("locked-out")).to_contain_text("desde esta dirección")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
