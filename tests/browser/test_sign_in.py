"""Signing in: each demo role lands on its own home page, in its language, and can switch language for good."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.conftest import sign_in, sign_out

# The Spanish the pages must show. The catalogue is written by hand, so adjust here if a wording changes.
SPANISH = {
    "Sign out": "Cerrar sesión",
    "Home": "Inicio",
    "Sign in": "Iniciar sesión",
    "Open cases of my office": "Casos abiertos de mi oficina",
    "Approvals waiting": "Aprobaciones pendientes",
    "Expected arrivals": "Llegadas previstas",
}

# The heading of each role's section, in English.
SECTION_HEADINGS = {
    "home-caseworker": "Open cases of my office",
    "home-supervisor": "Approvals waiting",
    "home-movement": "Approved cases waiting for a movement",
    "home-reception": "Expected arrivals",
    "home-admin": "Reports",
}

# username, its home section, the language its office's country speaks, something of the demo data it must show
DEMO_HOMES = [
    ("admin", "home-admin", "en", "CARAVAN-2018"),
    ("caseworker_tij", "home-caseworker", "es", "María José Hernández López"),
    ("caseworker_tap", "home-caseworker", "es", "Carlos Eduardo Zelaya Amador"),
    ("supervisor_mx", "home-supervisor", "es", "Wilmer Pineda Cruz"),
    ("movement_mx", "home-movement", "es", "Edgar Rolando Xol Caal"),
    ("reception_hn", "home-reception", "es", "Santos Reyes Maldonado"),
    ("reception_sv", "home-reception", "es", "Ana Gabriela Flores Portillo"),
    ("reception_gt", "home-reception", "es", "Rosa Amalia Tzul Chen"),
    ("caseworker_sjo", "home-caseworker", "es", "Francisco Javier Sandino Téllez"),
    ("supervisor_nic", "home-supervisor", "es", "Karla Vanessa Ortiz Mairena"),
    ("movement_cr", "home-movement", "es", "Róger Antonio Espinoza Lacayo"),
    ("reception_ni", "home-reception", "es", "Jessica María Guevara Centeno"),
]
HOME_SECTIONS = sorted(SECTION_HEADINGS)


def text(language: str, english: str) -> str:
    return SPANISH[english] if language == "es" else english


def expect_home_in(page, language: str, section: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id(section)).to_be_visible()
    expect(page.locator("form[action='/accounts/logout/'] button")).to_have_text(text(language, "Sign out"))
    expect(page.locator("#main-nav .nav-link").first).to_have_text(text(language, "Home"))
    heading = SECTION_HEADINGS[section]
    if language == "en" or heading in SPANISH:
        expect(page.get_by_test_id(section).locator("h2")).to_have_text(text(language, heading))


@pytest.mark.browser
@pytest.mark.smoke
def test_a_caseworker_signs_in_and_sees_the_open_cases_of_their_booth(page):
    # given the demo data, with open cases in Tijuana and in Tapachula
    tij_cases = set(Case.objects.filter(registering_office__code="TIJ").values_list("reference", flat=True))
    tap_cases = set(Case.objects.filter(registering_office__code="TAP").values_list("reference", flat=True))
    assert tij_cases and tap_cases

    # when the Tijuana caseworker signs in
    sign_in(page, "caseworker_tij")

    # then their home lists exactly Tijuana's cases, in Spanish, and only the caseworker's section
    section = page.get_by_test_id("home-caseworker")
    expect(section).to_be_visible()
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    rows = section.locator("tr[data-case]")
    expect(rows).to_have_count(len(tij_cases))
    assert {rows.nth(i).get_attribute("data-case") for i in range(rows.count())} == tij_cases
    expect(section).to_contain_text("María José Hernández López")
    expect(section).not_to_contain_text("Edgar Rolando Xol Caal")
    for other in HOME_SECTIONS:
        if other != "home-caseworker":
            expect(page.get_by_test_id(other)).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("form[action='/accounts/logout/'] button")).to_have_text(SPANISH["Sign out"])
    expect(section.locator("h2")).to_have_text(SPANISH["Open cases of my office"])


@pytest.mark.browser
@pytest.mark.parametrize(("username", "section", "language", "shown"), DEMO_HOMES, ids=[u[0] for u in DEMO_HOMES])
def test_each_demo_user_lands_on_their_roles_home_and_keeps_the_language_they_switch_to(
        page, username, section, language, shown):
    # given a demo user who signs in from a Spanish-speaking browser
    sign_in(page, username)

    # then they see their role's home, with its demo data, in their office's language
    expect_home_in(page, language, section)
    expect(page.get_by_test_id(section)).to_contain_text(shown)
    for other in HOME_SECTIONS:
        if other != section:
            expect(page.get_by_test_id(other)).to_have_count(0)

    # when they switch to the other language
    other_language = "en" if language == "es" else "es"
    page.get_by_test_id("language-switcher").locator(f"button[value={other_language}]").click()

    # then the same home is shown in that language
    expect_home_in(page, other_language, section)
    expect(page.get_by_test_id(section)).to_contain_text(shown)

    # and the choice sticks after signing out and in again
    sign_out(page)
    sign_in(page, username)
    expect_home_in(page, other_language, section)


@pytest.mark.browser
def test_the_login_page_speaks_the_language_of_the_browser(page):
    # given a browser that prefers Mexican Spanish (the page fixture's locale)
    # when it opens the login page
    page.goto("/accounts/login/")

    # then the page is in Spanish
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("h1")).to_have_text(SPANISH["Sign in"])
    expect(page.locator("form:has(input[name=username]) button[type=submit]")).to_have_text(SPANISH["Sign in"])


@pytest.mark.browser
def test_a_wrong_password_shows_a_clear_error_on_the_login_page(page):
    # given a demo caseworker
    # when they sign in with a wrong password
    response = sign_in(page, "caseworker_tij", "not-the-password")

    # then the login page comes back with an error, and they are not signed in
    assert response.status == 200
    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page.get_by_test_id("login-error")).not_to_be_empty()
    expect(page.locator("input[name=username]")).to_have_value("caseworker_tij")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.get_by_test_id("home-caseworker")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
