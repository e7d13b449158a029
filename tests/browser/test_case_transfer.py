"""A supervisor transfers a case to another booth from the case page: the old booth loses it at once, the new one
has it, and an office outside the programme is refused with a message and changes nothing."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from cases.models import Case, CaseTransfer
from tests.browser.conftest import sign_in, sign_out
from tests.factories import OfficeFactory


def an_open_tijuana_case() -> Case:
    return Case.objects.filter(registering_office__code="TIJ", status__in=["registered", "screening"]).order_by(
        "id").first()


@pytest.mark.browser
def test_the_supervisor_transfers_a_case_to_tapachula_and_only_tapachula_sees_it_then(page):
    # given an open Tijuana case, on the supervisor's page
    case = an_open_tijuana_case()
    tap = User.objects.get(username="caseworker_tap")
    sign_in(page, "supervisor_mx")
    page.goto(f"/cases/{case.pk}/")
    form = page.get_by_test_id("transfer-form")

    # when they transfer it to Tapachula, to its caseworker, with a reason
    form.locator("select[name=office]").select_option(label="TAP — Tapachula")
    form.locator("select[name=caseworker]").select_option(value=str(tap.pk))
    form.locator("input[name=reason]").fill("La familia se mudó a Tapachula.")
    form.locator("button[type=submit]").click()

    # then the page says so and the history shows the move
    page.wait_for_url(f"**/cases/{case.pk}/#transfer")
    expect(page.locator("body")).to_contain_text("El caso pasó a su nueva oficina o gestor de casos.")
    expect(page.get_by_test_id("transfers")).to_contain_text("TIJ → TAP")
    expect(page.get_by_test_id("timeline")).to_contain_text("La familia se mudó a Tapachula.")

    # and Tijuana's caseworker no longer finds it, while Tapachula's does
    sign_out(page)
    sign_in(page, "caseworker_tij")
    assert page.goto(f"/cases/{case.pk}/").status == 404
    sign_out(page)
    sign_in(page, "caseworker_tap")
    assert page.goto(f"/cases/{case.pk}/").status == 200
    expect(page.get_by_test_id("case-status")).to_be_visible()


@pytest.mark.browser
def test_a_transfer_to_an_office_outside_the_programme_is_refused_with_a_message(page):
    # given the supervisor's form, tampered to offer a Honduran booth (not a country of registration)
    case = an_open_tijuana_case()
    honduras = OfficeFactory(code="HN-BOOTH", name="Caseta Honduras", country="HN")
    sign_in(page, "supervisor_mx")
    page.goto(f"/cases/{case.pk}/")
    form = page.get_by_test_id("transfer-form")
    form.locator("select[name=office]").evaluate(
        f"select => select.add(new Option('HN-BOOTH', '{honduras.pk}'))")

    # when they send it
    form.locator("select[name=office]").select_option(value=str(honduras.pk))
    form.locator("input[name=reason]").fill("Prueba")
    form.locator("button[type=submit]").click()

    # then the page explains which offices a case may go to, and nothing changed
    expect(page.locator("body")).to_contain_text("países de registro del programa (MX, GT)")
    assert Case.objects.get(pk=case.pk).registering_office == case.registering_office
    assert not CaseTransfer.objects.exists()
