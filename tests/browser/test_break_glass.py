"""Break-the-glass in the browser: an admin asks for one case by its reference and reads it under a banner."""

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.conftest import DEMO_PASSWORD, sign_in, sign_out

REASON = "Llamada urgente del albergue: la familia necesita atención médica hoy."


def ask(page, reference: str, password: str = DEMO_PASSWORD):
    page.locator("[data-nav=break_glass_request]").click()
    form = page.get_by_test_id("break-glass-form")
    form.locator("input[name=reference]").fill(reference)
    form.locator("textarea[name=reason]").fill(REASON)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_an_admin_opens_a_case_in_an_emergency_and_reads_it_under_the_banner(page):
    # given a Tijuana case the admin does not see through their work
    case = Case.objects.filter(registering_office__code="TIJ").order_by("id").first()
    sign_in(page, "admin")
    assert page.goto(f"/cases/{case.pk}/").status == 404
    page.goto("/")

    # when a wrong password is typed, nothing is granted and the form says why
    ask(page, case.reference, password="not-the-password")
    expect(page.get_by_test_id("error-password")).to_contain_text("Wrong password. Nothing was granted.")
    expect(page.get_by_test_id("break-glass-banner")).to_have_count(0)

    # and with the right password the case opens, under the banner
    ask(page, case.reference)
    expect(page.locator("h1")).to_have_text(case.reference)
    expect(page.get_by_test_id("break-glass-banner")).to_contain_text("Emergency access until")

    # then the case's supervisor sees one access waiting for review, and marks it reviewed
    sign_out(page)
    sign_in(page, "supervisor_mx")
    expect(page.get_by_test_id("break-glass-waiting")).to_have_text("1")
    page.locator("[data-nav=break_glass_review]").click()
    queue = page.get_by_test_id("break-glass-queue")
    expect(queue).to_contain_text(case.reference)
    expect(queue).to_contain_text(REASON)
    queue.locator("input[name=note]").fill("Justificado, confirmado con el albergue.")
    queue.locator("button[type=submit]").click()
    expect(page.get_by_test_id("break-glass-waiting")).to_have_count(0)
    expect(page.get_by_test_id("break-glass-queue")).to_contain_text("Justificado")
